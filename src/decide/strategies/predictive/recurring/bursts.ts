// The forecast's record of bursts: an interval whose arrivals stand out of the base rate beyond a
// count's noise (and at least double it) is part of a burst; bursts in consecutive intervals are
// one. The base rate is a moving average of the other intervals. Pure and bounded.
import type { Burst } from '../../../input';

/** Bursts kept: at least two periods of a 10-minute series with an hourly one beside it. */
export const MAX_BURSTS = 64;
/**
 * Standard deviations of a Poisson count an interval may stand above the base by noise alone:
 * (√(m + 1) + z/2)², the bound the other count tests of the predictive strategy use.
 */
const BURST_Z = 3;
/** Weight of one quiet interval in the base rate's moving average. */
const BASELINE_WEIGHT = 0.2;

export interface BurstsUpdate {
  baseline: number | null;
  bursts: Burst[];
  /** A new burst began in this interval. */
  opened: boolean;
}

/** The bursts after the interval from the previous check `start` to `now`, with `count` arrivals. */
export function observeInterval(bursts: readonly Burst[], baseline: number | null, start: number, now: number, count: number, smear: number): BurstsUpdate {
  const dt = now - start;
  const expected = (baseline ?? 0) * dt;
  const threshold = Math.max(2 * expected, (Math.sqrt(expected + 1) + BURST_Z / 2) ** 2);
  if (baseline === null || count <= threshold) {
    const rate = count / dt;
    return { baseline: baseline === null ? rate : baseline + BASELINE_WEIGHT * (rate - baseline), bursts: [...bursts], opened: false };
  }
  const excess = count - expected;
  const last = bursts[bursts.length - 1];
  const next = bursts.slice();
  // The previous interval was this burst's: it goes on.
  if (last !== undefined && last.end === start) {
    next[next.length - 1] = { at: last.at, end: now, size: last.size + excess, seconds: Math.max(0, now - last.at - smear) };
    return { baseline, bursts: next, opened: false };
  }
  next.push({ at: start, end: now, size: excess, seconds: Math.max(0, dt - smear) });
  return { baseline, bursts: next.length > MAX_BURSTS ? next.slice(next.length - MAX_BURSTS) : next, opened: true };
}
