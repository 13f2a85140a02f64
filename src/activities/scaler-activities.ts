// The activities of a scaler: thin shells that hand the workflow's inputs to the plugins
// (queue sources, runtimes) and to the pure decision engine.
//
// A check is `checkService`: collect (queue + runtime, in parallel, each failure recorded) then
// decide (the pure engine). The workflow runs checks through `watchService`
// (./watch-service.ts), one regular activity that runs many checks in a row and returns when
// something changes: a check then costs the server almost nothing (docs/architecture.md,
// "Durable cost"). The decisions still come from an activity, so they are recorded in the
// history and engine changes never break the replay of old histories. Applying is a regular
// activity of its own: it has side effects, can take minutes and must be retried durably.
//
// Custom strategy and policy modules run in this decide step (src/extend), in threads of the
// worker, each module imported once: restart the worker to load an edited module.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Decision } from '../decide/index';
import { EngineStateSchema, PredictiveStateSchema } from '../decide/input';
import { seedRecurring } from '../decide/strategies/predictive/recurring/seed';
import { replicaCeiling } from '../decide/safety/bounds';
import { ConfigurationError, NotOwnerError, SupersededError } from '../errors';
import { decideStep } from '../extend/decide-step';
import { ModuleHost } from '../extend/module-host';
import type { DocktorMetrics, ScalerRef } from '../metrics/docktor-metrics';
import { collectObservations, SOURCE_TIMEOUT_MS, targetOf, type PluginLookup } from '../sources/collect';
import type { ApplyInput, ApplyResult, CheckInput, CheckResult, CollectResult, ServiceRef } from '../model/check';
import { TrafficRecorder } from '../recording/recorder';
import { SecretStore } from '../sources/secrets';
import { withHeartbeat } from './heartbeat';
import { createWatchService } from './watch-service';

/**
 * How many attempts an apply makes on workers that do not own the process replicas, NOT_OWNER_RETRY
 * apart (about 1 s), before it fails and the next check decides again: retrying until the owner
 * happened to pick it up held a scaler's checks back for as long as the owner was gone; 3 attempts
 * on two workers missed a healthy owner 1 time in 8 (the chaos soak), 5 (the apply's retry
 * policy's maximum, service-scaler.ts) miss it 1 time in 32.
 */
export const NOT_OWNER_ATTEMPTS = 5;
const NOT_OWNER_RETRY = '250 ms';

export interface ScalerActivityOptions {
  sourceTimeoutMs?: number;
  /**
   * The worker's own copy of the services' config: the scalers carry their configs with secrets
   * masked (src/sources/secrets.ts), and activities restore them from here.
   */
  secrets?: SecretStore;
  /** Where strategy and policy modules run (default: a host of this worker's own). */
  modules?: ModuleHost;
  /** docktor's Prometheus metrics, updated by every check and apply. */
  metrics?: DocktorMetrics;
  /**
   * Where each check's row of traffic goes (src/recording; default: a recorder of this worker's,
   * writing under the state directory). Recording is on unless a service sets `recording.enabled: false`.
   */
  recorder?: TrafficRecorder;
}

export function createScalerActivities(plugins: PluginLookup, o: ScalerActivityOptions = {}) {
  const timeoutMs = o.sourceTimeoutMs ?? SOURCE_TIMEOUT_MS;
  const secrets = o.secrets ?? new SecretStore();
  const modules = o.modules ?? new ModuleHost();
  const recorder = o.recorder ?? new TrafficRecorder();
  /** The input with its service's secrets restored (ConfigurationError when this worker has none). */
  const unmasked = <T extends ServiceRef>(ref: T): T => ({ ...ref, service: secrets.restore(ref.project, ref.service) });
  const activities = {
    /** One check: collect, then decide with the pure engine (see the top of this file). */
    async checkService(input: CheckInput): Promise<CheckResult> {
      let collected: CollectResult;
      try {
        collected = await collectObservations(plugins, unmasked(input), input.queue_state, timeoutMs);
      } catch (e) {
        if (!(e instanceof ConfigurationError)) throw e;
        // No secret to read the sources with: every source failed, and the check says why.
        collected = { observations: {}, queue_state: input.queue_state, failures: [{ source: 'check', error: `${e.name}: ${e.message}`, configuration: true }] };
      }
      const metric_failures = collected.failures.length > 0 ? input.metric_failures + 1 : 0;
      const replicas = collected.observations['replicas.current'] ?? input.last_replicas;
      let decision: Decision | null = null;
      if (replicas !== null) {
        const engine = withForecastModel(input, recorder);
        const step = await decideStep(
          {
            now: input.now,
            service: input.service,
            current_replicas: replicas,
            observations: collected.observations,
            ...(engine ? { state: engine } : {}),
            paused: input.paused,
            ...(input.override ? { override: input.override } : {}),
            metric_failures,
          },
          modules,
          process.cwd(),
        );
        decision = step.decision;
        // A failed module is reported like a failed source (it is not a metric failure: no fallback).
        if (step.failure) collected.failures.push({ source: 'module', error: `${step.failure.role} ${step.failure.module}: ${step.failure.error}`, configuration: false });
      }
      o.metrics?.check(metricsRef(input), { ...collected, replicas, decision });
      const result = { ...collected, replicas, decision, metric_failures, finished_at: Date.now() / 1000 };
      // In the background, never failing the check (src/recording/recorder.ts).
      recorder.recordCheck(input, result);
      return result;
    },

    /** Idempotent: makes the count `replicas`, so a retry after a crash never scales twice. Heartbeats. */
    async applyReplicas(input: ApplyInput): Promise<ApplyResult> {
      try {
        const ceiling = replicaCeiling(input.service);
        if (!Number.isSafeInteger(input.replicas) || input.replicas < 0 || input.replicas > ceiling) {
          throw new ConfigurationError(`replicas: ${input.replicas} is not a whole number in 0..${ceiling} (the hard ceiling, replica_ceiling)`, 'replica_ceiling');
        }
        const target = targetOf(unmasked(input));
        const result = await withHeartbeat((signal) => plugins.runtimeFor(target).ensure(target, input.replicas, { ...(signal ? { signal } : {}), ...(input.seq !== undefined ? { seq: input.seq } : {}) }));
        o.metrics?.applied(metricsRef(input), result.before, result.after);
        const finished_at = Date.now() / 1000;
        recorder.recordApply(input, result.before, finished_at);
        return { ...result, finished_at };
      } catch (e) {
        // A superseded apply, or one on a worker that does not own the replicas, changed nothing: not recorded.
        if (!(e instanceof SupersededError) && !(e instanceof NotOwnerError)) recorder.recordApply(input, null, Date.now() / 1000);
        if (e instanceof ConfigurationError) throw ApplicationFailure.nonRetryable(e.message, 'ConfigurationError');
        if (e instanceof SupersededError) throw ApplicationFailure.nonRetryable(e.message, 'SupersededError');
        if (e instanceof NotOwnerError) {
          const attempt = currentAttempt();
          throw ApplicationFailure.create({
            message: `${e.message} (attempt ${attempt} of ${NOT_OWNER_ATTEMPTS} on a worker that is not the owner)`,
            type: 'NotOwnerError',
            nonRetryable: attempt >= NOT_OWNER_ATTEMPTS,
            nextRetryDelay: NOT_OWNER_RETRY,
          });
        }
        throw e;
      }
    },
  };
  /** Runs checks (each exactly a checkService) until something changes (./watch-service.ts). */
  return { ...activities, watchService: createWatchService((input) => activities.checkService(input)) };
}

/** The running activity's attempt (1 outside an activity: unit tests call the functions directly). */
function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

function metricsRef(ref: ServiceRef): ScalerRef {
  const sla = ref.service.sla?.max_pickup_seconds;
  return { project: ref.project, service: ref.service.name, check_interval: ref.service.check_interval, ...(sla !== undefined ? { sla_seconds: sla } : {}) };
}

export type ScalerActivities = ReturnType<typeof createScalerActivities>;

/**
 * The engine state to decide with: with sla.forecast on or in shadow and no model yet (a scaler
 * just started, or the forecast just switched on), the model learned from the service's
 * recording on this machine, so recurring bursts recorded before are not learned again.
 */
function withForecastModel(input: CheckInput, recorder: TrafficRecorder): CheckInput['engine'] {
  const s = input.service;
  if (s.strategy !== 'predictive' || s.sla === undefined || s.sla.forecast.mode === 'off' || input.engine?.predictive?.recurring !== undefined) return input.engine;
  const recurring = seedRecurring(recorder.recordedIntervals(input, input.now), s.check_interval, s.sla.forecast.min_periods);
  const engine = EngineStateSchema.parse(input.engine ?? {});
  return { ...engine, predictive: { ...PredictiveStateSchema.parse(engine.predictive ?? {}), recurring } };
}
