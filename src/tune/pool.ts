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
  private broken: Error | null = null;

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
      // A thread that dies (out of memory, say) fails every job, queued or to come: none would ever run.
      w.on('error', (e) => {
        this.broken = new Error(`tune: a simulation thread failed: ${e.message}`);
        for (const p of this.pending.values()) p.reject(this.broken);
        this.pending.clear();
        for (const q of this.queue.splice(0)) q.reject(this.broken);
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
            if (this.broken) return reject(this.broken);
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
