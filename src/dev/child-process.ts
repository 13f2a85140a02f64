// A long-running helper process (Temporal dev server, nats-server) owned by this process:
// output kept for error messages, stopped with SIGTERM then SIGKILL, and never left behind
// when this process exits normally.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ManagedChild {
  readonly pid: number;
  readonly command: string;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  /** The last few KB of the process's stdout and stderr. */
  outputTail(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has ended. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Own process group (default true): Ctrl-C in a terminal then reaches only us, so a caller
   * can stop things in order (e.g. a worker before the server it talks to).
   */
  detached?: boolean;
  /** Also passes output through, e.g. to show server logs. */
  onOutput?: (chunk: string) => void;
  tailBytes?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: a signal is all we can send. SIGTERM lets a server with
  // an on-disk state shut down cleanly after we are gone.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGTERM');
  });
}

export function startChild(command: string, args: string[], opts: StartChildOptions = {}): ManagedChild {
  const tailBytes = opts.tailBytes ?? 8000;
  const child = spawn(command, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    detached: opts.detached ?? true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let done = false;
  const onData = (chunk: Buffer) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-tailBytes);
    opts.onOutput?.(text);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | string>((resolve) => {
    child.on('error', (err) => {
      tail += `\n${err.message}`;
      done = true;
      live.delete(child);
      resolve(`error: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve(code ?? signal ?? 'unknown');
    });
  });
  live.add(child);
  installExitHook();
  // The child must not keep this process alive (a test file's process ends when its tests do);
  // the exit hook above stops it then.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) {
    const socket = stream as unknown as { unref?: () => void } | null;
    socket?.unref?.();
  }

  return {
    pid: child.pid ?? -1,
    command: [command, ...args].join(' '),
    exited,
    hasExited: () => done,
    outputTail: () => tail,
    async stop(graceMs = 10_000) {
      if (done) return;
      // Keep this process alive until the child is gone (it was unref'ed above).
      child.ref();
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs);
      });
      const first = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (first === 'timeout' && !done) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
