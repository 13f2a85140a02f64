// A seeded trace of recurring bursts (issue 30): scheduler-style traffic, as cron jobs, nightly
// imports or a partner's batch every 10 minutes make it. Each series is a burst every `every`
// seconds at a phase drawn from the seed, starting up to `jitter` seconds early or late, of
// `messages` arrivals spread over `seconds`; a low base rate runs under them. One count per
// second, Poisson around the rate. For benchmarks of the predictive strategy's forecast.
import { poissonTrace, seededUniform } from './random';
import type { Trace } from './trace';

export interface RecurringSeries {
  /** Seconds between two bursts of the series. */
  every: number;
  /** Messages per burst (uniform per burst). */
  messages: [number, number];
  /** Seconds a burst's arrivals are spread over (uniform per burst). */
  seconds: [number, number];
  /** Each burst starts up to this many seconds before or after its time (uniform). */
  jitter: number;
}

export interface RecurringOptions {
  seed: number;
  /** Seconds of traffic. */
  span: number;
  /** Messages/s under the bursts. */
  baseRate?: number;
  series?: RecurringSeries[];
  /** Chance that a burst does not come (a skipped run). */
  skip?: number;
}

export interface RecurringTrace {
  trace: Trace;
  /** Each burst: start second, length, messages, and which series. */
  bursts: Array<{ start: number; seconds: number; messages: number; series: number }>;
}

/** A partner's batch every 10 minutes and a bigger job every hour. */
export const RECURRING_DEFAULTS = {
  baseRate: 0.5,
  series: [
    { every: 600, messages: [600, 900], seconds: [20, 60], jitter: 5 },
    { every: 3600, messages: [3000, 4500], seconds: [60, 180], jitter: 10 },
  ] as RecurringSeries[],
  skip: 0,
};

export function recurringTrace(options: RecurringOptions): RecurringTrace {
  const o = { ...RECURRING_DEFAULTS, ...options };
  const span = Math.floor(o.span);
  if (!(span > 0)) throw new RangeError('recurringTrace: span must be > 0');
  const uniform = seededUniform(o.seed);
  const between = ([lo, hi]: [number, number]) => lo + (hi - lo) * uniform();
  const rate = new Float64Array(span).fill(o.baseRate);
  const bursts: RecurringTrace['bursts'] = [];
  o.series.forEach((series, index) => {
    const phase = Math.floor(uniform() * series.every);
    for (let at = phase; at < span; at += series.every) {
      const start = Math.round(at + (2 * uniform() - 1) * series.jitter);
      const seconds = Math.max(1, Math.round(between(series.seconds)));
      const messages = between(series.messages);
      if (uniform() < o.skip || start < 0 || start + seconds > span) continue;
      bursts.push({ start, seconds, messages, series: index });
      for (let s = start; s < start + seconds; s++) rate[s]! += messages / seconds;
    }
  });
  const trace = poissonTrace(rate, uniform);
  return { trace, bursts: bursts.sort((a, b) => a.start - b.start) };
}
