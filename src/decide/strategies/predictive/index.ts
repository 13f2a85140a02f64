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
import { fmt, r4 } from '../../format';
import { within } from '../../history';
import type { DecisionInput, PredictiveState, TimedReplicas } from '../../input';
import type { JsonObject, LimitedBy, Proposal, Strategy } from '../../types';
import { arrivalRate } from './arrival-rate';
import { backlogDrain } from './drain';
import { forecastRate } from './forecast';
import { EPSILON } from './limits';
import { replicaNeed, STEADY_UP_TOLERANCE } from './need';
import { readQueue } from './queue-readings';
import { measureServiceTime } from './service-time';
import { headroomFor, steadyState } from './steady-state';

export { drainNeed, type DrainNeed } from './drain';
export { MAX_SAMPLES } from './limits';
export { STEADY_UP_TOLERANCE } from './need';
export { occupancyBound } from './occupancy-bound';
export { replicaSecondsBound } from './replica-seconds-bound';
export { estimateServiceTime, type ServiceTimeInput } from './service-time';
export { QUEUEING_TAIL } from './steady-state';

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

const EMPTY: PredictiveState = { samples: [], last_lag: null, service_time_s: null, service_time_weight: null, service_time_bound: null, in_service: [], occupancy: null, needs: [], needs_since: null };

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


export const predictiveStrategy: Strategy = {
  propose(input: DecisionInput): Proposal {
    const current = input.current_replicas;
    const sla = input.service.sla;
    if (sla === undefined) return { replicas: current, reason: 'no sla configured', details: {} };
    const now = input.now;
    const prev = input.state?.predictive ?? EMPTY;
    const q = readQueue(input.observations);
    const { backlog, ackPending, rateIn, oldestAge } = q;
    const window = input.service.metrics_window;
    const checkInterval = input.service.check_interval;
    const missing: string[] = [];
    if (backlog === undefined) missing.push('queue.backlog');

    // 1. Service time.
    const lag = backlog === undefined ? undefined : backlog + (ackPending ?? 0);
    const { inServiceHistory, occupancy, st, T } = measureServiceTime(input, sla, prev, q, lag);

    // 2. Arrival rate.
    const arrivals = arrivalRate(now, prev, inServiceHistory, q, lag, sla.service_time_seconds);
    const { base, throughput, throughputEstimated, meanInService, fromBacklog, split, rate } = arrivals;
    const configuredT = sla.service_time_seconds;
    if (arrivals.missing !== undefined) missing.push(arrivals.missing);

    // 3. Forecast.
    const fc = forecastRate({ now, sla, checkInterval, samples: prev.samples, rate, backlog, ackPending, T });
    const { samples, forecast, horizon, slope, cappedInService } = fc;

    // 4. Steady state (Little's law plus headroom).
    const budget = sla.breach_threshold * sla.max_pickup_seconds;
    const headroom = headroomFor(sla, T, budget, st.upperBoundOnly);
    const steady = steadyState(headroom, forecast, T);

    // 5. Backlog drain.
    const dr = backlogDrain({ q, T, forecast, rate, fromBacklog, split, metricsWindow: window, startup: sla.startup_seconds, budget });
    const { age, drain, drainSeconds, drainArrivals } = dr;
    if (T === undefined && (steady === undefined || drain === undefined)) {
      missing.push('service time (queue.ack_pending with queue.rate_out, or sla.service_time_seconds)');
    }

    // 6. Need.
    const { steadyUp, need, raw } = replicaNeed({ current, steady, drain, backlog, ackPending, forecast, upperBoundOnly: st.upperBoundOnly, cappedInService });

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
