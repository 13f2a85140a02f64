// One simulation of the search: a candidate config (or the clairvoyant schedule) replayed from the
// trace's start, its figures counted on one part (src/simulate's figuresFrom: what comes before is
// the warm-up). The same function runs inline and in the worker threads (tune-thread.ts).
import type { SimulationFigures } from '../simulate/result';
import { simulate } from '../simulate/simulator';
import type { Trace } from '../simulate/trace';
import type { EvalJob, Evaluator } from './types';

export interface ReplayModel {
  serviceTimeS: number;
  startupDelayS: number;
}

export function runJob(trace: Trace, model: ReplayModel, job: EvalJob): SimulationFigures {
  const schedule = job.schedule;
  return simulate(trace, {
    // A dry-run service would never scale in the replay; tune judges the policy, not the switch.
    service: job.config.dry_run ? { ...job.config, dry_run: false } : job.config,
    serviceTime: model.serviceTimeS,
    startupDelay: model.startupDelayS,
    duration: job.part.to,
    figuresFrom: job.part.from,
    ...(schedule ? { schedule: (k: number) => schedule[Math.min(k, schedule.length - 1)]! } : {}),
  }).figures;
}

/** Runs every job here, one after the other (tests, and where threads are not worth it). */
export function inlineEvaluator(trace: Trace, model: ReplayModel): Evaluator {
  return (jobs) => Promise.resolve(jobs.map((j) => runJob(trace, model, j)));
}
