// Whether the forecast may act: it judges each burst it expected, a hit when one began within its
// window (give or take the period's tolerance), a miss when the window passed without one, and
// keeps the last outcomes. It acts only after a hit: a pattern is first tried without acting (as
// in shadow mode). A miss, or fewer than 60% hits over at least four, means the pattern broke: it
// stops acting (it goes on expecting and judging) until an expected burst comes again.
import type { Burst, Expectation, RecurringState } from '../../../input';
import { periodTolerance } from './periods';

/** Outcomes kept. */
export const MAX_OUTCOMES = 8;
const MIN_HIT_SHARE = 0.6;
const MIN_JUDGED_FOR_SHARE = 4;

export type ForecastStatus = 'learning' | 'no_pattern' | 'broken' | 'ready';

export interface Judged {
  /** Expectations still pending, and those that came while their burst goes on. */
  expected: Expectation[];
  outcomes: Array<0 | 1>;
}

/**
 * Merges this check's expectations into the pending ones and judges them. An expectation seen
 * again keeps the window it had when first seen (the one the replicas were started for).
 */
export function judge(pending: readonly Expectation[], fresh: readonly Expectation[], bursts: readonly Burst[], outcomes: ReadonlyArray<0 | 1>, now: number, checkInterval: number): Judged {
  const expected = pending.map((e) => ({ ...e }));
  for (const e of fresh) {
    const tol = periodTolerance(e.period, checkInterval);
    const same = expected.find((x) => x.from <= e.to + tol && e.from <= x.to + tol);
    // Already judged as came: a fresh copy of a burst that came is not a new expectation.
    if (same === undefined && e.came === null) expected.push({ ...e });
  }
  const nextOutcomes = [...outcomes];
  const kept: Expectation[] = [];
  for (const e of expected) {
    const tol = periodTolerance(e.period, checkInterval);
    if (e.came === null) {
      // A burst that began in the window, or one still going on at its start (the expected one
      // ran into it: its arrivals came, merged).
      const came = bursts.find((b) => b.at >= e.from - tol && b.at <= e.to + tol) ?? bursts.find((b) => b.at < e.from - tol && b.end >= e.from);
      if (came !== undefined) {
        e.came = came.at;
        nextOutcomes.push(1);
      } else if (now > e.to + tol) {
        nextOutcomes.push(0);
        continue;
      }
    }
    // A burst that came is kept while it goes on (its last interval is this one).
    if (e.came !== null && !bursts.some((b) => b.at === e.came && b.end >= now)) continue;
    kept.push(e);
  }
  return { expected: kept, outcomes: nextOutcomes.slice(-MAX_OUTCOMES) };
}

export function forecastStatus(state: Pick<RecurringState, 'periods' | 'outcomes' | 'bursts'>, minPeriods: number): ForecastStatus {
  const { periods, outcomes } = state;
  const n = outcomes.length;
  if (n >= MIN_JUDGED_FOR_SHARE && outcomes.reduce<number>((a, b) => a + b, 0) < MIN_HIT_SHARE * n) return 'broken';
  if (n > 0 && outcomes[n - 1] === 0) return 'broken';
  if (periods.length === 0) return n > 0 || state.bursts.length > minPeriods ? 'no_pattern' : 'learning';
  // A pattern acts only once one of its bursts came when expected (as in shadow mode first).
  return n === 0 ? 'learning' : 'ready';
}
