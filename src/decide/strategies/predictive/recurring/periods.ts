// The recurring periods in the bursts' start times: a period P explains a burst when another
// began P earlier (within a tolerance that grows with P: jitter and the check's granularity). P is
// found among the differences of the bursts' starts, the shortest one that explains most of the
// bursts that could have had a predecessor P before them, well above what chance would match at
// that density of bursts. Bursts it does not explain may recur with another period (an hourly job
// beside a 10-minute batch): the search repeats on them. Runs only when a burst begins.
import type { Burst, RecurringPeriod } from '../../../input';

/** Shortest and longest periods looked for: a minute to a week. */
export const MIN_PERIOD_SECONDS = 60;
export const MAX_PERIOD_SECONDS = 7 * 86_400;
/** Periods kept (each a series of bursts). */
const MAX_PERIODS = 3;
/** Earlier bursts each burst is paired with for candidate periods. */
const PAIRS_BACK = 8;
/** A period must explain this share of the bursts that could have had a predecessor. */
const MIN_SUPPORT_SHARE = 0.5;
/** ... and this much more than chance would at the bursts' density. */
const OVER_CHANCE = 0.3;
/** Largest jitter (standard deviation of a start) a period may have, as a share of its tolerance. */
const MAX_JITTER_SHARE = 0.3;

/** A normal distribution's standard deviation over its median absolute deviation. */
const MAD_TO_SD = 1.4826;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Matching tolerance of a period: three checks (a burst's start is known to a check, and a job's
 * start drifts by seconds), or 2% of a long period, at most 10 minutes. Not more: a tolerance that
 * grows with the period lets multiples of the true one, and mixtures of two series, match by chance.
 */
export function periodTolerance(seconds: number, checkInterval: number): number {
  return Math.max(3 * checkInterval, Math.min(0.02 * seconds, 600));
}

/** Whether some start in the sorted list lies within `tol` of `t`. */
export function nearest(starts: readonly number[], t: number, tol: number): number | undefined {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! < t - tol) lo = mid + 1;
    else hi = mid;
  }
  let best: number | undefined;
  for (let i = lo; i < starts.length && starts[i]! <= t + tol; i++) if (best === undefined || Math.abs(starts[i]! - t) < Math.abs(best - t)) best = starts[i];
  return best;
}

export function findPeriods(bursts: readonly Burst[], checkInterval: number, minPeriods: number): RecurringPeriod[] {
  const periods: RecurringPeriod[] = [];
  let starts = bursts.map((b) => b.at).sort((a, b) => a - b);
  while (periods.length < MAX_PERIODS && starts.length > minPeriods) {
    const found = bestPeriod(starts, checkInterval, minPeriods);
    if (found === undefined) break;
    periods.push(found);
    const explained = (t: number) => nearest(starts, t - found.seconds, found.tolerance) !== undefined || nearest(starts, t + found.seconds, found.tolerance) !== undefined;
    starts = starts.filter((t) => !explained(t));
  }
  return periods;
}

function bestPeriod(starts: readonly number[], checkInterval: number, minPeriods: number): RecurringPeriod | undefined {
  const candidates: number[] = [];
  for (let j = 1; j < starts.length; j++) {
    for (let i = j - 1; i >= Math.max(0, j - PAIRS_BACK); i--) {
      const d = starts[j]! - starts[i]!;
      if (d >= MIN_PERIOD_SECONDS && d <= MAX_PERIOD_SECONDS) candidates.push(d);
    }
  }
  candidates.sort((a, b) => a - b);
  const first = starts[0]!;
  const span = starts[starts.length - 1]! - first;
  for (const d of candidates) {
    const tolerance = periodTolerance(d, checkInterval);
    let of = 0;
    let support = 0;
    const gaps: number[] = [];
    for (const t of starts) {
      if (t < first + d - tolerance) continue;
      of++;
      const before = nearest(starts, t - d, tolerance);
      if (before !== undefined) {
        support++;
        gaps.push(t - before);
      }
    }
    // Chance: a burst has a neighbour within ±tolerance of any point with this probability.
    const chance = span > 0 ? Math.min(1, ((starts.length - 1) / span) * 2 * tolerance) : 1;
    if (support > minPeriods && support >= of * Math.max(MIN_SUPPORT_SHARE, chance + OVER_CHANCE)) {
      // Median and median absolute deviation: a burst merged into another series' (its start
      // then that one's) is an outlier that would stretch a mean and a standard deviation.
      const seconds = median(gaps);
      // A gap is the difference of two starts, each off its phase by the jitter: √2 of it.
      const jitter = (MAD_TO_SD * median(gaps.map((g) => Math.abs(g - seconds)))) / Math.SQRT2;
      // Gaps matched by chance spread evenly over ±tolerance (a jitter near 0.41 × tolerance);
      // a schedule's gaps gather near the period.
      if (jitter <= MAX_JITTER_SHARE * tolerance) return { seconds, tolerance, jitter, support, of };
    }
  }
  return undefined;
}
