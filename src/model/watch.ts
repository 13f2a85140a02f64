// A watch (src/activities/watch-service.ts): what the workflow asks of it, and the checks it
// hands back, folded. Types only, shared from below by the workflow and the activity.
import type { EngineState } from '../decide/input';
import type { Json } from '../observations';
import type { CheckInput, CheckResult } from './check';

export interface WatchInput extends Omit<CheckInput, 'now'> {
  /** The decision key of the scaler's newest (unapplied) history entry: checks equal to it fold into it. */
  last_key: string | null;
  /** Check at once (a start, a signal or update, an interrupted apply); else at the next grid point. */
  check_now: boolean;
  /** Unix seconds: when the previous check finished (the grid point after it comes next). */
  not_before: number;
  /**
   * Unix seconds: the grid point the previous watch had planned its next check for, when it
   * ended without a change (at `until`): that check runs then, even if the new watch starts a
   * moment before it (the grid's minimum gap would skip it).
   */
  next_at: number | null;
  /** The scaler's offset within its interval (src/workflows/check-schedule.ts). */
  phase: number;
  /** Unix seconds: no check starts at or after this; the activity returns then. */
  until: number;
  heartbeat_seconds: number;
  /**
   * The workflow's check count when it started this watch. A reader that adds a running watch's
   * progress to the workflow's status (`docktor status`) needs it: once the workflow has recorded
   * the watch's checks its count differs, and adding them again would count them twice.
   */
  base_checks?: number;
}

/** Checks the activity ran: consecutive identical ones folded (`checks` > 1). */
export interface WatchedCheck {
  /** When the first of them began (unix seconds, worker clock). */
  at: number;
  last_at: number;
  checks: number;
  /** The result of the last of them (its decision's state is the engine state after it). */
  result: CheckResult;
}

/** Where a stretch stands: returned at its end, and the heartbeat details on the way. */
export interface WatchProgress {
  /** What the stretch found, in words, for the event list of the Temporal UI (set at its end). */
  found?: string;
  /** At most two: a fold of repeats of the newest entry, then the check that differs from it. */
  checks: WatchedCheck[];
  /** The state after the last check, to pass to the next one. */
  state: { queue_state: Json | null; engine?: EngineState; last_replicas: number | null; metric_failures: number };
  /** Unix seconds: the grid point of the next check. */
  next_check_at: number | null;
  /** Why it returned (`running` in heartbeats). */
  ended: 'running' | 'change' | 'until' | 'event' | 'stopped';
  /** WatchInput.base_checks, for readers of the heartbeat (absent from watches of older workers: never added then). */
  base_checks?: number;
}
