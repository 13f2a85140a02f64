// Worker threads for `docktor tune`: the simulator is CPU-bound and single-threaded, so the
// search's simulations run on every core (one thread each, the trace copied to each once). Jobs
// go to whichever thread is free; results come back in the order asked.
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SimulationFigures } from '../simulate/result';
import type { Trace } from '../simulate/trace';
import type { ReplayModel } from './evaluate';
import type { EvalJob, Evaluator } from './types';

export interface PoolData {
  trace: Trace;
  model: ReplayModel;
}
export interface PoolRequest {
  id: number;
  job: EvalJob;
}
export type PoolReply = { id: number; figures: SimulationFigures } | { id: number; error: string };

const THREAD_SCRIPT = path.join(__dirname, 'tune-thread.js');

export class EvaluationPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Array<{ req: PoolRequest; resolve: (f: SimulationFigures) => void; reject: (e: Error) => void }> = [];
  private readonly pending = new Map<number, { resolve: (f: SimulationFigures) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  /** One thread per core by default (os.availableParallelism). */
  constructor(data: PoolData, threads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length)) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(THREAD_SCRIPT, { workerData: data });
      w.on('message', (reply: PoolReply) => {
        const p = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        if (p) {
          if ('error' in reply) p.reject(new Error(`tune: a simulation failed: ${reply.error}`));
          else p.resolve(reply.figures);
        }
        this.idle.push(w);
        this.pump();
      });
      w.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get threads(): number {
    return this.workers.length;
  }

  readonly evaluate: Evaluator = (jobs) =>
    Promise.all(
      jobs.map(
        (job) =>
          new Promise<SimulationFigures>((resolve, reject) => {
            this.queue.push({ req: { id: this.nextId++, job }, resolve, reject });
            this.pump();
          }),
      ),
    );

  private pump(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const { req, resolve, reject } = this.queue.shift()!;
      this.pending.set(req.id, { resolve, reject });
      w.postMessage(req);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
