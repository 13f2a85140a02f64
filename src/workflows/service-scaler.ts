// `serviceScaler`: one long-lived workflow per service. Its checks (collect metrics + the pure
// engine, every check_interval on the scaler's grid) run inside a long `watchService` activity
// that folds the quiet ones and returns when there is something to record or do (issue 15,
// docs/architecture.md "Durable cost"); the workflow applies a change (a regular activity,
// idempotent) and records every decision. Signals and updates end a watch at once (a `refresh`
// read has it hand over what it has, without dropping the check in hand).
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CheckResult } from '../model/check';
import type { WatchInput, WatchProgress, WatchedCheck } from '../model/watch';
import { toFieldIssues } from '../config/issues';
import { changeLanded } from '../decide/change-landed';
import {
  ANSWERED_READS_KEPT,
  historyQuery,
  legacyRefreshUpdate,
  overrideUpdate,
  pauseSignal,
  presentQuery,
  READ_ID_MAX,
  refreshSignal,
  resumeSignal,
  setConfigUpdate,
  SET_CONFIG_REASON_MAX,
  type SetConfigArgs,
  statusQuery,
} from './definitions';
import { checkEntry, decisionKey, needsApply, recordEntry } from '../model/history-fold';
import {
  detailsMarkdown,
  initialState,
  makeOverride,
  makePause,
  noteFailures,
  overrideExpired,
  overrideProblem,
  statusOf,
  tailHistory,
  type HistoryEntry,
  type ScalerInput,
  type ScalerStatus,
} from '../model/scaler-state';
import { checkPhase } from '../model/check-schedule';
import { HOST_MISSING_PICKUP_SECONDS, HOST_PICKUP_SECONDS, hostMissingError, hostTaskQueue, serviceHost } from '../model/host-routing';
import {
  ACTIVE_HEARTBEAT_SHARE,
  ACTIVE_QUIET_SHARE,
  MIN_HEARTBEAT_SECONDS,
  WATCH_CHECK_ALLOWANCE_S,
  WATCH_HEARTBEAT_SECONDS,
  WATCH_QUIET_SECONDS,
  WATCH_WAKE_GRACE_MS,
  applyActivity,
  failureMessage,
  isPickupTimeout,
  watchActivity,
  type HostRoute,
  watchSummary,
} from './scaler-activity-options';
import { ScalerEvents } from './event-emitter';
import { DocktorPaused, DocktorReplicas } from './search-attributes';
import { serviceSchema } from './service-schema';

/** A read's id as the workflow keeps it; undefined when the argument has none (it comes from outside). */
function readId(args: unknown): string | undefined {
  const id: unknown = typeof args === 'object' && args !== null && 'id' in args ? args.id : undefined;
  return typeof id === 'string' ? id.slice(0, READ_ID_MAX) : undefined;
}

export async function serviceScaler(input: ScalerInput): Promise<void> {
  let service = input.service;
  const state = input.carried ?? initialState();
  let wake = false;
  /** Check again at once (an apply was stopped half-way: the count is unknown). */
  let checkAgain = false;
  const nowS = () => Date.now() / 1000;
  const phase = checkPhase(workflowInfo().workflowId);
  const quietS = input.watch?.quiet_seconds ?? WATCH_QUIET_SECONDS;
  const heartbeatS = input.watch?.heartbeat_seconds ?? WATCH_HEARTBEAT_SECONDS;
  /** Whether something changed since the last whole quiet stretch (see ACTIVE_QUIET_SHARE). */
  let active = true;
  // Workflow time is the start of the current workflow task and stands still while activities
  // run: the next check is timed from the (recorded) time the last one finished, else every
  // check would start late by the last one's duration.
  let checkedAt = 0;
  const current = (): ScalerInput => ({ ...input, service });
  // CloudEvents of each decision, delivered without holding up the loop (event-emitter.ts).
  const events = new ScalerEvents(state, () => ({ project: input.project, service, workflowId: workflowInfo().workflowId }), nowS);
  events.resume();
  const ref = () => ({ project: input.project, ...(input.compose_file ? { compose_file: input.compose_file } : {}), service });
  // The apply in progress, if any: pause, resume and override stop it (it may be starting many
  // replicas one by one), and the next check decides again at once.
  let applying: { scope: CancellationScope; by?: string; from: number; to: number; since: number } | undefined;
  // `refresh` reads: the running watch hands its checks over, the read is answered once they are recorded.
  let watching = false;
  let watchesHandled = 0;
  let refreshWanted = false;
  /** The ids of the last reads answered (newest last), for the `present` query. */
  let answered = input.answered_reads ?? [];
  const present = (): ScalerStatus => statusOf(current(), state, { now: nowS(), applying: applying ? { from: applying.from, to: applying.to, since: applying.since } : null });
  const interruptApply = (by: string) => {
    if (!applying || applying.by) return;
    applying.by = by;
    applying.scope.cancel();
  };

  setHandler(pauseSignal, (args) => {
    state.paused = makePause(args, nowS());
    interruptApply('pause');
    wake = true;
  }, { description: 'Stop acting (metrics and decisions are still recorded). Arg: { reason? }' });

  setHandler(resumeSignal, () => {
    state.paused = null;
    state.override = null;
    interruptApply('resume');
    wake = true;
  }, { description: 'Act again; also ends an override.' });

  setHandler(statusQuery, present, {
    description: 'Replicas, last decision, paused/override state, failure counters and next check time.',
  });

  setHandler(historyQuery, (args) => tailHistory(state.history, args?.tail), {
    description: 'Decision history, newest last. Arg: { tail?: number }.',
  });

  setHandler(
    refreshSignal,
    async (args) => {
      // A signal cannot be refused: one without a usable id still has the checks recorded.
      const id = readId(args);
      // Answered once the running watch's checks are recorded (it hands them over within
      // milliseconds, or is given up after WATCH_WAKE_GRACE_MS), or at once while applying.
      // (A watch waiting for a missing host's worker has nothing to hand over: answer at once.)
      if (watching && !state.host_missing_since) {
        const seen = watchesHandled;
        refreshWanted = true;
        await condition(() => watchesHandled > seen || applying !== undefined || !watching);
      }
      if (id !== undefined) answered = [...answered, id].slice(-ANSWERED_READS_KEPT);
    },
    { description: 'Record the checks of the running watch now (none is run early); the `present` query then answers its id. Arg: { id: string }.' },
  );

  // A run started before reads were a signal may hold `refresh` updates: its replay needs their
  // handler, as it was then. (Drop it once no such run is left: docs/operations.md, "Upgrades".)
  // Its lines repeat the signal's on purpose: a shared async step would add a microtask before
  // the update completes, which may move its completion among the commands of the activation
  // that a recorded history replays.
  if (!input.reads_by_signal) {
    setHandler(legacyRefreshUpdate, async (args) => {
      if (watching && !state.host_missing_since) {
        const seen = watchesHandled;
        refreshWanted = true;
        await condition(() => watchesHandled > seen || applying !== undefined || !watching);
      }
      return { status: present(), history: tailHistory(state.history, args.tail) };
    });
  }

  setHandler(
    presentQuery,
    (args) => (args?.id !== undefined && !answered.includes(readId(args) ?? '') ? null : { status: present(), history: tailHistory(state.history, args?.tail) }),
    { description: 'The status and the newest history entries, as of the last check. Arg: { tail?: number, id?: string }: with the id of a `refresh`, null until it is answered.' },
  );

  setHandler(
    overrideUpdate,
    (args) => {
      state.override = makeOverride(args, nowS());
      interruptApply('override');
      wake = true;
      return present();
    },
    {
      description: 'Pin replicas: { replicas, duration_seconds?, reason?, force? }. Within min..max unless force.',
      validator: (args) => {
        const problem = overrideProblem(args, service);
        if (problem) throw ApplicationFailure.nonRetryable(problem, 'InvalidOverride');
      },
    },
  );

  setHandler(
    setConfigUpdate,
    (raw: unknown, args?: SetConfigArgs) => {
      service = serviceSchema().parse(raw);
      if (args?.reason) {
        // Why the config changed (docktor tune --apply), as an entry of its own: no check made it.
        const replicas = state.replicas ?? 0;
        // Not a decision: no CloudEvent (record() would emit one).
        const entry: HistoryEntry = { at: nowS(), action: 'hold', from: replicas, to: replicas, reason: `config changed: ${args.reason}`, limited_by: null, observations: {}, details: { config_changed: true }, applied: false };
        state.history = recordEntry(state.history, entry, input.history_limit);
      }
      wake = true;
      return present();
    },
    {
      description: 'Replace the service config (as in docktor.yaml); validated, the name must not change. Second arg (optional): { reason } recorded in the history.',
      validator: (raw: unknown, args?: SetConfigArgs) => {
        if (args !== undefined && (typeof args !== 'object' || args === null || (args.reason !== undefined && (typeof args.reason !== 'string' || args.reason.length > SET_CONFIG_REASON_MAX)))) {
          throw ApplicationFailure.nonRetryable(`reason: must be text of at most ${SET_CONFIG_REASON_MAX} characters`, 'InvalidConfig');
        }
        const parsed = serviceSchema().safeParse(raw, { reportInput: true });
        if (!parsed.success) {
          throw ApplicationFailure.nonRetryable(toFieldIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; '), 'InvalidConfig');
        }
        if (parsed.data.name !== service.name) {
          throw ApplicationFailure.nonRetryable(`name: is "${parsed.data.name}", this scaler is for "${service.name}"`, 'InvalidConfig');
        }
      },
    },
  );

  // Search attributes cost a command and an event each: upsert only what changed.
  let published: { replicas: number; paused: boolean } | undefined;
  const publish = () => {
    setCurrentDetails(detailsMarkdown(present()));
    if (!input.search_attributes) return;
    const now = { replicas: state.replicas ?? 0, paused: state.paused !== null };
    if (published?.replicas === now.replicas && published.paused === now.paused) return;
    upsertSearchAttributes([
      { key: DocktorReplicas, value: now.replicas },
      { key: DocktorPaused, value: now.paused },
    ]);
    published = now;
  };

  /** The task queue of the service's host and how long to wait for its worker; none without `runtime.host`. */
  function hostRoute(): HostRoute | undefined {
    const host = serviceHost(service);
    if (!host) return undefined;
    return { taskQueue: hostTaskQueue(workflowInfo().taskQueue, host), pickupS: state.host_missing_since ? HOST_MISSING_PICKUP_SECONDS : (input.watch?.host_pickup_seconds ?? HOST_PICKUP_SECONDS) };
  }

  /** One watch: the checks it ran, or null when it was abandoned (its worker is gone). */
  async function watch(checkNow: boolean, plannedNext: number | null): Promise<WatchProgress | null> {
    const now = nowS();
    const last = state.history[state.history.length - 1];
    const stretchS = active ? quietS * ACTIVE_QUIET_SHARE : quietS;
    const beatS = active ? Math.max(heartbeatS * ACTIVE_HEARTBEAT_SHARE, Math.min(heartbeatS, MIN_HEARTBEAT_SECONDS)) : heartbeatS;
    const route = hostRoute();
    // While the host is missing the watch may wait for its worker: it checks at once when picked up.
    const waitS = route && state.host_missing_since ? route.pickupS : 0;
    if (waitS) checkNow = true;
    const until = Math.min(now + waitS + stretchS, state.override?.until ?? Infinity);
    const args: WatchInput = {
      ...ref(),
      queue_state: state.queue_state,
      last_replicas: state.replicas,
      ...(state.engine ? { engine: state.engine } : {}),
      paused: state.paused !== null,
      ...(state.override
        ? { override: { replicas: state.override.replicas, force: state.override.force, ...(state.override.reason ? { reason: state.override.reason } : {}) } }
        : {}),
      metric_failures: state.failures.consecutive,
      last_key: last && !last.applied ? decisionKey(last) : null,
      check_now: checkNow,
      not_before: checkedAt,
      next_at: plannedNext,
      phase,
      until,
      heartbeat_seconds: beatS,
      base_checks: state.checks,
    };
    const scope = new CancellationScope();
    type Outcome = { ok: WatchProgress } | { error: unknown };
    let outcome: Outcome | undefined;
    const running = scope
      .run(() => watchActivity(watchSummary(service.check_interval, checkNow, until), until - now + WATCH_CHECK_ALLOWANCE_S, beatS, route)(args))
      .then((ok): Outcome => (outcome = { ok }), (error: unknown): Outcome => (outcome = { error }));
    watching = true;
    await condition(() => outcome !== undefined || wake || refreshWanted);
    // A read: the watch hands over within milliseconds. No grace timer (a timer is an action): a
    // watch on a dead worker is then noticed by its heartbeat timeout, as without the read.
    if (outcome === undefined && !wake) await condition(() => outcome !== undefined || wake);
    if (outcome === undefined && !(await condition(() => outcome !== undefined, WATCH_WAKE_GRACE_MS))) {
      log.warn('watch did not return on a signal: its worker is gone; going on without it', { service: service.name });
      scope.cancel();
    }
    const settled = await running;
    watching = false;
    if ('ok' in settled) {
      if (route) state.host_missing_since = null;
      return settled.ok;
    }
    const e = settled.error;
    // Abandoned above (not the workflow's own cancellation): the next watch checks at once.
    if (isCancellation(e) && !CancellationScope.current().consideredCancelled && scope.consideredCancelled) return null;
    if (isCancellation(e)) throw e;
    const at = nowS();
    // No worker of the host took it: hold (limited_by host) and never check or apply elsewhere.
    const hostMissing = route && isPickupTimeout(e);
    if (hostMissing) state.host_missing_since ??= at;
    // Otherwise a bug or a worker that keeps dying: recorded as a failed check, as a failed check was.
    const failure = hostMissing
      ? { source: 'host' as const, error: hostMissingError(serviceHost(service) ?? '?', route.pickupS, 'check'), configuration: false }
      : { source: 'check' as const, error: failureMessage(e), configuration: false };
    const failures = hostMissing ? state.failures.consecutive : state.failures.consecutive + 1;
    const result: CheckResult = { observations: {}, queue_state: state.queue_state, failures: [failure], replicas: state.replicas, decision: null, metric_failures: failures, finished_at: at };
    return { checks: [{ at, last_at: at, checks: 1, result }], state: { queue_state: state.queue_state, last_replicas: state.replicas, metric_failures: result.metric_failures }, next_check_at: null, ended: 'change' };
  }

  /** Records checks a watch ran (folded ones as one entry) and applies a change. */
  async function handle(c: WatchedCheck): Promise<void> {
    const checked = c.result;
    checkedAt = checked.finished_at;
    state.queue_state = checked.queue_state;
    // Folded checks share one outcome: it last failed at the last of them, or cleared at the first.
    const sourceErrors = checked.failures.map((f) => `${f.source}: ${f.error}`);
    state.failures = noteFailures({ ...state.failures, consecutive: checked.metric_failures }, sourceErrors, sourceErrors.length ? c.last_at : c.at, c.checks);
    state.last_check_at = c.last_at;
    state.checks += c.checks;
    const entry: HistoryEntry = { ...checkEntry(c.at, checked, state.replicas), ...(c.checks > 1 ? { checks: c.checks, last_at: c.last_at } : {}) };
    const { replicas, decision } = checked;
    if (replicas === null || decision === null) return record(entry);
    const engineBefore = state.engine;
    state.engine = decision.state;
    const to = decision.target_replicas;
    const errors = [...(entry.errors ?? [])];
    let applied = false;
    state.replicas = replicas;
    if (needsApply(checked, state.paused !== null, service.dry_run)) {
      const scope = new CancellationScope();
      const mine: NonNullable<typeof applying> = { scope, from: replicas, to, since: nowS() };
      applying = mine;
      const route = hostRoute();
      try {
        const apply = applyActivity(service, replicas, to, route);
        // The fence (EnsureOptions.seq): workflow time, but always above the last one. Workflow time
        // alone can go back: a workflow task retried after its worker died ran with the time of
        // the task before it, 20 s behind an apply already scheduled (found by the chaos soak).
        const seq = Math.max(Date.now(), (state.apply_seq ?? 0) + 1);
        state.apply_seq = seq;
        const result = await scope.run(() => apply({ ...ref(), replicas: to, seq }));
        state.replicas = result.after;
        // Cooldowns run from when the change landed (a result from an older worker has no time: then from the decision).
        state.engine = changeLanded(decision.state, c.last_at, result.finished_at ?? c.last_at);
        state.scales_applied += 1;
        applied = true;
      } catch (e) {
        // Cancelled by pause/resume/override (not the workflow's own cancellation): the count is
        // whatever was reached; the next check, right away, observes it and decides again.
        if (isCancellation(e) && mine.by !== undefined && !CancellationScope.current().consideredCancelled) {
          state.engine = engineBefore;
          errors.push(`apply: stopped by ${mine.by} before reaching ${to}`);
          checkAgain = true;
        } else if (isCancellation(e)) throw e;
        else {
          // The engine counted the change as made (cooldowns, rate limits); it was not.
          state.engine = engineBefore;
          state.failures.apply_failures += 1;
          const host = serviceHost(service);
          errors.push(`apply: ${route && host && isPickupTimeout(e) ? hostMissingError(host, route.pickupS, 'apply') : failureMessage(e)}`);
        }
      } finally {
        applying = undefined;
      }
    }
    const { errors: _sourceErrors, ...rest } = entry;
    record({ ...rest, applied, ...(errors.length ? { errors } : {}) });
  }

  function record(entry: HistoryEntry): void {
    state.history = recordEntry(state.history, entry, input.history_limit);
    events.decided(entry);
    publish();
  }

  try {
    publish();
    let checkNow = true;
    let plannedNext: number | null = null;
    for (;;) {
      if (overrideExpired(state.override, nowS())) {
        state.override = null;
        checkNow = true;
      }
      wake = false;
      refreshWanted = false;
      const watched = await watch(checkNow, plannedNext);
      // Ended for a read only: the next watch goes on at the same pace, on the same grid.
      const forRead = refreshWanted && !wake;
      checkNow = watched === null;
      // A watch that ended with a change leaves the next check to the grid after the apply.
      plannedNext = watched && watched.ended !== 'change' ? watched.next_check_at : null;
      if (watched) {
        for (const c of watched.checks) await handle(c);
        state.next_check_at = watched.next_check_at;
        // Again after the records (which published the previous watch's next check, before the
        // checks they list). No command: the search attributes were upserted by the records.
        publish();
      }
      watchesHandled += 1;
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await events.settle();
        await continueAsNew<typeof serviceScaler>({ ...input, service, carried: state, answered_reads: answered, reads_by_signal: true });
      }
      // A signal or update (during the watch or an apply), or an apply stopped half-way: check at once.
      checkNow ||= wake || checkAgain;
      // Back to long stretches only after a whole short one of identical decisions.
      // (A watch that reached `until` ran identical decisions only: any other returns at once.)
      active = checkNow || (watched?.ended === 'until' ? false : forRead && watched?.ended === 'event' ? active : true);
      checkAgain = false;
    }
  } catch (e) {
    if (isCancellation(e)) {
      log.info('scaler stopped', { service: service.name });
      return;
    }
    throw e;
  }
}
