// The forecast's model learned from a service's recording instead of from nothing (a scaler just
// started, or sla.forecast just switched on): the recorded arrivals between checks, replayed
// through the same burst record and period search the checks use. Pure: the worker reads the
// recording (src/recording) and hands the intervals in.
import type { RecurringState } from '../../../input';
import { observeInterval } from './bursts';
import { EMPTY_RECURRING } from './index';
import { findPeriods } from './periods';

/** Arrivals between two recorded checks (Unix seconds), counted exactly by the source's counters. */
export interface RecordedInterval {
  start: number;
  end: number;
  count: number;
}

export function seedRecurring(intervals: readonly RecordedInterval[], checkInterval: number, minPeriods: number): RecurringState {
  let { baseline, bursts } = EMPTY_RECURRING;
  for (const i of intervals) {
    if (!(i.end > i.start)) continue;
    // A gap in the recording (the worker was down) is no interval of its own: its arrivals would
    // read as one burst.
    if (i.end - i.start > 3 * checkInterval) continue;
    const u = observeInterval(bursts, baseline, i.start, i.end, i.count, 0);
    baseline = u.baseline;
    bursts = u.bursts;
  }
  // last_at stays null: the first live check starts the intervals afresh.
  return { ...EMPTY_RECURRING, baseline, bursts, periods: findPeriods(bursts, checkInterval, minPeriods) };
}
