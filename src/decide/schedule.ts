// Schedule windows (CONTRACT §2, `schedule:`): the bounds in force at `now`. Pure: time is the
// input, so `docktor decide`, the simulator and the worker agree. A window is open from a `start`
// fire (included) until the next `end` fire (excluded); both are cron expressions read in the
// window's IANA time zone, so "0 9 * * 1-5" is 09:00 local time in winter and in summer. DST is
// croner's: a time skipped in spring fires when the clock jumps (02:30 → 03:00), a time repeated in
// autumn fires once (the first).
import { Cron } from 'croner';
import type { ScheduleWindow } from '../config/schedule';

export interface ScheduledBounds {
  min_replicas: number;
  max_replicas: number;
  /** Indexes of the open windows. */
  open: number[];
  /** Whether an open window raised the floor / lowered the ceiling past the service's own. */
  floor_from_schedule: boolean;
  ceiling_from_schedule: boolean;
}

/**
 * The service's bounds with its open windows applied: the highest floor and the lowest ceiling of
 * the open windows, within the service's own min..max. When open windows disagree (a floor above
 * a ceiling) the floor wins: a window asking for capacity is kept over one saving cost.
 */
export function scheduledBounds(service: { min_replicas: number; max_replicas: number; schedule?: ScheduleWindow[] | undefined }, now: number): ScheduledBounds {
  let min = service.min_replicas;
  let max = service.max_replicas;
  const open: number[] = [];
  let floor = false;
  let ceiling = false;
  (service.schedule ?? []).forEach((w, i) => {
    if (!windowOpen(w, now)) return;
    open.push(i);
    if (w.min_replicas !== null && w.min_replicas > min) {
      min = w.min_replicas;
      floor = true;
    }
    if (w.max_replicas !== null && w.max_replicas < max) {
      max = w.max_replicas;
      ceiling = true;
    }
  });
  if (max < min) {
    max = min;
    ceiling = false;
  }
  return { min_replicas: min, max_replicas: max, open, floor_from_schedule: floor, ceiling_from_schedule: ceiling };
}

/** Open when the last `start` fire at or before `now` is later than the last `end` fire. */
export function windowOpen(w: ScheduleWindow, now: number): boolean {
  const started = lastFire(w.start, w.timezone, now);
  if (started === null) return false;
  const ended = lastFire(w.end, w.timezone, now);
  return ended === null || started > ended;
}

// Parsed expressions, reused across calls, each with the interval between two fires that was last
// looked up: croner takes about a millisecond to look back, and successive checks (the workflow's,
// the simulator's thousands) nearly always fall between the same two fires. A memo: results do not
// depend on it. Bounded, as `docktor mcp` decides on inputs it is sent.
interface CronMemo {
  cron: Cron;
  /** Unix ms: the last fire at or before the last lookup (null: none), and the next one after it. */
  from: number | null;
  until: number | null;
}
const crons = new Map<string, CronMemo>();
const MAX_CRONS = 256;

/** The last time (Unix ms) `pattern` fired at or before `now` (Unix seconds), or null. */
function lastFire(pattern: string, timezone: string, now: number): number | null {
  const key = `${timezone} ${pattern}`;
  let memo = crons.get(key);
  if (memo === undefined) {
    if (crons.size >= MAX_CRONS) crons.clear();
    memo = { cron: new Cron(pattern, { timezone, paused: true }), from: null, until: null };
    crons.set(key, memo);
  }
  const ms = now * 1000;
  if (memo.from !== null && memo.until !== null && memo.from <= ms && ms < memo.until) return memo.from;
  // croner looks strictly before the reference: 1 ms later makes a fire at `now` count.
  const [last] = memo.cron.previousRuns(1, new Date(ms + 1));
  const next = memo.cron.nextRun(new Date(ms));
  memo.from = last === undefined ? null : last.getTime();
  memo.until = next === null ? null : next.getTime();
  return memo.from;
}
