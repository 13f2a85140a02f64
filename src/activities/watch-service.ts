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
import { secondsToNextCheck } from '../model/check-schedule';
import { checkEntry, decisionKey, needsApply } from '../model/history-fold';
import type { CheckInput, CheckResult } from '../model/check';
import type { WatchInput, WatchProgress } from '../model/watch';
import { workerLongPolls, type LongPollBudget } from './history-long-polls';

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

/**
 * Resolves when the watched workflow's history gets input after this activity's schedule: `read`
 * for a `refresh` signal (a reader wants the checks so far: the check in hand is finished first,
 * so frequent reads cannot keep a slow check from ever completing), `event` for anything else
 * (another signal, an update, a cancellation, an error: the check in hand is dropped).
 */
export type HistoryWatch = (done: AbortSignal) => Promise<'read' | 'event'>;

/** The signal that only reads (src/workflows/definitions.ts refreshSignal). */
const READ_SIGNAL = 'refresh';

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
 * attempt was starting) counts too. Any other error resolves it: the stretch then ends after its
 * current check, so a signal is never missed for longer than one interval. It stops polling once
 * `done` (the watch has returned): the poll in flight then returns at the watch's own completion
 * event, and no other follows (each finished watch otherwise left a poll loop behind, woken by
 * every later event of the workflow: at 2,000 scalers thousands of them, issue 27).
 *
 * The frontend limits long polls per namespace (./history-long-polls.ts): without room in the
 * worker's budget, or once the frontend says RESOURCE_EXHAUSTED, the watch glances at the newest
 * events instead, every `glanceMs` (its check interval), and so wakes within that.
 */
export function historyWatch(client: Client, namespace: string, workflowId: string, runId: string, activityId: string, glanceMs: number, budget: LongPollBudget = workerLongPolls): HistoryWatch {
  const execution = { workflowId, runId };
  const wakes = (e: temporal.api.history.v1.IHistoryEvent): 'read' | 'event' | undefined =>
    e.eventType != null && WAKING.has(e.eventType) ? (e.workflowExecutionSignaledEventAttributes?.signalName === READ_SIGNAL ? 'read' : 'event') : undefined;
  const ours = (e: temporal.api.history.v1.IHistoryEvent) => e.eventType === ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityId === activityId;

  /** The newest events, newest first, down to this activity's schedule: what wakes it, if any. */
  const glance = async (): Promise<'read' | 'event' | undefined> => {
    const res = await client.workflowService.getWorkflowExecutionHistoryReverse({ namespace, execution, maximumPageSize: GLANCE_EVENTS });
    for (const e of res.history?.events ?? []) {
      if (ours(e)) return undefined;
      // The workflow is closed (a long poll learns it from the missing page token).
      if (e.eventType != null && CLOSED.has(e.eventType)) return 'event';
      const kind = wakes(e);
      if (kind) return kind;
    }
    return undefined;
  };

  return async (done: AbortSignal): Promise<'read' | 'event'> => {
    let token: Uint8Array | undefined;
    let scheduled = false;
    let long = budget.take();
    try {
      while (long && !done.aborted) {
        let res: temporal.api.workflowservice.v1.IGetWorkflowExecutionHistoryResponse;
        try {
          res = await client.workflowService.getWorkflowExecutionHistory({ namespace, execution, waitNewEvent: true, maximumPageSize: 1000, ...(token ? { nextPageToken: token } : {}) });
        } catch (e) {
          if (!resourceExhausted(e)) throw e;
          // Other workers hold the frontend's long polls: glance instead (below).
          budget.give();
          long = false;
          break;
        }
        for (const e of res.history?.events ?? []) {
          const kind = scheduled ? wakes(e) : undefined;
          if (kind) return kind;
          if (ours(e)) scheduled = true;
        }
        // No token: the workflow is closed.
        if (!res.nextPageToken || res.nextPageToken.length === 0) return 'event';
        token = res.nextPageToken;
      }
      while (!done.aborted) {
        const kind = await glance();
        if (kind) return kind;
        await abortableSleep(glanceMs, done);
      }
      return 'event';
    } catch {
      return 'event';
    } finally {
      if (long) budget.give();
    }
  };
}

const CLOSED = new Set<number>([
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
]);

/** Events a glance reads: the newest ones, which hold any input that came during one interval. */
const GLANCE_EVENTS = 50;

/** gRPC RESOURCE_EXHAUSTED: the frontend's limit of concurrent long polls (frontend.namespaceCount). */
function resourceExhausted(e: unknown): boolean {
  return typeof e === 'object' && e !== null && 'code' in e && e.code === 8;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** The history watch of the running activity; outside an activity (unit tests), none. */
function contextWatch(ctx: Context | undefined, intervalS: number): HistoryWatch | undefined {
  const i = ctx?.info;
  if (!ctx || !i?.workflowNamespace || !i.workflowExecution) return undefined;
  return historyWatch(ctx.client, i.workflowNamespace, i.workflowExecution.workflowId, i.workflowExecution.runId, i.activityId, Math.max(1000, intervalS * 1000));
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
    const watch = o.watch ?? contextWatch(ctx, input.service.check_interval);
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
    // A read during a check is answered after it (see HistoryWatch).
    let checking = false;
    let readAfterCheck = false;
    // Never awaited to its end: it may outlive the activity by one long poll (its errors resolve
    // it), and makes no other once `done` aborts.
    const done = new AbortController();
    void watch?.(done.signal).then((kind) => {
      if (kind === 'read' && checking) readAfterCheck = true;
      else stopWith('event');
    });
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
          // Right after the stretch's last check, not at `until`: the next watch then has a whole
          // interval to start before its first check, where waiting for `until` left it anything
          // from nothing to an interval (issue 27: at 2,000 scalers the checks after a stretch's
          // end were late). A stretch without a check still waits (else it would return at once, again and again).
          if (progress.checks.length === 0) await sleepUntil(input.until);
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
        checking = true;
        const result = await Promise.race([check(checkInput), stopped.then(() => undefined)]);
        checking = false;
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
        if (readAfterCheck) {
          progress.ended = 'event';
          return withFound(progress);
        }
      }
      progress.ended = stop ?? 'stopped';
      return withFound(progress);
    } finally {
      clearInterval(beat);
      done.abort();
    }
  };
}
