// The forecast's input: arrivals since the previous check. Where the source counts them,
// queue.rate_in × the interval: rate_in averages the metrics window, so a burst is spread over the
// checks whose window holds it, and their sum is its size. Without rate_in, conservation of
// messages over the interval: the growth of backlog + in service, plus what was served meanwhile
// (queue.rate_out, or without it the messages in service over the interval, the mean of the two
// calls', over the configured service time: a window's average throughput read a burst's drain,
// after it, as arrivals, a second burst). Without counters a burst is still seen less sharply: a
// drain that ended early in an interval reads as a few arrivals.
import type { QueueReadings } from '../queue-readings';

export interface IntervalArrivals {
  /** Messages that arrived in the interval. */
  count: number;
  /** Seconds a burst is smeared over by how the count is measured (the rate's window, or one interval). */
  smear: number;
}

export interface IntervalReadings {
  /** Seconds since the previous check. */
  dt: number;
  q: QueueReadings;
  metricsWindow: number;
  /** Backlog + in service now and at the previous check. */
  lag: number | undefined;
  prevLag: number | undefined;
  /** In service at the previous check. */
  prevInService: number | undefined;
  /** sla.service_time_seconds. */
  configuredT: number | undefined;
}

export function intervalArrivals(r: IntervalReadings): IntervalArrivals | undefined {
  const { dt, q } = r;
  if (!(dt > 0)) return undefined;
  if (q.rateIn !== undefined) return { count: q.rateIn * dt, smear: q.rateSpan ?? r.metricsWindow };
  if (r.lag === undefined || r.prevLag === undefined) return undefined;
  let served: number | undefined;
  if (q.rateOut !== undefined) served = q.rateOut * dt;
  else if (r.configuredT !== undefined && q.ackPending !== undefined && r.prevInService !== undefined) served = (((q.ackPending + r.prevInService) / 2) * dt) / r.configuredT;
  if (served === undefined) return undefined;
  return { count: Math.max(0, r.lag - r.prevLag + served), smear: dt };
}
