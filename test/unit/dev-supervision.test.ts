// `docktor dev` runs the worker and starts the scalers beside it (workerThen): a failed start must
// stop the worker, or the process hung with the dev server already gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { workerThen } from '../../src/cli/commands/worker';

/** A stand-in for runWorkerUntil: runs until its signal aborts, records when it returned. */
function worker(log: string[], fail?: Error): (stop: AbortSignal) => Promise<void> {
  return (stop) =>
    new Promise<void>((resolve, reject) => {
      if (fail) setTimeout(() => reject(fail), 5);
      stop.addEventListener('abort', () => setTimeout(() => { log.push('worker returned'); resolve(); }, 5), { once: true });
    });
}

describe('docktor dev: worker and scaler start (workerThen)', () => {
  it('a failed start stops the worker and reports the start error once the worker returned', { timeout: 5000 }, async () => {
    const log: string[] = [];
    const signal = new AbortController().signal; // no Ctrl-C
    await assert.rejects(
      workerThen(worker(log), async () => { throw new Error('up: search attribute missing'); }, signal).finally(() => log.push('workerThen settled')),
      /up: search attribute missing/,
    );
    assert.deepEqual(log, ['worker returned', 'workerThen settled']);
  });

  it('a worker that fails while the scalers start ends it with the worker error', { timeout: 5000 }, async () => {
    const log: string[] = [];
    const never = new Promise<void>(() => undefined);
    await assert.rejects(workerThen(worker(log, new Error('namespace not found')), () => never, new AbortController().signal), /namespace not found/);
  });

  it('after the start, the worker runs until the signal', { timeout: 5000 }, async () => {
    const log: string[] = [];
    const ctrlC = new AbortController();
    const done = workerThen(worker(log), async () => { log.push('scalers started'); }, ctrlC.signal).then(() => log.push('workerThen settled'));
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(log, ['scalers started'], 'still running without a signal');
    ctrlC.abort();
    await done;
    assert.deepEqual(log, ['scalers started', 'worker returned', 'workerThen settled']);
  });
});
