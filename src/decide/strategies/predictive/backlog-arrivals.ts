// Arrivals read from the backlog's history, for a queue that counts none (no queue.rate_in:
// Laravel's Redis queue, plain lists). Conservation of messages over the metrics window gives
// their total, arrivals = growth of backlog + in service + completions; but a burst pushed at once
// is then a rate over the window as well as a backlog to drain, and the replicas paid for it twice
// (issue 28: 10 workers for a burst of 120 half-second jobs that 3 drain in time). So the window is
// split at the calls: an interval whose arrivals stand out of the others' rate beyond a count's
// noise was a step: the drain serves it from the backlog, and only the others' rate (plus that
// noise) counts as arrivals to come. Unless the backlog rose at the call before or after it too,
// with as many arrivals: a backlog that rises check after check is arrivals still coming, kept.
// Pure (docs/decide.md, predictive step 2).

/** A call of the window: backlog + in service (`lag`), in service (`count`), at `at`. */
export interface LagPoint {
  at: number;
  lag: number;
  count: number;
}

export interface BacklogArrivals {
  /** Arrivals per second still expected: the window's, less the steps (messages/s, >= 0). */
  rate: number;
  /** Messages that came as steps and were taken out of the rate (>= 0). */
  burst: number;
  /** Steps kept as arrivals because the backlog rose at a neighbouring interval too, as fast. */
  rising: boolean;
  /**
   * Age of the oldest waiting message (s): FIFO, it is the first of the last `backlog` arrivals,
   * so it came within the interval where the arrivals counted back from now reach the backlog;
   * the middle of that interval (at most half an interval off). At least the span when they
   * never do. 0 without a backlog.
   */
  oldestAge: number;
}

/**
 * Standard deviations of a Poisson count an interval's arrivals may stand above the others' rate
 * by noise alone: (√(m + 1) + z/2)², as the predictive strategy's other count bounds.
 */
const STEP_Z = 2;

/** The most arrivals a count of mean m gives by noise (two standard deviations, one-sided). */
export function countUpperBound(mean: number): number {
  return (Math.sqrt(Math.max(0, mean) + 1) + STEP_Z / 2) ** 2;
}

/**
 * Splits the arrivals of the calls `points` (oldest first, the last one now) into a rate and
 * bursts. `served(i)` is the messages completed between points i − 1 and i (rate_out × seconds,
 * or Little's law: the mean in service over the service time × seconds). With fewer than two
 * intervals there is no other rate to compare a step with: everything counts as arrivals.
 */
export function backlogArrivals(points: readonly LagPoint[], served: (i: number) => number): BacklogArrivals | null {
  if (points.length < 2) return null;
  const span = points[points.length - 1]!.at - points[0]!.at;
  if (!(span > 0)) return null;
  const n = points.length - 1;
  const arrived: number[] = [];
  const rose: boolean[] = [];
  let total = 0;
  for (let i = 1; i <= n; i++) {
    const [a, b] = [points[i - 1]!, points[i]!];
    const x = b.lag - a.lag + served(i);
    arrived.push(x);
    rose.push(b.lag - b.count > a.lag - a.count);
    total += x;
  }
  let burst = 0;
  let rising = false;
  if (n >= 2) {
    const seconds = (i: number) => points[i + 1]!.at - points[i]!.at;
    /** Interval i's arrivals beyond the noise bound of the other intervals' rate (0: not a step). */
    const excessOf = (i: number): number => {
      const rest = span - seconds(i);
      const rate = rest > 0 ? Math.max(0, (total - arrived[i]!) / rest) : 0;
      return Math.max(0, arrived[i]! - countUpperBound(rate * seconds(i)));
    };
    // The rise goes on when a neighbouring interval's backlog rose too, with arrivals at a rate
    // this interval's are within the noise of: a trickle's job left waiting before a burst (backlog
    // 0, 1, then 120) is no such neighbour, and read as one it made the example's bursts a rate.
    const goesOn = (i: number, j: number) => j >= 0 && j < n && rose[j]! && arrived[i]! <= countUpperBound((Math.max(0, arrived[j]!) / seconds(j)) * seconds(i));
    for (let i = 0; i < n; i++) {
      const excess = excessOf(i);
      if (!(excess > 0)) continue;
      // A step that goes on at the next call (or came on top of one at the previous call) is
      // arrivals still coming: the backlog rises check after check.
      if (rose[i] && (goesOn(i, i - 1) || goesOn(i, i + 1))) {
        rising = true;
        continue;
      }
      burst += excess;
    }
  }
  const now = points[n]!.at;
  const backlog = points[n]!.lag - points[n]!.count;
  let oldestAge = backlog > 0 ? span : 0;
  let since = 0;
  for (let i = n - 1; i >= 0 && backlog > 0; i--) {
    since += arrived[i]!;
    if (since >= backlog) {
      oldestAge = now - (points[i]!.at + points[i + 1]!.at) / 2;
      break;
    }
  }
  return { rate: Math.max(0, (total - burst) / span), burst, rising, oldestAge };
}
