// `serviceScaler`: one long-lived workflow per service. Every check_interval it collects metrics
// and decides (the pure engine) in one local activity, applies the result (a regular activity,
// idempotent) and records the decision. Signals and updates wake it at once.
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { CheckResult, ScalerActivities } from '../activities/scaler-activities';
import { toFieldIssues } from '../config/issues';
import type { ServiceConfig } from '../config/service';
import {
  historyQuery,
  overrideUpdate,
  pauseSignal,
  resumeSignal,
  setConfigUpdate,
  statusQuery,
} from './definitions';
import {
  appendHistory,
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
} from './scaler-state';
import { checkPhase, secondsToNextCheck } from './check-schedule';
import { ScalerEvents } from './event-emitter';
import { DocktorPaused, DocktorReplicas } from './search-attributes';
import { serviceSchema } from './service-schema';

// Collect + decide as one local activity (why: src/activities/scaler-activities.ts). A failed
// source is a result, not an error; the activity fails only on a bug or a stuck worker, and is
// then retried once.
const { checkService } = proxyLocalActivities<ScalerActivities>({
  summary: 'collect metrics and decide',
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 2, initialInterval: '1s' },
});

/**
 * Scale-downs wait for the grace period of every stopped replica; leave room for it. A compose
 * service without `runtime.grace_period` uses its compose file's stop_grace_period, which the
 * workflow cannot see: allow 10 minutes then (a retried ensure is harmless, but wasteful).
 * The activity heartbeats every second: a worker that dies mid-apply is noticed after
 * APPLY_HEARTBEAT_TIMEOUT and the apply retried, not after the start-to-close timeout; and a
 * cancellation (pause, resume, override) reaches it through the heartbeats. Cancelling waits
 * for the activity to stop, so the next check never races a scale still in progress.
 */
export const APPLY_HEARTBEAT_TIMEOUT = '5s';

function applyActivity(service: ServiceConfig, from: number, to: number) {
  const rt = service.runtime;
  const grace = 'grace_period' in rt ? rt.grace_period : undefined;
  const timeoutS = grace === undefined ? 600 : Math.max(60, Math.ceil(grace * 2 + 60));
  return proxyActivities<ScalerActivities>({
    summary: `apply replicas ${from}→${to} (${rt.kind})`,
    startToCloseTimeout: `${timeoutS}s`,
    heartbeatTimeout: APPLY_HEARTBEAT_TIMEOUT,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigurationError'] },
  }).applyReplicas;
}

/** An activity failure's own message (ActivityFailure wraps the cause). */
function failureMessage(e: unknown): string {
  return e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
}

export async function serviceScaler(input: ScalerInput): Promise<void> {
  let service = input.service;
  const state = input.carried ?? initialState();
  let wake = false;
  /** Check again at once (an apply was stopped half-way: the count is unknown). */
  let checkAgain = false;
  const nowS = () => Date.now() / 1000;
  const phase = checkPhase(workflowInfo().workflowId);
  // Workflow time is the start of the current workflow task and stands still while the check's
  // local activity runs; a timer starts when the task completes. So the next check is timed from
  // the (recorded) time the check finished, else every check would start late by the last one's
  // duration.
  let checkedAt = 0;
  const current = (): ScalerInput => ({ ...input, service });
  // CloudEvents of each decision, delivered without holding up the loop (event-emitter.ts).
  const events = new ScalerEvents(state, () => ({ project: input.project, service, workflowId: workflowInfo().workflowId }), nowS);
  events.resume();
  const ref = () => ({ project: input.project, ...(input.compose_file ? { compose_file: input.compose_file } : {}), service });
  // The apply in progress, if any: pause, resume and override stop it (it may be starting many
  // replicas one by one), and the next check decides again at once.
  let applying: { scope: CancellationScope; by?: string } | undefined;
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

  setHandler(statusQuery, () => statusOf(current(), state), {
    description: 'Replicas, last decision, paused/override state, failure counters and next check time.',
  });

  setHandler(historyQuery, (args) => tailHistory(state.history, args?.tail), {
    description: 'Decision history, newest last. Arg: { tail?: number }.',
  });

  setHandler(
    overrideUpdate,
    (args) => {
      state.override = makeOverride(args, nowS());
      interruptApply('override');
      wake = true;
      return statusOf(current(), state);
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
    (raw) => {
      service = serviceSchema().parse(raw);
      wake = true;
      return statusOf(current(), state);
    },
    {
      description: 'Replace the service config (as in docktor.yaml); validated, the name must not change.',
      validator: (raw) => {
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
    setCurrentDetails(detailsMarkdown(statusOf(current(), state)));
    if (!input.search_attributes) return;
    const now = { replicas: state.replicas ?? 0, paused: state.paused !== null };
    if (published?.replicas === now.replicas && published.paused === now.paused) return;
    upsertSearchAttributes([
      { key: DocktorReplicas, value: now.replicas },
      { key: DocktorPaused, value: now.paused },
    ]);
    published = now;
  };

  async function check(): Promise<void> {
    const at = nowS();
    if (overrideExpired(state.override, at)) state.override = null;
    const errors: string[] = [];
    let checked: CheckResult;
    try {
      checked = await checkService({
        ...ref(),
        now: at,
        queue_state: state.queue_state,
        last_replicas: state.replicas,
        ...(state.engine ? { engine: state.engine } : {}),
        paused: state.paused !== null,
        ...(state.override
          ? { override: { replicas: state.override.replicas, force: state.override.force, ...(state.override.reason ? { reason: state.override.reason } : {}) } }
          : {}),
        metric_failures: state.failures.consecutive,
      });
    } catch (e) {
      if (isCancellation(e)) throw e;
      const failure = { source: 'check' as const, error: failureMessage(e), configuration: false };
      checked = { observations: {}, queue_state: state.queue_state, failures: [failure], replicas: state.replicas, decision: null, metric_failures: state.failures.consecutive + 1, finished_at: nowS() };
    }
    checkedAt = checked.finished_at;
    state.queue_state = checked.queue_state;
    errors.push(...checked.failures.map((f) => `${f.source}: ${f.error}`));
    state.failures = noteFailures({ ...state.failures, consecutive: checked.metric_failures }, errors, at);

    const { observations, replicas, decision } = checked;
    state.last_check_at = at;
    state.checks += 1;
    if (replicas === null || decision === null) {
      const reason = replicas === null ? 'replica count unknown: the runtime could not be read' : 'the check failed: nothing decided';
      const known = state.replicas ?? 0;
      record({ at, action: 'hold', from: known, to: known, reason, limited_by: 'missing_metrics', observations, details: {}, applied: false, errors });
      return;
    }
    const engineBefore = state.engine;
    state.engine = decision.state;
    const to = decision.target_replicas;
    let applied = false;
    state.replicas = replicas;
    if (to !== replicas && state.paused === null && !service.dry_run) {
      const scope = new CancellationScope();
      const mine: { scope: CancellationScope; by?: string } = { scope };
      applying = mine;
      try {
        const apply = applyActivity(service, replicas, to);
        const result = await scope.run(() => apply({ ...ref(), replicas: to }));
        state.replicas = result.after;
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
          errors.push(`apply: ${failureMessage(e)}`);
        }
      } finally {
        applying = undefined;
      }
    }
    record({
      at,
      action: decision.action,
      from: replicas,
      to,
      reason: decision.reason,
      limited_by: decision.limited_by,
      observations,
      details: decision.details,
      applied,
      ...(errors.length ? { errors } : {}),
    });
  }

  function record(entry: HistoryEntry): void {
    const { errors, ...rest } = entry;
    state.history = appendHistory(state.history, errors && errors.length ? entry : rest, input.history_limit);
    events.decided(entry);
    publish();
  }

  try {
    publish();
    for (;;) {
      await check();
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await events.settle();
        await continueAsNew<typeof serviceScaler>({ ...input, service, carried: state });
      }
      const clock = Math.max(nowS(), checkedAt);
      const untilOverrideEnds = state.override?.until != null ? Math.max(0, state.override.until - clock) : Infinity;
      const waitS = Math.min(secondsToNextCheck(clock, service.check_interval, phase), untilOverrideEnds);
      state.next_check_at = clock + waitS;
      wake = checkAgain;
      checkAgain = false;
      await condition(() => wake, Math.max(1, Math.round(waitS * 1000)), { summary: 'wait for the next check' });
    }
  } catch (e) {
    if (isCancellation(e)) {
      log.info('scaler stopped', { service: service.name });
      return;
    }
    throw e;
  }
}
