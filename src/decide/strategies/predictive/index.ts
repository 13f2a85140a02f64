// Predictive (SLA-driven) strategy: keep every message's pickup time under
// `sla.max_pickup_seconds` with as few replicas as possible. Its steps, one file each, in the
// order docs/decide.md explains them:
// 1. service-time.ts: seconds per message (in-service.ts, replica-seconds-bound.ts, occupancy-bound.ts);
// 2. arrival-rate.ts: λ, queue.rate_in or the backlog's change less bursts (backlog-arrivals.ts);
// 3. forecast.ts: the least-squares trend looked ahead startup + one check interval, capped by
//    the messages in service when nothing waits;
// 4. steady-state.ts: Little's law plus the headroom the SLA needs;
// 5. drain.ts: every waiting message picked up before breach_threshold × SLA;
// 6. need.ts: max(steady, drain) in replicas;
// 7. scale-down.ts: only after a full window of needs, and only to the highest of them;
// 8. recurring/: with sla.forecast on, replicas started before a recurring burst (never fewer);
// 9. capacity.ts: never more replicas than the host's CPU/memory headroom allows.
// This file composes them into the proposal, its state, details and reason (reason.ts).
import { r4 } from '../../format';
import type { DecisionInput, PredictiveState } from '../../input';
import type { JsonObject, LimitedBy, Proposal, Strategy } from '../../types';
import { arrivalRate } from './arrival-rate';
import { capacityCap } from './capacity';
import { backlogDrain } from './drain';
import { forecastRate } from './forecast';
import { replicaNeed } from './need';
import { readQueue } from './queue-readings';
import { forecastNote, predictiveReason } from './reason';
import { recurringForecast } from './recurring/index';
import { conservativeScaleDown } from './scale-down';
import { measureServiceTime } from './service-time';
import { headroomFor, steadyState } from './steady-state';

// The names the tests and the rest of the engine use, as when this was one file.
export { capacityCap, type CapacityCap } from './capacity';
export { drainNeed, type DrainNeed } from './drain';
export { MAX_SAMPLES } from './limits';
export { STEADY_UP_TOLERANCE } from './need';
export { occupancyBound } from './occupancy-bound';
export { replicaSecondsBound } from './replica-seconds-bound';
export { defaultScaleDownWindow, MAX_NEEDS } from './scale-down';
export { estimateServiceTime, type ServiceTimeInput } from './service-time';
export { QUEUEING_TAIL } from './steady-state';

const EMPTY: PredictiveState = { samples: [], last_lag: null, service_time_s: null, service_time_weight: null, service_time_bound: null, in_service: [], occupancy: null, needs: [], needs_since: null };

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
    const { throughput, throughputEstimated, fromBacklog, split, rate } = arrivals;
    if (arrivals.missing !== undefined) missing.push(arrivals.missing);

    // 3. Forecast: the trend of λ, and with sla.forecast the recurring bursts.
    const fc = forecastRate({ now, sla, checkInterval, samples: prev.samples, rate, backlog, ackPending, T });
    const { samples } = fc;
    const budget = sla.breach_threshold * sla.max_pickup_seconds;
    const recurring = sla.forecast.mode === 'off' ? undefined : recurringForecast({ now, forecast: sla.forecast, startup: sla.startup_seconds, checkInterval, metricsWindow: window, budget, prev: prev.recurring, q, lag, prevLag: prev.last_lag?.lag, prevInService: prev.in_service[prev.in_service.length - 1]?.count, configuredT: sla.service_time_seconds, T, rate });
    // An expected burst arriving as expected: its rest, not the trend of its rate, is what comes.
    const forecast = recurring?.plannedRate !== undefined && fc.forecast !== undefined ? Math.min(fc.forecast, recurring.plannedRate) : fc.forecast;

    // 4. Steady state (Little's law plus headroom).
    const headroom = headroomFor(sla, T, budget, st.upperBoundOnly);
    const steady = steadyState(headroom, forecast, T);

    // 5. Backlog drain.
    const dr = backlogDrain({ q, T, forecast, rate, fromBacklog, split, metricsWindow: window, startup: sla.startup_seconds, budget });
    const { age, drain, drainSeconds, drainArrivals } = dr;
    if (T === undefined && (steady === undefined || drain === undefined)) {
      missing.push('service time (queue.ack_pending with queue.rate_out, or sla.service_time_seconds)');
    }

    // 6. Need.
    const need = replicaNeed({ current, steady, drain, backlog, ackPending, forecast, upperBoundOnly: st.upperBoundOnly, cappedInService: fc.cappedInService });
    const raw = need.raw;
    // Reported only (details.mean_rate): the scale-down uses the raw need itself.
    const meanRate = rate === undefined ? undefined : samples.reduce((sum, x) => sum + x.rate, 0) / samples.length;

    // 7. Conservative scale-down.
    const down = conservativeScaleDown(now, sla, checkInterval, prev, current, raw);
    let replicas = down.replicas;

    // 8. The forecast's floor: only upward.
    let limitedBy: LimitedBy | undefined;
    if (recurring?.floor !== undefined && recurring.floor > replicas) {
      replicas = recurring.floor;
      limitedBy = 'forecast';
    }

    // 9. Capacity.
    const capacity = capacityCap(input);
    if (capacity.replicas !== undefined && replicas > capacity.replicas) {
      replicas = capacity.replicas;
      limitedBy = 'capacity';
    }

    const note = recurring === undefined ? '' : forecastNote(recurring, now);
    const reason = predictiveReason({ now, sla, current, q, missing, T, arrivals, forecast: fc, headroom, steady, budget, drain: dr, need, scaleDown: down, replicas, limitedBy, capacity }) + (note === '' ? '' : `; ${note}`);
    const state: PredictiveState = {
      samples,
      last_lag: lag === undefined ? prev.last_lag : { at: now, lag },
      service_time_s: st.keep,
      service_time_weight: st.keepWeight,
      service_time_bound: st.keepBound,
      in_service: inServiceHistory,
      occupancy,
      needs: down.needs,
      needs_since: down.needsSince,
    };
    if (recurring !== undefined) state.recurring = recurring.state;
    const details: JsonObject = {
      service_time_s: T === undefined ? null : r4(T),
      service_time_source: st.source,
      arrival_rate: rate === undefined ? null : r4(rate),
      arrival_rate_in: rateIn ?? null,
      arrival_rate_from_backlog: fromBacklog === undefined ? null : r4(fromBacklog),
      throughput: throughput === undefined ? null : r4(throughput),
      throughput_source: throughput === undefined ? null : throughputEstimated ? 'queue.ack_pending / sla.service_time_seconds (Little\'s law)' : 'queue.rate_out',
      trend_slope: fc.slope === null ? null : r4(fc.slope),
      trend_samples: samples.length,
      horizon_s: fc.horizon,
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
      scale_down_window_s: down.downWindow,
      scale_down_window_max: down.windowMax,
      scale_down_window_covered: down.windowCovered,
      capacity: capacity.details,
    };
    if (recurring !== undefined) details.forecast = recurring.details;
    const proposal: Proposal = { replicas, reason, details, missing, predictive: state };
    if (limitedBy !== undefined) proposal.limited_by = limitedBy;
    return proposal;
  },
};
