// Stopping one copy of a process service as Docker stops a container: SIGTERM to its process
// group, the grace period, then SIGKILL; and the members of its group that outlive it.
import type { ChildProcess } from 'node:child_process';
import { isSameLiveProcess, liveStartTime } from './proc-stats';

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** One running copy. */
export interface Copy {
  pid: number;
  start_time: number;
  /** Wall-clock ms. */
  started_at: number;
  command: string[];
  /** Set for copies this pool spawned (then exit comes as an event, not from polling). */
  child?: ChildProcess;
  exited?: Promise<ExitInfo>;
}

const STOP_POLL_MS = 50;
/** After SIGKILL: how long to wait for the kernel to take a copy away before giving up. */
const KILL_WAIT_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How the copy ended, in words, once it has (SIGKILL after `grace_ms` if it ignores SIGTERM). */
export async function stopCopy(copy: Copy, grace_ms: number): Promise<string> {
  let how: string;
  if (!isSameLiveProcess(copy.pid, copy.start_time)) {
    const info = await waitForExit(copy, 0);
    how = info ? `had exited: ${describeExit(info)}` : 'had exited';
  } else {
    signalGroup(copy.pid, 'SIGTERM');
    const info = await waitForExit(copy, grace_ms);
    if (info) how = `pid ${copy.pid}, ${info.signal ? `ended by ${info.signal}` : `${describeExit(info)} after SIGTERM`}`;
    else {
      signalGroup(copy.pid, 'SIGKILL');
      const killed = await waitForExit(copy, KILL_WAIT_MS);
      how = killed
        ? `pid ${copy.pid}, SIGKILL after ${grace_ms / 1000} s grace`
        : `pid ${copy.pid}, still present ${KILL_WAIT_MS / 1000} s after SIGKILL (uninterruptible?)`;
    }
  }
  killLeftovers(copy.pid);
  return how;
}

/** Exit status (unknown, all null, for an adopted copy); undefined if still running at the deadline. */
async function waitForExit(copy: Copy, timeout_ms: number): Promise<ExitInfo | undefined> {
  if (copy.exited) {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout_ms)));
    try {
      return await Promise.race([copy.exited, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
  const end = Date.now() + timeout_ms;
  for (;;) {
    if (!isSameLiveProcess(copy.pid, copy.start_time)) return { code: null, signal: null };
    if (Date.now() >= end) return undefined;
    await sleep(STOP_POLL_MS);
  }
}

/** Members of a finished copy's process group that outlived it (as Docker does with a container). */
export function killLeftovers(pid: number): void {
  // Only when the pid is not alive as some other process: then a group with that id is ours.
  if (liveStartTime(pid) !== undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // ESRCH: no leftovers
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader (should not happen: copies start detached)
    } catch {
      // already gone
    }
  }
}

export function describeExit(info: ExitInfo): string {
  if (info.signal) return `killed by ${info.signal}`;
  if (info.code !== null) return `exit ${info.code}`;
  return 'exited';
}
