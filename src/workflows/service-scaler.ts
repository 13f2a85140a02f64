// `serviceScaler`: one long-lived workflow per service. Every check_interval it collects metrics
// (activity), decides (the pure engine, as a local activity) and applies the result (activity,
// idempotent), then records the decision. Signals and updates wake it at once.
import {
  ApplicationFailure,
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
import type { CollectResult, ScalerActivities } from '../activities/scaler-activities';
import { toFieldIssues } from '../config/issues';
import { ServiceSchema, type ServiceConfig } from '../config/service';
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
  overrideExpired,
  overrideProblem,
  statusOf,
  tailHistory,
  type HistoryEntry,
  type ScalerInput,
} from './scaler-state';
import { DocktorPaused, DocktorReplicas } from './search-attributes';

const { collectObservations } = proxyActivities<ScalerActivities>({
  summary: 'collect queue and runtime metrics',
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 2, initialInterval: '1s' },
});

const { decideService } = proxyLocalActivities<ScalerActivities>({
  summary: 'decide (pure engine)',
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3 },
});

/**
 * Scale-downs wait for the grace period of every stopped replica; leave room for it. A compose
 * service without `runtime.grace_period` uses its compose file's stop_grace_period, which the
 * workflow cannot see: allow 10 minutes then (a retried ensure is harmless, but wasteful).
 */
function applyActivity(service: ServiceConfig) {
  const rt = service.runtime;
  const grace = 'grace_period' in rt ? rt.grace_period : undefined;
  const timeoutS = grace === undefined ? 600 : Math.max(60, Math.ceil(grace * 2 + 60));
  return proxyActivities<ScalerActivities>({
    summary: `apply replicas (${rt.kind})`,
    startToCloseTimeout: `${timeoutS}s`,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigurationError'] },
  }).applyReplicas;
}

export async function serviceScaler(input: ScalerInput): Promise<void> {
  let service = input.service;
  const state = input.carried ?? initialState();
  let wake = false;
  const nowS = () => Date.now() / 1000;
  const current = (): ScalerInput => ({ ...input, service });
  const ref = () => ({ project: input.project, ...(input.compose_file ? { compose_file: input.compose_file } : {}), service });

  setHandler(pauseSignal, (args) => {
    state.paused = { since: nowS(), ...(args?.reason ? { reason: args.reason } : {}) };
    wake = true;
  }, { description: 'Stop acting (metrics and decisions are still recorded). Arg: { reason? }' });

  setHandler(resumeSignal, () => {
    state.paused = null;
    state.override = null;
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
      service = ServiceSchema.parse(raw);
      wake = true;
      return statusOf(current(), state);
    },
    {
      description: 'Replace the service config (as in docktor.yaml); validated, the name must not change.',
      validator: (raw) => {
        const parsed = ServiceSchema.safeParse(raw, { reportInput: true });
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
    const collected: CollectResult = await collectObservations({ ...ref(), queue_state: state.queue_state }).catch((e: unknown) => {
      if (isCancellation(e)) throw e;
      return { observations: {}, queue_state: state.queue_state, failures: [{ source: 'runtime' as const, error: String(e), configuration: false }] };
    });
    state.queue_state = collected.queue_state;
    if (collected.failures.length > 0) {
      state.failures.consecutive += 1;
      state.failures.total += 1;
      state.failures.last_error = collected.failures.map((f) => `${f.source}: ${f.error}`).join('; ');
      errors.push(...collected.failures.map((f) => `${f.source}: ${f.error}`));
    } else state.failures.consecutive = 0;

    const observations = collected.observations;
    const replicas = observations['replicas.current'] ?? state.replicas;
    state.last_check_at = at;
    state.checks += 1;
    if (replicas === null || replicas === undefined) {
      record({ at, action: 'hold', from: 0, to: 0, reason: 'replica count unknown: the runtime could not be read', limited_by: 'missing_metrics', observations, details: {}, applied: false, errors });
      return;
    }
    const decision = await decideService({
      now: at,
      service,
      current_replicas: replicas,
      observations,
      ...(state.engine ? { state: state.engine } : {}),
      paused: state.paused !== null,
      ...(state.override
        ? { override: { replicas: state.override.replicas, force: state.override.force, ...(state.override.reason ? { reason: state.override.reason } : {}) } }
        : {}),
      metric_failures: state.failures.consecutive,
    });
    const engineBefore = state.engine;
    state.engine = decision.state;
    const to = decision.target_replicas;
    let applied = false;
    state.replicas = replicas;
    if (to !== replicas && state.paused === null && !service.dry_run) {
      try {
        const result = await applyActivity(service)({ ...ref(), replicas: to });
        state.replicas = result.after;
        state.scales_applied += 1;
        applied = true;
      } catch (e) {
        if (isCancellation(e)) throw e;
        // The engine counted the change as made (cooldowns, rate limits); it was not.
        state.engine = engineBefore;
        state.failures.apply_failures += 1;
        errors.push(`apply: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
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
    publish();
  }

  try {
    publish();
    for (;;) {
      await check();
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof serviceScaler>({ ...input, service, carried: state });
      }
      const untilOverrideEnds = state.override?.until != null ? Math.max(0, state.override.until - nowS()) : Infinity;
      const waitS = Math.min(service.check_interval, untilOverrideEnds);
      state.next_check_at = nowS() + waitS;
      wake = false;
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
