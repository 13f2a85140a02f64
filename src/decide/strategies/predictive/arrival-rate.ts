// Step 2 of the predictive strategy (docs/decide.md): the arrival rate λ. queue.rate_in when the
// source counts it; else the backlog's change over the metrics window plus the throughput
// (rate_out, or Little's law on the service stage with a configured service time), with a burst
// pushed at once taken out as a step (backlog-arrivals.ts).
import type { PredictiveState } from '../../input';
import { backlogArrivals, type BacklogArrivals, type LagPoint } from './backlog-arrivals';
import type { InServiceSample } from './in-service';
import { MAX_RATE } from './limits';
import type { QueueReadings } from './queue-readings';

export interface ArrivalRate {
  /** The call the backlog's change is counted from (the oldest of the window with a lag). */
  base: { at: number; lag?: number | undefined } | undefined;
  /** Completions per second: queue.rate_out, else the in-service mean over the configured T. */
  throughput: number | undefined;
  /** Whether the throughput came from Little's law (no queue.rate_out). */
  throughputEstimated: boolean;
  /** The in-service mean that throughput estimate used. */
  meanInService: number | undefined;
  /** Arrivals by conservation of messages (backlog's change + throughput), before any split. */
  fromBacklog: number | undefined;
  /** The window split at the calls (null with rate_in, or when the calls cannot tell). */
  split: BacklogArrivals | null;
  /** λ, undefined when unknown. */
  rate: number | undefined;
  /** What is missing when λ is unknown. */
  missing: string | undefined;
}

/**
 * Arrivals when rate_in is missing: conservation of messages over the metrics window (as rate_in
 * would count them), arrivals = growth of backlog + ack-pending + completions, from the oldest
 * call of the window that recorded both (else the previous call). Completions: rate_out over that
 * time; without it (a queue without counters: Laravel's Redis queue), Little's law on the service
 * stage, X = L / W, the messages in service (trapezoid between the calls) over the configured
 * service time. Only a configured one: a measured service time needs rate_out itself. Over one
 * check interval instead of the window, a burst pushed at once read as its size / 5 s arriving
 * steadily, and sent the replicas to max.
 */
export function arrivalRate(now: number, prev: PredictiveState, inServiceHistory: readonly InServiceSample[], q: QueueReadings, lag: number | undefined, configuredT: number | undefined): ArrivalRate {
  const { ackPending, rateIn, rateOut } = q;
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
  const missing = rate !== undefined ? undefined : throughput === undefined ? 'queue.rate_in (or queue.rate_out, or sla.service_time_seconds with queue.ack_pending)' : 'queue.rate_in';
  return { base, throughput, throughputEstimated, meanInService, fromBacklog, split, rate, missing };
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
