// Runs strategy and policy modules: one worker thread per module file, started on first use and
// kept (the module is imported once per thread: edit a module, then restart the worker). The
// import has its own time limit (LOAD_TIMEOUT_MS); each call then has the module's
// `timeout_seconds`. A call that does not answer in time terminates its thread, which stops even a
// module stuck in a synchronous loop; the next call starts a fresh thread (and so re-imports the
// file). So does a module that failed to import.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ModuleFunction, ThreadData, ThreadLoaded, ThreadReply, ThreadRequest } from './module-protocol';

const THREAD_SCRIPT = path.join(__dirname, 'module-thread.js');
/** A module that eats memory ends its own thread, not the worker. */
const THREAD_HEAP_MB = 512;
/**
 * Starting a thread and importing the module (and all it imports) may take longer than a call
 * should; a module whose import hangs still fails, after this.
 */
export const LOAD_TIMEOUT_MS = 10_000;

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

export type CallOutcome = { kind: 'value'; value: unknown } | { kind: 'missing'; exports: string[] };

interface Pending {
  resolve(o: CallOutcome): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

class ModuleThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The functions the module exports, once imported. */
  readonly loaded: Promise<string[]>;
  private settleLoad!: (r: ThreadLoaded | ModuleCallError) => void;
  stopped = false;

  constructor(
    readonly file: string,
    private readonly onStop: () => void,
  ) {
    this.worker = new Worker(THREAD_SCRIPT, { workerData: { file } satisfies ThreadData, resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB } });
    let loading = true;
    this.loaded = new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => this.stop(`it did not load within ${LOAD_TIMEOUT_MS / 1000} s`), LOAD_TIMEOUT_MS);
      this.settleLoad = (r) => {
        if (!loading) return;
        loading = false;
        clearTimeout(timer);
        if (r instanceof ModuleCallError) reject(r);
        else if (r.kind === 'load_error') reject(new ModuleCallError(`cannot load: ${r.error}`, true));
        else resolve(r.exports);
      };
    });
    this.loaded.catch(() => undefined); // callers see it; a thread nobody waits on must not crash the process
    this.worker.on('message', (m: ThreadLoaded | ThreadReply) => {
      if (loading) {
        const loaded = m as ThreadLoaded;
        this.settleLoad(loaded);
        if (loaded.kind === 'load_error') this.stop('it failed to load');
      } else this.settle(m as ThreadReply);
    });
    this.worker.on('error', (e) => this.stop(`its thread failed: ${e.name}: ${e.message}`));
    this.worker.on('exit', (code) => this.stop(`its thread exited (code ${code}): did it call process.exit()?`));
    // An idle module thread must not keep the process alive.
    this.worker.unref();
  }

  async call(fn: ModuleFunction, args: unknown[], timeoutMs: number): Promise<CallOutcome> {
    const exports = await this.loaded;
    if (!exports.includes(fn)) return { kind: 'missing', exports };
    if (this.stopped) throw new ModuleCallError('stopped: another call to it timed out');
    const id = this.nextId++;
    return new Promise<CallOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ModuleCallError(`did not answer within ${timeoutMs / 1000} s (timeout_seconds); its thread was stopped`));
        this.stop('another call to it timed out');
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage({ id, fn, args } satisfies ThreadRequest);
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
        return p.resolve({ kind: 'missing', exports: [] });
      case 'threw':
        return p.reject(new ModuleCallError(`threw ${reply.error}`));
      case 'not_data':
        return p.reject(new ModuleCallError(`returned something that is not plain data (${reply.error})`));
    }
  }

  /** Ends the thread; a load or calls still waiting fail with `why`. */
  stop(why: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStop();
    this.settleLoad(new ModuleCallError(`cannot load: ${why}`, true));
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

  private thread(file: string): ModuleThread {
    let thread = this.threads.get(file);
    if (thread === undefined || thread.stopped) {
      const t: ModuleThread = new ModuleThread(file, () => {
        if (this.threads.get(file) === t) this.threads.delete(file);
      });
      thread = t;
      this.threads.set(file, t);
    }
    return thread;
  }

  /** Calls `fn` of the module at `file` (absolute) with `args` (structured-cloned). */
  call(file: string, fn: ModuleFunction, args: unknown[], timeoutMs: number): Promise<CallOutcome> {
    return this.thread(file).call(fn, args, timeoutMs);
  }

  /** The functions the module at `file` exports (it is imported, nothing is called). */
  exportsOf(file: string): Promise<string[]> {
    return this.thread(file).loaded;
  }

  /** Stops every thread (`docktor decide` and `simulate` when done; the worker on shutdown). */
  close(): void {
    for (const t of [...this.threads.values()]) t.stop('the module host closed');
    this.threads.clear();
  }
}
