// Predictive (SLA-driven) strategy: keep every message's pickup time under
// `sla.max_pickup_seconds` with as few replicas as possible. The components (docs/decide.md):
// - steady state (Little's law): replicas = forecast arrival rate × service time, plus the
//   headroom the SLA needs (a queueing bound) or `sla.target_utilization`'s when it is set;
// - forecast: least-squares trend of the arrival rate, looked ahead startup + one check interval
//   (without queue.rate_in, the rate from the backlog's history, a step at one check taken out as
//   a burst: backlog-arrivals.ts);
// - backlog drain: every waiting message picked up before it is breach_threshold × SLA old, by
//   the replicas serving now and, after the startup delay, the new ones;
// - capacity: never more replicas than the host's CPU/memory headroom allows;
// then final = max(steady, drain); a scale-down only after a full window of history and only
// to the highest need of that window.
// The service time never comes from the replica count alone when the queue shows it (ack-pending
// over rate-out, both over the same window), so the estimate is not circular.
import type { Sla } from '../../../config/policy';
import { fmt, r4 } from '../../format';
import { within } from '../../history';
import { MAX_PROPOSAL } from '../../safety/bounds';
import type { DecisionInput, PredictiveState, RateSample, TimedReplicas } from '../../input';
import { fitLine } from '../../trend';
import type { JsonObject, LimitedBy, Proposal, Strategy } from '../../types';
import { backlogArrivals, type BacklogArrivals, type LagPoint } from './backlog-arrivals';
import type { InServiceSample } from './in-service';
import { EPSILON, IN_SERVICE_Z, MAX_RATE, MAX_SAMPLES } from './limits';
import { readQueue } from './queue-readings';
import { measureServiceTime } from './service-time';

export { MAX_SAMPLES } from './limits';
export { occupancyBound } from './occupancy-bound';
export { replicaSecondsBound } from './replica-seconds-bound';
export { estimateServiceTime, type ServiceTimeInput } from './service-time';

/**
 * Default scale-down window: hold a replica the lower need no longer asks for as long as bringing
 * it back would cost (its startup, in worker-seconds: rent or buy, at worst twice the optimum),
 * and at least one check. The need is already smooth (rate_in is an average over the metrics
 * window) and cooldown.down spaces scale-downs; with 120 s over the trend window's mean rate (two
 * more averages) on/off traffic paid minutes of idle replicas after every burst.
 */
export function defaultScaleDownWindow(startup: number, checkInterval: number): number {
  return Math.max(startup, checkInterval);
}


export const MAX_NEEDS = 64;
/** The drain target never asks to clear the backlog in less than this share of the budget. */
const MIN_DRAIN_BUDGET_SHARE = 0.1;
/** Steady-state excess over current replicas that is treated as noise (as the HPA's 0.1). */
export const STEADY_UP_TOLERANCE = 0.1;
/**
 * Without `sla.target_utilization`, the steady state is sized so that, were the queue M/M/c, at
 * most this share of messages would wait longer than the breach budget (1%: the p99 pickup).
 */
export const QUEUEING_TAIL = 0.01;

const EMPTY: PredictiveState = { samples: [], last_lag: null, service_time_s: null, service_time_weight: null, service_time_bound: null, in_service: [], occupancy: null, needs: [], needs_since: null };

/** One sample per window/MAX_SAMPLES seconds (the newest of each slot), within the window. */
function addSample(samples: readonly RateSample[], now: number, rate: number, windowSeconds: number): RateSample[] {
  const kept = within(samples, now, windowSeconds).filter((s) => s.at <= now);
  const slot = windowSeconds / MAX_SAMPLES;
  const bucket = Math.floor(now / slot);
  const out = kept.filter((s) => Math.floor(s.at / slot) !== bucket);
  out.push({ at: now, rate });
  out.sort((a, b) => a.at - b.at);
  return out.length > MAX_SAMPLES + 1 ? out.slice(out.length - MAX_SAMPLES - 1) : out;
}


/** Needs within the window, keeping only those no newer need is at least as high as (max queries). */
function addNeed(needs: readonly TimedReplicas[], now: number, replicas: number, windowSeconds: number): TimedReplicas[] {
  const all = within(needs, now, windowSeconds).filter((n) => n.at <= now);
  all.push({ at: now, replicas });
  all.sort((a, b) => a.at - b.at);
  const kept: TimedReplicas[] = [];
  let maxNewer = -Infinity;
  for (let i = all.length - 1; i >= 0; i--) {
    const n = all[i]!;
    if (n.replicas > maxNewer) {
      kept.push(n);
      maxNewer = n.replicas;
    }
  }
  kept.reverse();
  return kept.length > MAX_NEEDS ? kept.slice(kept.length - MAX_NEEDS) : kept;
}

interface CapacityCap {
  replicas: number | undefined;
  reason: string;
  details: JsonObject;
}

/**
 * Most replicas the host can carry: current + floor(headroom / per-replica footprint), per
 * resource, where headroom = max_pct - host.<cpu|mem>_pct. It never asks for fewer than current
 * (an overloaded host stops growth, it does not shed workers).
 */
export function capacityCap(input: DecisionInput): CapacityCap {
  const obs = input.observations;
  const current = input.current_replicas;
  const cap = input.service.capacity;
  const maxCpu = cap?.max_cpu_pct ?? 85;
  const maxMem = cap?.max_mem_pct ?? 85;
  const hostCpu = obs['host.cpu_pct'];
  const hostMem = obs['host.mem_pct'];
  const cores = obs['host.cpus'];
  const containerCpu = obs['cpu.avg_pct'];
  const perCpu = cap?.replica_cpu_pct ?? (containerCpu !== undefined && cores !== undefined && cores > 0 ? containerCpu / cores : undefined);
  const perMem = cap?.replica_mem_pct ?? obs['mem.avg_pct'];
  let replicas: number | undefined;
  const parts: string[] = [];
  let cpuCap: number | null = null;
  let memCap: number | null = null;
  // A footprint too small to matter gives no finite cap: that resource does not limit.
  const headroom = (max: number, used: number, per: number): number | null => {
    const extra = Math.floor((max - used) / per + EPSILON);
    return Number.isFinite(extra) ? current + Math.max(0, extra) : null;
  };
  if (hostCpu !== undefined && perCpu !== undefined && perCpu > 0) {
    cpuCap = headroom(maxCpu, hostCpu, perCpu);
    if (cpuCap !== null) {
      replicas = cpuCap;
      parts.push(`host.cpu_pct ${fmt(hostCpu)} of ${fmt(maxCpu)}, ${fmt(perCpu)}%/replica`);
    }
  }
  if (hostMem !== undefined && perMem !== undefined && perMem > 0) {
    memCap = headroom(maxMem, hostMem, perMem);
    if (memCap !== null) {
      if (replicas === undefined || memCap < replicas) replicas = memCap;
      parts.push(`host.mem_pct ${fmt(hostMem)} of ${fmt(maxMem)}, ${fmt(perMem)}%/replica`);
    }
  }
  return {
    replicas,
    reason: parts.join(', '),
    details: {
      max_cpu_pct: maxCpu,
      max_mem_pct: maxMem,
      host_cpu_pct: hostCpu ?? null,
      host_mem_pct: hostMem ?? null,
      replica_cpu_pct: perCpu === undefined ? null : r4(perCpu),
      replica_mem_pct: perMem ?? null,
      cpu_cap: cpuCap,
      mem_cap: memCap,
      replicas: replicas ?? null,
    },
  };
}

/** The steady state's sizing rule, with what `details` and the reason show of it. */
interface Headroom {
  /** Steady-state replicas for an arrival rate (messages/s). */
  replicas(rate: number): number;
  utilization: number | null;
  margin: number | null;
  text: string;
}

/**
 * How many replicas beyond λ·T (the busy ones) steady state keeps. With `sla.target_utilization`
 * ρ it is the operator's fixed headroom: λ·T/ρ. Otherwise it comes from the SLA: in an M/M/c
 * queue with offered load a = λ·T, P(wait > b) = C(c, a)·e^(−(c−a)·b/T) <= e^(−(c−a)·b/T) for
 * any Erlang-C probability C <= 1, so c = a + (T/b)·ln(1/ε) replicas keep fewer than ε of the
 * messages waiting longer than the budget b. A service time small against the budget needs
 * almost no headroom (busy replicas drain a queue in a fraction of it); one close to the budget
 * needs several replicas more. A fixed 80% would over-provision the first by 25% and, with the
 * drain component, pay twice for the same wait.
 */
function headroomFor(sla: Sla, T: number | undefined, budget: number, upperBoundOnly: boolean): Headroom {
  if (upperBoundOnly) return { replicas: (rate) => rate * (T ?? 0), utilization: 1, margin: null, text: ' / utilization 1 (upper bound)' };
  const rho = sla.target_utilization;
  if (rho !== undefined) return { replicas: (rate) => (rate * (T ?? 0)) / rho, utilization: rho, margin: null, text: ` / utilization ${fmt(rho)}` };
  const margin = T === undefined ? 0 : (T / budget) * Math.log(1 / QUEUEING_TAIL);
  return { replicas: (rate) => (rate === 0 ? 0 : rate * (T ?? 0) + margin), utilization: null, margin, text: ` + ${fmt(margin)} (queueing headroom: P(wait > ${fmt(budget)}s) < ${fmt(QUEUEING_TAIL * 100)}%)` };
}

interface DrainInput {
  T: number;
  backlog: number;
  oldestAge: number;
  /** Recent arrival rate: how fast the backlog's younger part came in. */
  rate: number;
  /** Replicas serving now (ack_pending: with a backlog, every ready replica is busy). */
  ready: number;
  startup: number;
  budget: number;
  /** Arrivals expected meanwhile (messages/s): the same replicas serve them too. */
  forecast: number;
}

export interface DrainNeed {
  /** Service rate (messages/s) the backlog needs, beyond the forecast arrivals. */
  rate: number;
  /** Seconds left for the message that sets the rate. */
  seconds: number;
  /** Whether the replicas serving now drain it in time on their own (no new replica needed). */
  serving: boolean;
}

/**
 * The service rate (messages/s) the backlog needs from the replicas kept or asked for now. FIFO:
 * the k-th waiting message is picked up once k messages before it are; the one of age age(k) must
 * be picked up within budget − age(k). Ages: the oldest is oldestAge; the younger part arrived at
 * the recent rate, so the k-th is min(oldestAge, (backlog − k) / rate) old (a burst that stopped
 * leaves many messages of nearly the oldest age; a steady inflow spreads them evenly). The time
 * left is floored at max(T, 0.1 × budget), so a message already past the budget asks for a fast
 * drain, not an infinite one.
 * - If the replicas serving now drain it in time with the forecast arrivals, rate >= k / (budget −
 *   age(k)) from now, and no more replicas are needed: a scale-down may go down to that, not below
 *   (replicas just started for a spike are kept until they have picked up its messages).
 * - Otherwise new replicas serve only after the startup delay. The replicas serving now pick up
 *   k1 = ready × startup / T messages before then, beyond this decision's reach however many
 *   replicas it asks for; each later one needs rate >= (k − k1) / (budget − startup − age(k)). The
 *   replicas serving now are kept: the need is at least them.
 * Each ratio is monotone on each piece of the age line, so its largest value is at a piece's end.
 */
export function drainNeed(d: DrainInput): DrainNeed {
  const floor = Math.max(d.T, MIN_DRAIN_BUDGET_SHARE * d.budget);
  const needed = (startup: number, k1: number, arrivals: number): { rate: number; seconds: number } => {
    const age = (k: number) => (arrivals > 0 ? Math.min(d.oldestAge, (d.backlog - k) / arrivals) : d.oldestAge);
    const points = [d.backlog, d.backlog - arrivals * d.oldestAge, d.backlog - arrivals * (d.budget - startup - floor)];
    let rate = 0;
    let seconds = Math.max(d.budget - startup, floor);
    for (const k of points) {
      if (!(k > k1) || k > d.backlog) continue;
      const left = Math.max(d.budget - startup - age(k), floor);
      const r = (k - k1) / left;
      if (r > rate) {
        rate = r;
        seconds = left;
      }
    }
    return { rate, seconds };
  };
  // Keeping fewer replicas is judged with every message as old as the oldest: the youngest one's
  // age is not observed, and after a spike they are all old (arrivals over the window, spike
  // included, would spread them down to 0 s and let too few replicas stay).
  const now = needed(0, 0, 0);
  if (d.T * (now.rate + d.forecast) <= d.ready) return { ...now, serving: true };
  const later = needed(d.startup, Math.min(d.backlog, (d.ready * d.startup) / d.T), d.rate);
  return { rate: Math.max(later.rate, d.ready / d.T - d.forecast), seconds: later.seconds, serving: false };
}

/**
 * backlogArrivals over the calls of the metrics window from `baseAt` (each with its backlog +
 * in service), completions as the throughput estimate counts them: rate_out, else the messages in
 * service (trapezoid between calls) over the configured service time. Null when the calls do not
 * all carry a lag (then the window's change alone stands in).
 */
function splitBacklogArrivals(history: readonly InServiceSample[], baseAt: number | undefined, throughput: number | undefined, rateOut: number | undefined, configuredT: number | undefined): BacklogArrivals | null {
  const from = history.findIndex((x) => x.at === baseAt);
  if (from < 0 || throughput === undefined) return null;
  const points: LagPoint[] = [];
  for (const x of history.slice(from)) {
    if (x.lag === undefined) return null;
    points.push({ at: x.at, lag: x.lag, count: x.count });
  }
  const served = (i: number): number => {
    const [a, b] = [points[i - 1]!, points[i]!];
    const seconds = b.at - a.at;
    if (rateOut !== undefined || configuredT === undefined) return throughput * seconds;
    return (((a.count + b.count) / 2) * seconds) / configuredT;
  };
  return backlogArrivals(points, served);
}

function largest(...values: (number | undefined)[]): number | undefined {
  let out: number | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v > out)) out = v;
  return out;
}

export const predictiveStrategy: Strategy = {
  propose(input: DecisionInput): Proposal {
    const current = input.current_replicas;
    const sla = input.service.sla;
    if (sla === undefined) return { replicas: current, reason: 'no sla configured', details: {} };
    const now = input.now;
    const obs = input.observations;
    const prev = input.state?.predictive ?? EMPTY;
    const q = readQueue(obs);
    const { backlog, ackPending, rateIn, rateOut, oldestAge } = q;
    const missing: string[] = [];
    if (backlog === undefined) missing.push('queue.backlog');

    // Service time (service-time.ts).
    const window = input.service.metrics_window;
    const lag = backlog === undefined ? undefined : backlog + (ackPending ?? 0);
    const { inServiceHistory, occupancy, st, T } = measureServiceTime(input, sla, prev, q, lag);

    // Arrivals when rate_in is missing: conservation of messages over the metrics window (as
    // rate_in would count them), arrivals = growth of backlog + ack-pending + completions, from
    // the oldest call of the window that recorded both (else the previous call). Completions:
    // rate_out over that time; without it (a queue without counters: Laravel's Redis queue),
    // Little's law on the service stage, X = L / W, the messages in service (trapezoid between
    // the calls) over the configured service time. Only a configured one: a measured service time
    // needs rate_out itself. Over one check interval instead of the window, a burst pushed at once
    // read as its size / 5 s arriving steadily, and sent the replicas to max.
    const configuredT = sla.service_time_seconds;
    const base = inServiceHistory.find((x) => x.lag !== undefined && x.at < now) ?? (prev.last_lag !== null && prev.last_lag.at < now ? { at: prev.last_lag.at, lag: prev.last_lag.lag } : undefined);
    let throughput = rateOut;
    let meanInService: number | undefined;
    if (rateOut === undefined && configuredT !== undefined && ackPending !== undefined) {
      meanInService = ackPending;
      if (base !== undefined && inServiceHistory.some((x) => x.at === base.at)) {
        let area = 0;
        for (let i = 0; i + 1 < inServiceHistory.length; i++) {
          const [a, b] = [inServiceHistory[i]!, inServiceHistory[i + 1]!];
          if (a.at >= base.at) area += ((a.count + b.count) / 2) * (b.at - a.at);
        }
        meanInService = area / (now - base.at);
      }
      throughput = Math.min(meanInService / configuredT, MAX_RATE);
    }
    const throughputEstimated = rateOut === undefined && throughput !== undefined;
    let fromBacklog: number | undefined;
    if (lag !== undefined && base?.lag !== undefined && throughput !== undefined) {
      fromBacklog = Math.min(MAX_RATE, Math.max(0, throughput + (lag - base.lag) / (now - base.at)));
    }
    // The backlog's change counts a burst pushed at once as a rate over the window, on top of the
    // backlog the drain serves: split at the calls, a step at one check is taken out (issue 28).
    const split = rateIn === undefined && fromBacklog !== undefined ? splitBacklogArrivals(inServiceHistory, base?.at, throughput, rateOut, configuredT) : null;
    // rate_in counts arrivals directly. The backlog's change stands in when it is missing, but is
    // not mixed in otherwise: it pairs an instant count with rate_out, a window average, so after
    // a burst it reports the burst's drain rate as arrivals. A growing backlog itself is served by
    // the drain component.
    let rate: number | undefined;
    if (rateIn !== undefined) rate = Math.min(rateIn, MAX_RATE);
    else if (fromBacklog !== undefined) rate = split === null ? fromBacklog : Math.min(MAX_RATE, split.rate);
    if (rate === undefined) missing.push(throughput === undefined ? 'queue.rate_in (or queue.rate_out, or sla.service_time_seconds with queue.ack_pending)' : 'queue.rate_in');

    // Forecast over startup + one check interval.
    const horizon = sla.startup_seconds + input.service.check_interval;
    let samples = within(prev.samples, now, sla.trend_window_seconds);
    let forecast: number | undefined;
    let slope: number | null = null;
    if (rate !== undefined) {
      samples = addSample(prev.samples, now, rate, sla.trend_window_seconds);
      forecast = rate;
      const fit = fitLine(samples);
      if (fit !== null) {
        slope = fit.slope;
        // Only ahead of a rise that is still going on (the current rate at or above the fitted
        // line: after a spike the line still slopes up while the rate has fallen), anchored at
        // the current rate, at most doubling it. A fall is left to the scale-down window.
        if (fit.slope > 0 && rate >= fit.at(now)) forecast = rate + Math.min(fit.slope * horizon, Math.max(rate, fit.meanRate));
      }
    }
    // With nothing waiting, the messages in service are those that arrived within about the last
    // T seconds: ack_pending is a count of mean λ·T (Poisson while replicas are to spare), known
    // at once, where rate_in averages the metrics window and kept a burst's replicas for most of
    // a window after its arrivals stopped. Its upper confidence bound caps the forecast: within a
    // burst it stays above the rate (a low count by noise alone is beyond IN_SERVICE_Z standard
    // deviations), so it only lowers a need whose arrivals have fallen. In replicas it is the
    // busy ones plus the count's noise, whatever the service-time estimate: so it holds with an
    // upper bound of T too, and a need it caps may go below current then (after a first burst,
    // 89 replicas were held for three checks while 40 were busy and nothing waited).
    let cappedInService = false;
    if (forecast !== undefined && backlog === 0 && ackPending !== undefined && T !== undefined && T > 0) {
      const inServiceCap = Math.min(MAX_RATE, (Math.sqrt(ackPending + 1) + IN_SERVICE_Z / 2) ** 2 / T);
      if (inServiceCap < forecast) {
        forecast = inServiceCap;
        cappedInService = true;
      }
    }

    // Steady state (Little's law plus headroom). No arrivals: nothing needed, whatever the service time.
    const budget = sla.breach_threshold * sla.max_pickup_seconds;
    const headroom = headroomFor(sla, T, budget, st.upperBoundOnly);
    let steady: number | undefined;
    if (forecast !== undefined) {
      if (forecast === 0) steady = 0;
      else if (T !== undefined) steady = headroom.replicas(forecast);
    }

    // Backlog drain: every waiting message picked up before it is breach_threshold × SLA old.
    // Without queue.oldest_age_s, the backlog's history tells it (FIFO: the first of the last
    // `backlog` arrivals); read as 0, a burst's last messages had the whole budget at every check.
    const age = oldestAge ?? split?.oldestAge ?? 0;
    let drain: number | undefined;
    let drainSeconds: number | null = null;
    let drainArrivals: number | null = null;
    if (backlog !== undefined) {
      if (backlog === 0) drain = 0;
      else if (T !== undefined) {
        // rate_in counts the waiting messages too (those that arrived within its window), and the
        // drain already serves them: as arrivals still to come they were paid twice. A one-second
        // spike of 250 messages read as 8/s for the next 30 s, 8 replicas beyond the drain's 22.
        const ahead = Math.max(0, (forecast ?? 0) - (rateIn !== undefined ? backlog / window : 0));
        // How fast the waiting messages came in (their ages): the window's arrivals, bursts included
        // (rate_in's counterpart), not the rate still to come.
        const cameIn = split !== null ? fromBacklog : rate;
        const d = drainNeed({ T, backlog, oldestAge: age, rate: cameIn ?? 0, ready: ackPending ?? 0, startup: sla.startup_seconds, budget, forecast: ahead });
        drainSeconds = d.seconds;
        drainArrivals = ahead;
        drain = T * (ahead + d.rate);
      }
    }
    if (T === undefined && (steady === undefined || drain === undefined)) {
      missing.push('service time (queue.ack_pending with queue.rate_out, or sla.service_time_seconds)');
    }

    // Raw need: the largest known component. A steady state within STEADY_UP_TOLERANCE above
    // current is noise, not a reason to add a replica (a real excess grows a backlog, which the
    // drain component sees); so is a drain need (a tenth past the budget is within the SLA's
    // margin), and a +1 step would restart cooldown.down for the whole burst's replicas.
    const tolerated = (n: number | undefined) => (n !== undefined && n > current && n <= current * (1 + STEADY_UP_TOLERANCE) ? current : n);
    const steadyUp = tolerated(steady);
    const need = largest(steadyUp, tolerated(drain));
    const busy = (backlog ?? 0) > 0 || (ackPending ?? 0) > 0 || (forecast ?? 0) > 0;
    const toReplicas = (n: number | undefined): number => {
      let r = n === undefined ? current : Math.min(MAX_PROPOSAL, Math.max(0, Math.ceil(n - EPSILON)));
      if (busy && r < 1) r = 1; // work waiting or arriving: at least one replica (scale from zero)
      if (st.upperBoundOnly && r < current && !cappedInService) r = current;
      return r;
    };
    const raw = toReplicas(need);

    // The scale-down need is the raw need itself: rate_in is already an average over the metrics
    // window, and a second, longer average (the trend window's) kept replicas for minutes after
    // each burst. A backlog is not remembered: once drained, its extra replicas may go.
    // Reported only (details.mean_rate).
    const meanRate = rate === undefined ? undefined : samples.reduce((sum, x) => sum + x.rate, 0) / samples.length;

    // Conservative scale-down: only once scale-down needs cover a whole window, and only to the
    // highest of them (never below the raw need).
    const downWindow = sla.scale_down_window_seconds ?? defaultScaleDownWindow(sla.startup_seconds, input.service.check_interval);
    const lastNeedAt = prev.needs.length > 0 ? prev.needs[prev.needs.length - 1]!.at : null;
    // A check may come a little late: with the window one check interval long (the default when
    // startup <= check_interval), a gap of 5.01 s for a 5 s window restarted the history at every
    // check and the scale-down never came. A gap counts as one only beyond half an interval late.
    const continuous = prev.needs_since !== null && lastNeedAt !== null && now - lastNeedAt <= downWindow + input.service.check_interval / 2 && now >= prev.needs_since;
    const needsSince = continuous ? prev.needs_since! : now;
    const needs = addNeed(prev.needs, now, raw, downWindow);
    let windowMax = raw;
    for (const n of needs) if (n.replicas > windowMax) windowMax = n.replicas;
    const windowCovered = now - needsSince >= downWindow;
    let replicas = raw >= current ? raw : windowCovered ? Math.min(current, windowMax) : current;

    // Capacity.
    const capacity = capacityCap(input);
    let limitedBy: LimitedBy | undefined;
    if (capacity.replicas !== undefined && replicas > capacity.replicas) {
      replicas = capacity.replicas;
      limitedBy = 'capacity';
    }

    // Reason: the deciding component, then what held or capped it.
    const parts: string[] = [];
    // Less than a message is the noise bound's trimming, not a burst an operator would recognise.
    const burstText = split === null ? '' : split.burst >= 1 ? `; less a burst of ${fmt(split.burst)} at one check, drained from the backlog, not a rate` : split.rising ? '; the backlog rose check after check: all arrivals' : '';
    const estimatedText = rate !== undefined && rateIn === undefined && throughputEstimated ? ` (backlog change over ${fmt(now - (base?.at ?? now))}s + throughput ${fmt(throughput ?? 0)}/s = queue.ack_pending ${fmt(meanInService ?? 0)} / ${fmt(configuredT ?? 0)}s, Little's law: no queue.rate_in/rate_out${burstText})` : burstText === '' ? '' : ` (backlog change${burstText})`;
    const capText = cappedInService ? ` (at most ${fmt(forecast ?? 0)}/s: queue.ack_pending ${fmt(ackPending ?? 0)} in service, nothing waiting)` : '';
    const rateText = rate === undefined ? 'rate unknown' : `${fmt(rate)}/s${estimatedText}${forecast !== undefined && forecast > rate ? ` (trend → ${fmt(forecast)}/s in ${fmt(horizon)}s)` : capText}`;
    const tText = T === undefined ? 'service time unknown' : `${fmt(T)}s/msg`;
    if (need === undefined) {
      parts.push(raw > current ? `work waiting (queue.backlog ${fmt(backlog ?? 0)}), ${missing.join(', ')} unknown → ${raw}` : `hold: ${missing.join(', ')} missing`);
    } else if (drain !== undefined && drain >= (steady ?? -1) && drain > 0) {
      parts.push(
        `backlog drain: queue.backlog ${fmt(backlog ?? 0)} before ${fmt(drainSeconds ?? 0)}s (${oldestAge === undefined && split !== null ? `oldest waiting ~${fmt(age)}s by the backlog's history,` : `queue.oldest_age_s ${fmt(age)}`} of ${fmt(budget)}s = ${fmt(sla.breach_threshold)} × sla ${fmt(sla.max_pickup_seconds)}s) at ${tText} + arrivals ${rateText}${drainArrivals !== null && forecast !== undefined && drainArrivals < forecast ? `, ${fmt(drainArrivals)}/s of them not yet waiting` : ''} → ${raw}`,
      );
    } else if (steady !== undefined && steady > 0) {
      const noise = steadyUp !== steady ? ` (within ${fmt(STEADY_UP_TOLERANCE * 100)}% of current)` : '';
      parts.push(`steady state: arrivals ${rateText} × ${tText}${headroom.text} = ${fmt(steady)}${noise} → ${raw}`);
    } else {
      parts.push(`idle: queue.backlog ${fmt(backlog ?? 0)}, arrivals ${rateText} → ${raw}`);
    }
    if (raw < current && replicas > raw) {
      parts.push(
        windowCovered
          ? `scale-down held at ${replicas}: need was ${windowMax} within the last ${fmt(downWindow)}s`
          : `scale-down waits: needs recorded for ${fmt(now - needsSince)}s of the ${fmt(downWindow)}s window`,
      );
    }
    if (limitedBy === 'capacity') parts.push(`host capacity caps at ${replicas} (${capacity.reason})`);

    const state: PredictiveState = {
      samples,
      last_lag: lag === undefined ? prev.last_lag : { at: now, lag },
      service_time_s: st.keep,
      service_time_weight: st.keepWeight,
      service_time_bound: st.keepBound,
      in_service: inServiceHistory,
      occupancy,
      needs,
      needs_since: needsSince,
    };
    const details: JsonObject = {
      service_time_s: T === undefined ? null : r4(T),
      service_time_source: st.source,
      arrival_rate: rate === undefined ? null : r4(rate),
      arrival_rate_in: rateIn ?? null,
      arrival_rate_from_backlog: fromBacklog === undefined ? null : r4(fromBacklog),
      throughput: throughput === undefined ? null : r4(throughput),
      throughput_source: throughput === undefined ? null : throughputEstimated ? 'queue.ack_pending / sla.service_time_seconds (Little\'s law)' : 'queue.rate_out',
      trend_slope: slope === null ? null : r4(slope),
      trend_samples: samples.length,
      horizon_s: horizon,
      forecast_rate: forecast === undefined ? null : r4(forecast),
      utilization: headroom.utilization,
      queueing_margin: headroom.margin === null ? null : r4(headroom.margin),
      steady_state: steady === undefined ? null : r4(steady),
      breach_budget_s: r4(budget),
      drain_seconds: drainSeconds === null ? null : r4(drainSeconds),
      drain_arrivals: drainArrivals === null ? null : r4(drainArrivals),
      arrival_burst: split === null ? null : r4(split.burst),
      backlog_rising: split === null ? null : split.rising,
      oldest_age_s: backlog === undefined ? null : r4(age),
      oldest_age_source: oldestAge !== undefined ? 'queue.oldest_age_s' : split !== null ? "backlog's history" : null,
      backlog_drain: drain === undefined ? null : r4(drain),
      raw_need: raw,
      mean_rate: meanRate === undefined ? null : r4(meanRate),
      scale_down_need: raw,
      scale_down_window_s: downWindow,
      scale_down_window_max: windowMax,
      scale_down_window_covered: windowCovered,
      capacity: capacity.details,
    };
    const proposal: Proposal = { replicas, reason: parts.join('; '), details, missing, predictive: state };
    if (limitedBy !== undefined) proposal.limited_by = limitedBy;
    return proposal;
  },
};
