// The predictive strategy's forecast of recurring bursts (issue 30, sla.forecast): on generated
// recurring bursts (src/simulate/recurring.ts: a batch every 10 minutes and a bigger job every
// hour, with jitter) of seeds never used while building it, predictive without and with the
// forecast against the clairvoyant reference, judged after the cold start; and on traffic without
// recurrence (the bundled real traces and the spiky generator, issue-16 scenario), the forecast
// must switch itself off: worker-seconds within 2% of predictive's, no more breach.
import { ServiceSchema, type ServiceConfig } from '../src/config/service';
import { ArrivalStream } from '../src/simulate/arrivals';
import { arrivalsPerSecond, clairvoyantSchedule } from '../src/simulate/clairvoyant';
import { recurringTrace } from '../src/simulate/recurring';
import { simulate } from '../src/simulate/simulator';
import type { Timeline } from '../src/simulate/timeline';
import type { Trace } from '../src/simulate/trace';
import { issueScenarioTraces } from './quality.bench';
import { ISSUE_SCENARIO, SLA_SECONDS } from './scenarios';

/** Seeds of the recurring generator the bench judges (the tests and the development used others). */
export const FORECAST_SEEDS = [101, 102, 103, 104, 105];
/** Twelve hours each; judged on the last six (the hourly series is learned after four bursts). */
export const FORECAST_SPAN_S = 12 * 3600;
export const FORECAST_JUDGED_FROM_S = 6 * 3600;
export const FORECAST_GOAL_CLAIRVOYANT = 1.05;
export const FORECAST_GOAL_READY_SHARE = 0.9;
export const FORECAST_GOAL_OFF_TRAFFIC = 1.02;

export interface ForecastRecurringRow {
  seed: number;
  bursts: number;
  work: number;
  /** Worker-seconds over the judged part. */
  off: number;
  on: number;
  /** Predictive as tune recommends it for this traffic (TUNED_REACTIVE), without the forecast. */
  tuned: number;
  breachTuned: number;
  readyTuned: number;
  clairvoyant: number;
  breachOff: number;
  breachOn: number;
  /** Bursts of the judged part with enough replicas ready at their start. */
  readyOn: number;
  readyOff: number;
}

export interface ForecastOtherRow {
  trace: string;
  off: number;
  on: number;
  breachOff: number;
  breachOn: number;
  /** Checks at which the forecast raised the replicas. */
  raised: number;
}

export interface ForecastResults {
  recurring: ForecastRecurringRow[];
  other: ForecastOtherRow[];
}

function service(mode: 'off' | 'on'): ServiceConfig {
  return ServiceSchema.parse({
    name: 'bench',
    min_replicas: 1,
    max_replicas: ISSUE_SCENARIO.limits.max_replicas,
    check_interval: ISSUE_SCENARIO.limits.check_interval,
    metrics_window: 30,
    strategy: 'predictive',
    sla: { max_pickup_seconds: SLA_SECONDS, startup_seconds: ISSUE_SCENARIO.startupDelay, forecast: { mode } },
  });
}

/**
 * What `docktor tune` recommended for this traffic (a recurring trace of seed 201, none of the
 * judged ones): predictive without the forecast, reacting on a 10 s window with the budget at 0.95
 * of the SLA and the service time set. For comparison: the reactive policy tuned to the traffic.
 */
export const TUNED_REACTIVE = { metrics_window: 10, sla: { breach_threshold: 0.95, service_time_seconds: 1, trend_window_seconds: 300 } };
function tunedService(): ServiceConfig {
  const base = service('off');
  return ServiceSchema.parse({ ...base, metrics_window: TUNED_REACTIVE.metrics_window, sla: { ...base.sla, ...TUNED_REACTIVE.sla } });
}

/** Worker-seconds and breach seconds from `from` on, from a run's timeline. */
function judged(t: Timeline, from: number): { workerSeconds: number; breach: number } {
  let workerSeconds = 0;
  let breach = 0;
  for (let i = 0; i + 1 < t.length; i++) {
    if (t.at[i]! >= from) workerSeconds += t.replicas[i]! * (t.at[i + 1]! - t.at[i]!);
    if (t.at[i + 1]! > from) breach += t.breach[i + 1]!;
  }
  return { workerSeconds, breach };
}

/**
 * Ready at a burst's start: at the last check at or before it, at least half the replicas the
 * clairvoyant schedule has ready at most during the burst (it knows the burst; a reactive policy
 * has only the replicas its quiet traffic needs).
 */
function readyAtStart(t: Timeline, cv: Timeline, burst: { start: number; seconds: number }): boolean {
  let i = 0;
  while (i + 1 < t.length && t.at[i + 1]! <= burst.start) i++;
  let most = 0;
  for (let j = i; j < cv.length && cv.at[j]! <= burst.start + burst.seconds + SLA_SECONDS; j++) most = Math.max(most, cv.ready[j]!);
  return t.ready[i]! >= 0.5 * most;
}

export function benchForecast(root: string, log: (line: string) => void): ForecastResults {
  const sim = (trace: Trace, s: ServiceConfig, schedule?: (check: number) => number) =>
    simulate(trace, { service: s, serviceTime: ISSUE_SCENARIO.serviceTime, startupDelay: ISSUE_SCENARIO.startupDelay, ...(schedule ? { schedule } : {}) });
  const recurring: ForecastRecurringRow[] = [];
  for (const seed of FORECAST_SEEDS) {
    const { trace, bursts } = recurringTrace({ seed, span: FORECAST_SPAN_S });
    const off = sim(trace, service('off'));
    const on = sim(trace, service('on'));
    const tuned = sim(trace, tunedService());
    const perSecond = arrivalsPerSecond(((a) => () => a.next())(new ArrivalStream(trace, { scale: 1, start: 0, end: Infinity })), trace.span);
    const plan = clairvoyantSchedule(perSecond, { slaSeconds: SLA_SECONDS, serviceTime: ISSUE_SCENARIO.serviceTime, startupDelay: ISSUE_SCENARIO.startupDelay, checkInterval: ISSUE_SCENARIO.limits.check_interval, minReplicas: 1, maxReplicas: ISSUE_SCENARIO.limits.max_replicas, span: trace.span });
    const cv = sim(trace, service('off'), (k) => plan.targets[Math.min(k, plan.targets.length - 1)]!);
    const later = bursts.filter((b) => b.start >= FORECAST_JUDGED_FROM_S);
    let work = 0;
    for (let s = FORECAST_JUDGED_FROM_S; s < perSecond.length; s++) work += perSecond[s]! * ISSUE_SCENARIO.serviceTime;
    const [o, n, c, t] = [off, on, cv, tuned].map((x) => judged(x.timeline, FORECAST_JUDGED_FROM_S)) as [ReturnType<typeof judged>, ReturnType<typeof judged>, ReturnType<typeof judged>, ReturnType<typeof judged>];
    const row: ForecastRecurringRow = {
      seed,
      bursts: later.length,
      work,
      off: o.workerSeconds,
      on: n.workerSeconds,
      clairvoyant: c.workerSeconds,
      breachOff: o.breach,
      breachOn: n.breach,
      readyOn: later.filter((b) => readyAtStart(on.timeline, cv.timeline, b)).length,
      readyOff: later.filter((b) => readyAtStart(off.timeline, cv.timeline, b)).length,
      tuned: t.workerSeconds,
      breachTuned: t.breach,
      readyTuned: later.filter((b) => readyAtStart(tuned.timeline, cv.timeline, b)).length,
    };
    recurring.push(row);
    log(`forecast: seed ${seed}: off ${(row.off / row.clairvoyant).toFixed(3)}x, on ${(row.on / row.clairvoyant).toFixed(3)}x, tuned reactive ${(row.tuned / row.clairvoyant).toFixed(3)}x the clairvoyant; ready before ${row.readyOn} of ${row.bursts} bursts`);
  }
  const other: ForecastOtherRow[] = [];
  for (const { name, trace } of issueScenarioTraces(root)) {
    const off = sim(trace, service('off')).figures;
    let raised = 0;
    const on = simulate(trace, { service: service('on'), serviceTime: ISSUE_SCENARIO.serviceTime, startupDelay: ISSUE_SCENARIO.startupDelay, onDecision: (_i, d) => void (d.limited_by === 'forecast' && raised++) }).figures;
    other.push({ trace: name, off: off.worker_seconds, on: on.worker_seconds, breachOff: off.breach_seconds, breachOn: on.breach_seconds, raised });
    log(`forecast: ${name}: on/off ${(on.worker_seconds / off.worker_seconds).toFixed(3)}, breach ${on.breach_seconds} (off ${off.breach_seconds}), raised at ${raised} checks`);
  }
  return { recurring, other };
}
