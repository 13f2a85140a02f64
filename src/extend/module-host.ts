// Runs strategy and policy modules: one worker thread per module file, started on first use and
// kept (the module is imported once per thread: edit a module, then restart the worker). A call
// that does not answer in time terminates its thread, which stops even a module stuck in a
// synchronous loop; the next call starts a fresh thread (and so re-imports the file).
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModuleFunction, ThreadReply, ThreadRequest } from './module-protocol';

const THREAD_SCRIPT = path.join(__dirname, 'module-thread.js');
/** A module that eats memory ends its own thread, not the worker. */
const THREAD_HEAP_MB = 512;

/** A module call failed: the message says how (threw, timed out, not found, …), not which module. */
export class ModuleCallError extends Error {
  override name = 'ModuleCallError';
  constructor(
    message: string,
    /** The module could not be imported (no function was called). */
    readonly duringLoad = false,
  ) {
    super(message);
  }
}

export type CallOutcome = { kind: 'value'; value: unknown } | { kind: 'missing' | 'exports'; exports: string[] };

interface Pending {
  resolve(o: CallOutcome): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

class ModuleThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  stopped = false;

  constructor(
    readonly file: string,
    private readonly onStop: () => void,
  ) {
    this.worker = new Worker(THREAD_SCRIPT, { resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
    this.worker.on('message', (reply: ThreadReply) => this.settle(reply));
    this.worker.on('error', (e) => this.stop(`its thread failed: ${e.name}: ${e.message}`));
    this.worker.on('exit', (code) => this.stop(`its thread exited (code ${code}): did it call process.exit()?`));
    // An idle module thread must not keep the process alive; after the listeners, which ref it.
    this.worker.unref();
  }

  call(fn: ModuleFunction | 'exports', args: unknown[], timeoutMs: number): Promise<CallOutcome> {
    const id = this.nextId++;
    return new Promise<CallOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ModuleCallError(`did not answer within ${timeoutMs / 1000} s (timeout_seconds); its thread was stopped`));
        this.stop('another call to it timed out');
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, file: this.file, fn, args } satisfies ThreadRequest);
    });
  }

  private settle(reply: ThreadReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    clearTimeout(p.timer);
    switch (reply.kind) {
      case 'value':
        return p.resolve({ kind: 'value', value: reply.value });
      case 'missing':
      case 'exports':
        return p.resolve({ kind: reply.kind, exports: reply.exports });
      case 'load_error':
        return p.reject(new ModuleCallError(`cannot load: ${reply.error}`, true));
      case 'threw':
        return p.reject(new ModuleCallError(`threw ${reply.error}`));
      case 'not_data':
        return p.reject(new ModuleCallError(`returned something that is not plain data (${reply.error})`));
    }
  }

  /** Ends the thread; calls still waiting fail with `why`. */
  stop(why: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop();
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new ModuleCallError(`stopped: ${why}`));
    }
    void this.worker.terminate();
  }
}

export class ModuleHost {
  private readonly threads = new Map<string, ModuleThread>();

  /** Calls `fn` of the module at `file` (absolute) with `args` (structured-cloned). */
  call(file: string, fn: ModuleFunction | 'exports', args: unknown[], timeoutMs: number): Promise<CallOutcome> {
    let thread = this.threads.get(file);
    if (thread === undefined || thread.stopped) {
      const t: ModuleThread = new ModuleThread(file, () => {
        if (this.threads.get(file) === t) this.threads.delete(file);
      });
      thread = t;
      this.threads.set(file, t);
    }
    return thread.call(fn, args, timeoutMs);
  }

  /** Stops every thread (`docktor decide` and `simulate` when done; the worker on shutdown). */
  close(): void {
    for (const t of [...this.threads.values()]) t.stop('the module host closed');
    this.threads.clear();
  }
}
