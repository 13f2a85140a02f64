// The forecast's input: arrivals since the previous check. Where the source counts them,
// queue.rate_in × the interval: rate_in averages the metrics window, so a burst is spread over the
// checks whose window holds it, and their sum is its size. Without rate_in, conservation of
// messages over the interval: the growth of backlog + in service, plus what was served meanwhile.
import type { QueueReadings } from '../queue-readings';

export interface IntervalArrivals {
  /** Messages that arrived in the interval. */
  count: number;
  /** Seconds a burst is smeared over by how the count is measured (the rate's window, or one interval). */
  smear: number;
}

export function intervalArrivals(dt: number, q: QueueReadings, metricsWindow: number, lag: number | undefined, prevLag: number | undefined, throughput: number | undefined): IntervalArrivals | undefined {
  if (!(dt > 0)) return undefined;
  if (q.rateIn !== undefined) return { count: q.rateIn * dt, smear: q.rateSpan ?? metricsWindow };
  if (lag === undefined || prevLag === undefined || throughput === undefined) return undefined;
  return { count: Math.max(0, lag - prevLag + throughput * dt), smear: dt };
}
