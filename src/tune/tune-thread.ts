// A worker thread of `docktor tune`'s pool (pool.ts): gets the trace and the service model once,
// then runs the simulations it is sent (evaluate.ts) and posts back their figures.
import { parentPort, workerData } from 'node:worker_threads';
import { runJob } from './evaluate';
import type { PoolData, PoolReply, PoolRequest } from './pool';

const data = workerData as PoolData;
parentPort!.on('message', (req: PoolRequest) => {
  let reply: PoolReply;
  try {
    reply = { id: req.id, figures: runJob(data.trace, data.model, req.job) };
  } catch (e) {
    reply = { id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  parentPort!.postMessage(reply);
});
