// A lock file that holds its owner's pid, for work two processes must not do at once (building the
// Temporal CLI, starting the shared dockerd). A lock whose owner died is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface PidLockOptions {
  /** How often to look again while a live process holds the lock (ms). */
  pollMs?: number;
  /** Called once when another live process holds the lock. */
  onWait?: (holder: number) => void;
}

/** Runs `work` while holding `lockFile`; waits while a live process holds it. */
export async function withPidLock<T>(lockFile: string, work: () => Promise<T>, opts: PidLockOptions = {}): Promise<T> {
  let announced = false;
  for (;;) {
    let fd: number;
    try {
      fd = openSync(lockFile, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readPid(lockFile);
      if (holder !== undefined && pidAlive(holder)) {
        if (!announced) opts.onWait?.(holder);
        announced = true;
        await sleep(opts.pollMs ?? 500);
        continue;
      }
      // No live holder, or a lock created a moment ago whose pid is not written yet: look again, then take over.
      await sleep(300);
      const again = readPid(lockFile);
      if (again === undefined || !pidAlive(again)) rmSync(lockFile, { force: true });
      continue;
    }
    try {
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return await work();
    } finally {
      rmSync(lockFile, { force: true });
    }
  }
}
