// One simulation of the search: a candidate config (or the clairvoyant schedule) replayed from the
// trace's start, its figures counted on one part (src/simulate's figuresFrom: what comes before is
// the warm-up), its arrivals ending at the part's end and followed by the drain (drained-trace.ts).
// The same function runs inline and in the worker threads (tune-thread.ts).
import type { SimulationFigures } from '../simulate/result';
import { simulate } from '../simulate/simulator';
import type { Trace } from '../simulate/trace';
import { drainedTrace } from './drained-trace';
import type { EvalJob, Evaluator } from './types';

export interface ReplayModel {
  serviceTimeS: number;
  startupDelayS: number;
  noRates?: boolean;
}

/** The drained traces of the parts already seen, per trace: a search judges every candidate on the same two. */
const drained = new WeakMap<Trace, Map<string, Trace>>();

function partTrace(trace: Trace, to: number, drain: number): Trace {
  let byPart = drained.get(trace);
  if (!byPart) drained.set(trace, (byPart = new Map()));
  const key = `${to}/${drain}`;
  let t = byPart.get(key);
  if (!t) byPart.set(key, (t = drainedTrace(trace, to, drain)));
  return t;
}

export function runJob(trace: Trace, model: ReplayModel, job: EvalJob): SimulationFigures {
  const schedule = job.schedule;
  const { from, to, drain } = job.part;
  return simulate(partTrace(trace, to, drain), {
    // A dry-run service would never scale in the replay; tune judges the policy, not the switch.
    service: job.config.dry_run ? { ...job.config, dry_run: false } : job.config,
    serviceTime: model.serviceTimeS,
    startupDelay: model.startupDelayS,
    noRates: model.noRates === true,
    duration: to + drain,
    figuresFrom: from,
    ...(schedule ? { schedule: (k: number) => schedule[Math.min(k, schedule.length - 1)]! } : {}),
  }).figures;
}

/** Runs every job here, one after the other (tests, and where threads are not worth it). */
export function inlineEvaluator(trace: Trace, model: ReplayModel): Evaluator {
  return (jobs) => Promise.resolve(jobs.map((j) => runJob(trace, model, j)));
}
