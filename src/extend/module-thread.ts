// The thread a strategy or policy module runs in (one per module file, src/extend/module-host.ts).
// It imports the module at start and says whether that worked (with the functions it exports),
// then calls the functions it is asked for and posts back their values. Kept off the worker's main
// thread so a module stuck in a loop can be stopped (the thread is terminated) without stalling
// every other scaler of the worker.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { ThreadData, ThreadLoaded, ThreadReply, ThreadRequest } from './module-protocol';

type Exports = Record<string, unknown>;
type Fn = (...args: unknown[]) => unknown;

/** The module's functions: ESM exports, and a CommonJS module's `module.exports` (on `default`). */
function functionsOf(mod: Exports): Map<string, Fn> {
  const out = new Map<string, Fn>();
  for (const [k, v] of Object.entries(mod)) if (k !== 'default' && typeof v === 'function') out.set(k, v as Fn);
  const def = mod.default;
  if (def !== null && typeof def === 'object') for (const [k, v] of Object.entries(def as Exports)) if (typeof v === 'function' && !out.has(k)) out.set(k, v as Fn);
  return out;
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
const { file } = workerData as ThreadData;

void (async () => {
  let functions: Map<string, Fn>;
  try {
    // import() takes ES modules and CommonJS alike.
    functions = functionsOf((await import(pathToFileURL(file).href)) as Exports);
  } catch (e) {
    port.postMessage({ kind: 'load_error', error: describeError(e) } satisfies ThreadLoaded);
    return;
  }
  port.on('message', (req: ThreadRequest) => {
    void (async (): Promise<ThreadReply> => {
      const fn = functions.get(req.fn);
      if (fn === undefined) return { id: req.id, kind: 'missing' };
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
  port.postMessage({ kind: 'loaded', exports: [...functions.keys()] } satisfies ThreadLoaded);
})();
