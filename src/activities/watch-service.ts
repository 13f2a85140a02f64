// `watchService`: a regular activity that runs a scaler's checks itself, one after another on the
// scaler's grid, for a quiet stretch (issue 15). A check here is exactly a `checkService` call
// (collect + the pure engine). The activity folds checks that repeat the scaler's newest history
// entry (the same decision, the same errors) and returns to the workflow as soon as a check is
// anything else (a change to apply, another reason or limit, a failure that starts or ends), at
// `until` (the end of the quiet stretch or of an override), or when the workflow's history gets a
// new event (a signal, an update, a cancellation request): it long-polls that history, which
// costs no Temporal action, where heartbeats would cost one each and arrive throttled.
//
// It heartbeats only every `heartbeat_seconds` (so a dead worker is noticed after 1.5 times that),
// with its progress as the details: a retried attempt resumes from there instead of losing the
// checks folded so far, and `docktor status` reads the progress of a running stretch from it.
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { EngineState } from '../decide/input';
import type { Json } from '../observations';
import { secondsToNextCheck } from '../workflows/check-schedule';
import { checkEntry, decisionKey, needsApply } from '../workflows/history-fold';
import type { CheckInput, CheckResult } from './scaler-activities';

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
  /** WatchInput.base_checks, for readers of the heartbeat. */
  base_checks?: number;
}

const ENDED: Record<WatchProgress['ended'], string> = {
  running: 'still running',
  change: 'a decision to record',
  until: 'the end of the quiet stretch',
  event: 'a new event in the workflow (a signal, an update, a read)',
  stopped: 'the worker stopping or the workflow cancelling it',
};

/** "13 checks: hold 3→3 ×12 (no rule holds …); then scale_up 3→5 (…); returned for …". */
export function stretchFound(p: Pick<WatchProgress, 'checks' | 'ended'>): string {
  const n = p.checks.reduce((sum, c) => sum + c.checks, 0);
  const parts = p.checks.map((c) => {
    const d = c.result.decision;
    const what = d ? `${d.action} ${c.result.replicas ?? '?'}→${d.target_replicas}${c.checks > 1 ? ` ×${c.checks}` : ''} (${d.reason.length > 80 ? `${d.reason.slice(0, 79)}…` : d.reason})` : 'nothing decided';
    return c.result.failures.length ? `${what}, failing: ${c.result.failures.map((f) => f.source).join(', ')}` : what;
  });
  return `${n} check(s)${parts.length ? `: ${parts.join('; then ')}` : ''}; returned for ${ENDED[p.ended]}`;
}

/** The progress with what it found first (so it is the first thing the UI shows of the result). */
function withFound(p: WatchProgress): WatchProgress {
  const { found: _old, ...rest } = p;
  return { found: stretchFound(p), ...rest };
}

/** Resolves when the watched workflow's history gets an event after this activity's schedule. */
export type HistoryWatch = () => Promise<void>;

const EventType = temporal.api.enums.v1.EventType;
const ACTIVITY_TASK_SCHEDULED = EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED;
/**
 * The events that need the workflow: input from outside (a signal, an update, a cancellation).
 * Not the workflow's own (an update's completion, an event delivery's activity, a timer): waking
 * on those ended the next watch at once after every read or signal, costing a schedule each.
 */
const WAKING = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED,
]);

/**
 * Long-polls the workflow's history (GetWorkflowExecutionHistory with waitNewEvent: no action is
 * billed for it) for a signal, update or cancellation after the ActivityTaskScheduled of
 * `activityId`. One that is already there when the stretch starts (a signal that came while the
 * attempt was starting) counts too. Any error also resolves it: the stretch then ends after its current check, so a
 * signal is never missed for longer than one interval.
 */
export function historyWatch(client: Client, namespace: string, workflowId: string, runId: string, activityId: string): HistoryWatch {
  return async () => {
    let token: Uint8Array | undefined;
    let scheduled = false;
    try {
      for (;;) {
        const res = await client.workflowService.getWorkflowExecutionHistory({
          namespace,
          execution: { workflowId, runId },
          waitNewEvent: true,
          maximumPageSize: 1000,
          ...(token ? { nextPageToken: token } : {}),
        });
        for (const e of res.history?.events ?? []) {
          if (scheduled && e.eventType != null && WAKING.has(e.eventType)) return;
          if (e.eventType === ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityId === activityId) scheduled = true;
        }
        // No token: the workflow is closed.
        if (!res.nextPageToken || res.nextPageToken.length === 0) return;
        token = res.nextPageToken;
      }
    } catch {
      return;
    }
  };
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The history watch of the running activity; outside an activity (unit tests), none. */
function contextWatch(ctx: Context | undefined): HistoryWatch | undefined {
  const i = ctx?.info;
  if (!ctx || !i?.workflowNamespace || !i.workflowExecution) return undefined;
  return historyWatch(ctx.client, i.workflowNamespace, i.workflowExecution.workflowId, i.workflowExecution.runId, i.activityId);
}

export interface WatchOptions {
  /** Default: the running activity's own workflow history. */
  watch?: HistoryWatch;
  /** Heartbeats with the progress (default: the activity's). */
  heartbeat?: (progress: WatchProgress) => void;
}

/** `check` is the scaler's check (checkService); `o` is for tests (default: the running activity's). */
export function createWatchService(check: (input: CheckInput) => Promise<CheckResult>, o: WatchOptions = {}) {
  return async function watchService(input: WatchInput): Promise<WatchProgress> {
    const ctx = currentContext();
    const signal = ctx?.cancellationSignal;
    const heartbeat = o.heartbeat ?? (ctx ? (p: WatchProgress) => ctx.heartbeat(p) : () => undefined);
    const watch = o.watch ?? contextWatch(ctx);
    const resumed = ctx && ctx.info.attempt > 1 ? (ctx.info.heartbeatDetails as WatchProgress | undefined) : undefined;
    const progress: WatchProgress = resumed ?? {
      checks: [],
      state: { queue_state: input.queue_state, ...(input.engine ? { engine: input.engine } : {}), last_replicas: input.last_replicas, metric_failures: input.metric_failures },
      next_check_at: null,
      ended: 'running',
      ...(input.base_checks !== undefined ? { base_checks: input.base_checks } : {}),
    };
    // A retried attempt whose last one had already reached its end returns that end.
    if (progress.ended === 'change') return progress;
    progress.ended = 'running';

    // Stops every wait (and a check in progress) when something needs the workflow.
    let stop: 'event' | 'stopped' | undefined;
    let wakeUp: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (wakeUp = resolve));
    const stopWith = (why: 'event' | 'stopped') => {
      stop ??= why;
      wakeUp();
    };
    if (signal?.aborted) stopWith('stopped');
    signal?.addEventListener('abort', () => stopWith('stopped'), { once: true });
    // Never awaited to its end: it may outlive the activity by one long poll (its errors resolve it).
    void watch?.().then(() => stopWith('event'));
    const beat = setInterval(() => heartbeat(progress), input.heartbeat_seconds * 1000);
    // Timers may fire a millisecond early by the wall clock: wait until it is really `t`.
    const sleepUntil = async (t: number) => {
      for (let ms = t * 1000 - Date.now(); ms > 0 && !stop; ms = t * 1000 - Date.now()) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([stopped, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.ceil(ms))))]);
        clearTimeout(timer);
      }
    };

    try {
      const lastCheck = progress.checks[progress.checks.length - 1];
      let prevKey = lastCheck ? decisionKey(checkEntry(lastCheck.at, lastCheck.result, lastCheck.result.replicas)) : input.last_key;
      const nowS = () => Date.now() / 1000;
      const interval = input.service.check_interval;
      const after = Math.max(nowS(), lastCheck?.result.finished_at ?? input.not_before);
      let nextAt =
        input.check_now && !lastCheck ? nowS()
          : input.next_at !== null && !lastCheck ? Math.max(nowS(), input.next_at)
            : after + secondsToNextCheck(after, interval, input.phase);
      for (;;) {
        progress.next_check_at = nextAt;
        if (nextAt >= input.until) {
          await sleepUntil(input.until);
          progress.ended = stop ?? 'until';
          return withFound(progress);
        }
        await sleepUntil(nextAt);
        if (stop) break;
        const at = nowS();
        const st = progress.state;
        // Everything a check takes comes from the input (so a field added to CheckInput reaches
        // it), but the state, which is the one the previous check handed on.
        const { engine: _atStart, ...fromInput } = input;
        const checkInput: CheckInput = {
          ...fromInput,
          now: at,
          queue_state: st.queue_state,
          last_replicas: st.last_replicas,
          metric_failures: st.metric_failures,
          ...(st.engine ? { engine: st.engine } : {}),
        };
        // A check stopped half-way is dropped: it changed nothing, and the next one re-observes.
        const result = await Promise.race([check(checkInput), stopped.then(() => undefined)]);
        if (result === undefined) break;
        progress.state = {
          queue_state: result.queue_state,
          ...(result.decision ? { engine: result.decision.state } : st.engine ? { engine: st.engine } : {}),
          last_replicas: result.replicas,
          metric_failures: result.metric_failures,
        };
        const key = decisionKey(checkEntry(at, result, st.last_replicas));
        const change = needsApply(result, input.paused, input.service.dry_run) || key !== prevKey;
        const last = progress.checks[progress.checks.length - 1];
        if (!change && last) progress.checks[progress.checks.length - 1] = { at: last.at, last_at: at, checks: last.checks + 1, result };
        else progress.checks.push({ at, last_at: at, checks: 1, result });
        prevKey = key;
        const clock = Math.max(nowS(), result.finished_at);
        nextAt = clock + secondsToNextCheck(clock, interval, input.phase);
        progress.next_check_at = nextAt;
        if (change) {
          progress.ended = 'change';
          return withFound(progress);
        }
      }
      progress.ended = stop ?? 'stopped';
      return withFound(progress);
    } finally {
      clearInterval(beat);
    }
  };
}
