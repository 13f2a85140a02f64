// `docktor tune`'s search (issue 29): replays a service's traffic through candidate policies and
// recommends the cheapest that meets the SLA, judged honestly: candidates are chosen on the
// earlier part of the traffic (train) and the choice is reported on the held-out later part, where
// a candidate that breaches the SLA past the allowance is never recommended.
//
// The search: the current config, then a coarse grid of every family (candidates.ts), then local
// refinement, best first: the cheapest qualifying candidate not yet explored gets its neighbours
// (one knob one step along its ladder) evaluated, until the budget is spent or no candidate among
// the best few has unexplored neighbours. Finalists (qualifying on train, cheapest first) are then
// replayed on the holdout; the first within the allowance there is recommended.
//
// Every replay starts at the trace's start and counts its figures on the part only, so a part
// starts with the replicas and estimates the policy had then (a cold start at the holdout's start
// would judge the warm-up, not the policy). Each part's arrivals are followed by the SLA's seconds
// without arrivals (drained-trace.ts): what is left waiting at its end must still be picked up in
// time, by every candidate and by the clairvoyant reference, which otherwise skips the work whose
// deadlines fall after the end (a burst at the end of the traffic). Train's figures begin after a
// warm-up (the first quarter of train, at most 10 minutes): every replay starts from min_replicas
// ready, which a running service is not. Pure: the clock and the simulations are handed in.
import type { ServiceConfig } from '../config/service';
import { OperationError } from '../errors';
import { ArrivalStream } from '../simulate/arrivals';
import { arrivalsPerSecond, clairvoyantSchedule, type ClairvoyantSchedule } from '../simulate/clairvoyant';
import type { SimulationFigures } from '../simulate/result';
import { DEFAULT_SLA_SECONDS } from '../simulate/simulator';
import type { Trace } from '../simulate/trace';
import { coarseGrid, makeCandidate, neighbours, type TuneModel } from './candidates';
import { drainedTrace } from './drained-trace';
import type { Candidate, EvalJob, EvalPart, Evaluated, Knobs, Traffic, TuneFigures, TuneOptions, TuneResult } from './types';

export const TUNE_DEFAULTS = { holdout: 0.3, budgetS: 60, maxBreach: 0.005 };
/** Less traffic than this cannot be split into a part to choose on and a part to judge on. */
export const MIN_SPAN_S = 20 * 60;
/** Train's warm-up: its first quarter, at most this long. */
const MAX_WARMUP_S = 600;
/**
 * Refinement explores around the best CENTERS qualifying candidates; once all of them are
 * explored, around the next CENTERS, up to MAX_CENTERS (what a budget left over is spent on).
 */
const CENTERS = 3;
const MAX_CENTERS = 12;
/** Finalists replayed on the holdout at least (shown in the table), and at most. */
const SHOWN = 5;
const MAX_FINALISTS = 12;
/** Share of the budget kept for the holdout replays. */
const HOLDOUT_SHARE = 0.2;
/** Simulations handed to the evaluator at once (the budget is checked between batches). */
const BATCH = 4;
/** At most this many candidates are listed in the result (all are counted in `search`). */
const LISTED = 40;

/** Not enough to tune on: what is missing and how to get it. Exit 1. */
export class TuneError extends OperationError {
  override name = 'TuneError';
}

/**
 * Traffic from a trace file (`--trace`, MCP `tune`): the service time and startup given, else the
 * config's; `noRates` when the service's queue keeps no arrival counters.
 */
export function traceTraffic(trace: Trace, service: ServiceConfig, o: { serviceTimeS: number | undefined; startupDelayS: number | undefined; noRates: boolean }): Traffic {
  return {
    trace,
    serviceTimeS: o.serviceTimeS ?? service.sla?.service_time_seconds ?? Number.NaN,
    startupDelayS: o.startupDelayS ?? service.sla?.startup_seconds ?? 10,
    ...(o.noRates ? { noRates: true } : {}),
  };
}

/** The traffic and service model are enough to judge policies on, or a TuneError saying why not. */
export function checkTraffic(traffic: Traffic, service: ServiceConfig): void {
  const { trace, serviceTimeS, startupDelayS } = traffic;
  if (!(serviceTimeS > 0) || !Number.isFinite(serviceTimeS)) {
    throw new TuneError(
      `no service time for ${service.name}: tune needs the replica-seconds one message takes. Set sla.service_time_seconds in the config, pass --service-time, or record the service while it acknowledges messages (a source with counters: queue.rate_out)`,
    );
  }
  if (!(startupDelayS >= 0) || !Number.isFinite(startupDelayS)) throw new TuneError(`no startup delay for ${service.name}: set sla.startup_seconds or pass --startup-delay`);
  if (trace.total <= 0) throw new TuneError(`no arrivals in the traffic of ${service.name}: nothing to tune on; record it while it has work (or give a trace with arrivals)`);
  if (trace.span < MIN_SPAN_S) {
    throw new TuneError(
      `too little traffic to judge: ${Math.round(trace.span)} s of it, at least ${MIN_SPAN_S / 60} minutes are needed (a part to choose on and a later part to judge on); record longer (or give a longer trace)`,
    );
  }
  if (service.strategy === 'custom' || (service.policies?.length ?? 0) > 0) {
    throw new TuneError(`${service.name} uses ${service.strategy === 'custom' ? 'a custom strategy module' : 'policy modules'}: tune replays the built-in strategies only; remove them to tune, or compare with \`docktor simulate\``);
  }
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

function figuresOf(f: SimulationFigures, serviceTimeS: number, clairvoyantWs: number | null): TuneFigures {
  const work = f.messages * serviceTimeS;
  return {
    breach_seconds: r4(f.breach_seconds),
    pickup_p99_s: f.pickup_p99_s === null ? null : r4(f.pickup_p99_s),
    worker_seconds: r4(f.worker_seconds),
    work_ratio: work > 0 ? r4(f.worker_seconds / work) : null,
    clairvoyant_ratio: clairvoyantWs !== null && clairvoyantWs > 0 ? r4(f.worker_seconds / clairvoyantWs) : null,
    messages: f.messages,
    mean_replicas: r4(f.mean_replicas),
    scale_events: f.scale_events,
  };
}

/** Cheapest first; among equals, fewer scale events. */
function byCost(a: Evaluated, b: Evaluated): number {
  return a.train.worker_seconds - b.train.worker_seconds || a.train.scale_events - b.train.scale_events;
}

/** The clairvoyant reference under the service's own limits, over the whole trace (or a part's, `trace`). */
export function referenceSchedule(traffic: Traffic, service: ServiceConfig, trace: Trace = traffic.trace): ClairvoyantSchedule {
  const perSecond = arrivalsPerSecond(((a) => () => a.next())(new ArrivalStream(trace, { scale: 1, start: 0, end: Infinity })), trace.span);
  return clairvoyantSchedule(perSecond, {
    slaSeconds: service.sla?.max_pickup_seconds ?? DEFAULT_SLA_SECONDS,
    serviceTime: traffic.serviceTimeS,
    startupDelay: traffic.startupDelayS,
    checkInterval: service.check_interval,
    minReplicas: service.min_replicas,
    maxReplicas: service.max_replicas,
    span: trace.span,
  });
}

export async function tune(traffic: Traffic, service: ServiceConfig, o: TuneOptions): Promise<TuneResult> {
  checkTraffic(traffic, service);
  const { trace, serviceTimeS, startupDelayS } = traffic;
  const began = o.clock();
  const elapsedS = () => (o.clock() - began) / 1000;
  const span = trace.span;
  const trainEnd = Math.round(span * (1 - o.holdout));
  const warmup = Math.min(MAX_WARMUP_S, Math.floor(trainEnd / 4));
  const slaS = service.sla?.max_pickup_seconds ?? DEFAULT_SLA_SECONDS;
  const trainPart: EvalPart = { from: warmup, to: trainEnd, drain: slaS };
  const holdoutPart: EvalPart = { from: trainEnd, to: span, drain: slaS };
  const allowTrain = o.maxBreach * (trainPart.to - trainPart.from);
  const allowHoldout = o.maxBreach * (holdoutPart.to - holdoutPart.from);

  const model: TuneModel = { serviceTimeS, startupDelayS, slaS, meanBusy: (trace.total / span) * serviceTimeS };

  // The reference of each part knows that part's arrivals and must pick them all up in time.
  const plans = [trainPart, holdoutPart].map((p) => referenceSchedule(traffic, service, drainedTrace(trace, p.to, p.drain)));
  const current = makeCandidate(service, { family: 'current', values: {} }, model);
  const [cvTrain, cvHoldout, curTrain, curHoldout] = await o.evaluate([
    { config: service, part: trainPart, schedule: plans[0]!.targets },
    { config: service, part: holdoutPart, schedule: plans[1]!.targets },
    { config: service, part: trainPart },
    { config: service, part: holdoutPart },
  ]);
  const cvWs = { train: cvTrain!.worker_seconds, holdout: cvHoldout!.worker_seconds };
  const fig = (f: SimulationFigures, part: 'train' | 'holdout') => figuresOf(f, serviceTimeS, cvWs[part]);

  const seen = new Map<string, Evaluated>();
  const currentEval: Evaluated = { candidate: current, train: fig(curTrain!, 'train'), holdout: fig(curHoldout!, 'holdout'), qualifies: curTrain!.breach_seconds <= allowTrain + 1e-9 };
  seen.set(current.key, currentEval);
  let evaluated = 4;
  const progress = (phase: 'grid' | 'refine' | 'holdout') => o.onProgress?.({ phase, evaluated, elapsedS: elapsedS(), budgetS: o.budgetS });
  const searchUntil = o.budgetS * (1 - HOLDOUT_SHARE);

  /** Evaluates on train the knobs not seen yet, in batches, while the search budget lasts. */
  const evaluateTrain = async (points: Knobs[], phase: 'grid' | 'refine'): Promise<boolean> => {
    const fresh: Candidate[] = [];
    for (const k of points) {
      const c = makeCandidate(service, k, model);
      if (!seen.has(c.key) && !fresh.some((x) => x.key === c.key)) fresh.push(c);
    }
    for (let i = 0; i < fresh.length; i += BATCH) {
      if (elapsedS() >= searchUntil) return false;
      const batch = fresh.slice(i, i + BATCH);
      const results = await o.evaluate(batch.map((c): EvalJob => ({ config: c.config, part: trainPart })));
      batch.forEach((c, j) => {
        const f = results[j]!;
        seen.set(c.key, { candidate: c, train: fig(f, 'train'), holdout: null, qualifies: f.breach_seconds <= allowTrain + 1e-9 });
      });
      evaluated += batch.length;
      progress(phase);
    }
    return true;
  };

  const grid = coarseGrid(service, model);
  let stoppedBy: 'budget' | 'converged' = 'converged';
  if (!(await evaluateTrain(grid, 'grid'))) stoppedBy = 'budget';
  const gridCount = evaluated;

  // Refinement, best first.
  const explored = new Set<string>([current.key]);
  let centers = CENTERS;
  while (stoppedBy === 'converged') {
    const all = [...seen.values()];
    const qualified = all.filter((e) => e.qualifies).sort(byCost);
    const pool = qualified.length > 0 ? qualified.slice(0, centers) : all.sort((a, b) => a.train.breach_seconds - b.train.breach_seconds).slice(0, centers);
    const center = pool.find((e) => !explored.has(e.candidate.key) && e.candidate.knobs.family !== 'current');
    if (!center) {
      if (centers >= MAX_CENTERS) break;
      centers += CENTERS;
      continue;
    }
    explored.add(center.candidate.key);
    if (!(await evaluateTrain(neighbours(center.candidate.knobs, service, model), 'refine'))) stoppedBy = 'budget';
  }
  const refined = evaluated - gridCount;

  // Finalists on the holdout, cheapest on train first; of candidates with the same train figures
  // (knobs that made no difference there) only the first, so the finalists differ.
  const sameOnTrain = new Set<string>();
  const finalists = [...seen.values()]
    .filter((e) => e.qualifies && e !== currentEval)
    .sort(byCost)
    .filter((e) => {
      const k = `${e.train.worker_seconds}/${e.train.breach_seconds}/${e.train.scale_events}/${e.train.pickup_p99_s}`;
      if (sameOnTrain.has(k)) return false;
      sameOnTrain.add(k);
      return true;
    });
  // The current config competes too (its holdout figures are known): cheaper ones go first.
  if (currentEval.qualifies) finalists.splice(finalists.filter((e) => byCost(e, currentEval) < 0).length, 0, currentEval);
  let recommended: Evaluated | null = null;
  for (let i = 0; i < Math.min(finalists.length, MAX_FINALISTS) && (recommended === null || i < SHOWN); i += BATCH) {
    const batch = finalists.slice(i, Math.min(i + BATCH, MAX_FINALISTS)).filter((e) => e.holdout === null);
    if (batch.length > 0) {
      const results = await o.evaluate(batch.map((e): EvalJob => ({ config: e.candidate.config, part: holdoutPart })));
      batch.forEach((e, j) => (e.holdout = fig(results[j]!, 'holdout')));
      evaluated += batch.length;
      progress('holdout');
    }
    recommended ??= finalists.slice(0, Math.min(i + BATCH, MAX_FINALISTS)).find((e) => e.holdout !== null && e.holdout.breach_seconds <= allowHoldout + 1e-9) ?? null;
  }
  // Nothing cheaper held on the holdout: keeping the current config is the recommendation, if it held.
  if (recommended === null && currentEval.qualifies && currentEval.holdout!.breach_seconds <= allowHoldout + 1e-9) recommended = currentEval;
  let reason: string | null = null;
  if (recommended === null) {
    reason =
      finalists.length === 0
        ? `no candidate kept the SLA breach within ${o.maxBreach * 100}% of the span (${r4(allowTrain)} s) on the part chosen on (${evaluated} evaluated); raise max_replicas, or check the service time and startup delay`
        : `every finalist (the ${Math.min(finalists.length, MAX_FINALISTS)} cheapest meeting the SLA on the part chosen on) breached it past ${r4(allowHoldout)} s on the held-out part: the later traffic differs; tune on more of it`;
  }

  const listed = [currentEval, ...finalists.filter((e) => e !== currentEval), ...[...seen.values()].filter((e) => !e.qualifies && e !== currentEval).sort((a, b) => a.train.breach_seconds - b.train.breach_seconds)].slice(0, LISTED);
  const shown = (e: Evaluated) => ({ config: e.candidate.config, label: e.candidate.label, figures: e.holdout!, train: e.train });
  return {
    service: service.name,
    span_s: span,
    train: { from_s: trainPart.from, to_s: trainPart.to },
    holdout: { from_s: holdoutPart.from, to_s: holdoutPart.to },
    allowance: { share: o.maxBreach, train_s: r4(allowTrain), holdout_s: r4(allowHoldout) },
    model: { service_time_s: serviceTimeS, startup_delay_s: startupDelayS, messages: trace.total, no_rates: traffic.noRates === true },
    clairvoyant: { train: fig(cvTrain!, 'train'), holdout: fig(cvHoldout!, 'holdout'), infeasible: plans.some((p) => p.infeasible) },
    current: shown(currentEval),
    recommended: recommended ? { ...shown(recommended), keeps_current: recommended === currentEval } : null,
    reason,
    search: { evaluated, elapsed_s: r4(elapsedS()), budget_s: o.budgetS, grid: gridCount, refined, stopped_by: stoppedBy },
    candidates: listed.map((e) => ({ label: e.candidate.label, family: e.candidate.knobs.family, config: e.candidate.config, train: e.train, holdout: e.holdout, qualifies: e.qualifies })),
  };
}
