// The thread a strategy or policy module runs in (one per module file, src/extend/module-host.ts).
// It imports the module once, calls the function it is asked for and posts back the value. Kept
// off the worker's main thread so a module stuck in a loop can be stopped (the thread is
// terminated) without stalling every other scaler of the worker.
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { ThreadReply, ThreadRequest } from './module-protocol';

type Exports = Record<string, unknown>;

let loaded: Promise<Exports> | undefined;

/** ESM or CommonJS: `import()` takes both; CommonJS exports may also sit on `default`. */
function load(file: string): Promise<Exports> {
  loaded ??= import(pathToFileURL(file).href) as Promise<Exports>;
  return loaded;
}

function functionOf(mod: Exports, name: string): ((...args: unknown[]) => unknown) | undefined {
  const direct = mod[name];
  if (typeof direct === 'function') return direct as (...args: unknown[]) => unknown;
  const def = mod.default;
  if (def !== null && typeof def === 'object') {
    const f = (def as Exports)[name];
    if (typeof f === 'function') return f as (...args: unknown[]) => unknown;
  }
  return undefined;
}

/** The names of the functions it exports (a CommonJS module's on `default` too, once). */
function exportNames(mod: Exports): string[] {
  const names = Object.keys(mod).filter((k) => k !== 'default' && typeof mod[k] === 'function');
  const def = mod.default;
  if (def !== null && typeof def === 'object') for (const [k, v] of Object.entries(def as Exports)) if (typeof v === 'function' && !names.includes(k)) names.push(k);
  return names;
}

function describeError(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  return `threw ${typeof e === 'string' ? JSON.stringify(e) : String(e)}`;
}

// A module's console.log must not mix with `docktor decide`'s JSON on stdout. (Piping the
// thread's stdout in the parent instead would keep an idle thread's process alive.)
process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;

const port = parentPort;
if (port === null) throw new Error('module-thread.js runs as a worker thread only');

port.on('message', (req: ThreadRequest) => {
  void (async (): Promise<ThreadReply> => {
    let mod: Exports;
    try {
      mod = await load(req.file);
    } catch (e) {
      return { id: req.id, kind: 'load_error', error: describeError(e) };
    }
    if (req.fn === 'exports') return { id: req.id, kind: 'exports', exports: exportNames(mod) };
    const fn = functionOf(mod, req.fn);
    if (fn === undefined) return { id: req.id, kind: 'missing', exports: exportNames(mod) };
    try {
      return { id: req.id, kind: 'value', value: await fn(...req.args) };
    } catch (e) {
      return { id: req.id, kind: 'threw', error: describeError(e) };
    }
  })().then((reply) => {
    try {
      port.postMessage(reply);
    } catch (e) {
      // A function, a symbol, a class instance with private state…: not data.
      port.postMessage({ id: req.id, kind: 'not_data', error: describeError(e) } satisfies ThreadReply);
    }
  });
});
