// The activities of a scaler: thin shells that hand the workflow's inputs to the plugins
// (queue sources, runtimes) and to the pure decision engine.
//
// A check is ONE local activity, `checkService`: collect (queue + runtime, in parallel, each
// failure recorded) then decide (the pure engine). Local, because both are short and read-only:
// a check then costs the server one workflow task and the worker two activations, instead of two
// workflow tasks and an activity task (docs/benchmarks.md, fleet). The decision still runs in an
// activity, so its result is recorded in the history and engine changes never break the replay
// of old histories. Applying is a regular activity: it has side effects, can take minutes and
// must be retried durably.
import { ApplicationFailure } from '@temporalio/common';
import type { QueueConfig } from '../config/queue';
import type { ServiceConfig } from '../config/service';
import { decide, type Decision } from '../decide/index';
import { replicaCeiling } from '../decide/safety/bounds';
import type { DecisionInput, EngineState } from '../decide/input';
import { ConfigurationError } from '../errors';
import type { Json, Observations } from '../observations';
import type { QueueSource } from '../queues/queue-source';
import type { Runtime, RuntimeTarget, ScaleResult } from '../runtimes/runtime';
import { withHeartbeat } from './heartbeat';

/** Where activities find their plugins; tests pass in-memory ones. */
export interface PluginLookup {
  runtimeFor(target: RuntimeTarget): Runtime;
  queueSourceFor(config: QueueConfig): QueueSource;
}

export interface ServiceRef {
  project: string;
  compose_file?: string;
  service: ServiceConfig;
}

export interface CheckInput extends ServiceRef {
  /** The check's time (workflow time, unix seconds). */
  now: number;
  queue_state: Json | null;
  /** The last known replica count: used when the runtime cannot be read. */
  last_replicas: number | null;
  engine?: EngineState;
  paused: boolean;
  override?: DecisionInput['override'];
  /** Consecutive earlier checks at which a metric source failed. */
  metric_failures: number;
}

export interface SourceFailure {
  /** `check`: the check activity itself failed (a bug or a stuck worker), after its retry. */
  source: 'queue' | 'runtime' | 'check';
  error: string;
  /** The config disagrees with the live system (retrying will not help). */
  configuration: boolean;
}

export interface CollectResult {
  observations: Observations;
  queue_state: Json | null;
  failures: SourceFailure[];
}

export interface CheckResult extends CollectResult {
  /** The count decided from: observed, else the last known; null when neither exists. */
  replicas: number | null;
  /** Null when the replica count is unknown: there is nothing to decide from. */
  decision: Decision | null;
  /** Consecutive checks at which a metric source failed, this one included. */
  metric_failures: number;
  /**
   * The worker's clock (unix seconds) when the check finished. Workflow time stands still during
   * a workflow task, so the workflow times its next check from this (recorded, so replay-safe).
   */
  finished_at: number;
}

/** A source that does not answer within this is a failed source, not a stuck check. */
const SOURCE_TIMEOUT_MS = 20_000;

export interface ApplyInput extends ServiceRef {
  replicas: number;
}

export function targetOf(ref: ServiceRef): RuntimeTarget {
  return { project: ref.project, compose_file: ref.compose_file, service: ref.service, runtime: ref.service.runtime };
}

/** Queue and runtime metrics in parallel; a failing (or silent) source is reported, not fatal. */
async function collectObservations(plugins: PluginLookup, ref: ServiceRef, queueState: Json | null, timeoutMs: number): Promise<CollectResult> {
  const target = targetOf(ref);
  const queue = ref.service.queue;
  const [runtime, queueReading] = await Promise.allSettled([
    withTimeout(plugins.runtimeFor(target).observe(target), 'runtime', timeoutMs),
    queue
      ? withTimeout(
          plugins.queueSourceFor(queue).read(queue, {
            window_seconds: ref.service.metrics_window,
            ...(queueState !== null ? { state: queueState } : {}),
          }),
          'queue',
          timeoutMs,
        )
      : Promise.resolve(undefined),
  ]);
  const failures: SourceFailure[] = [];
  const observations: Observations = {};
  let queue_state = queueState;
  if (runtime.status === 'fulfilled') Object.assign(observations, runtime.value);
  else failures.push(failureOf('runtime', runtime.reason));
  if (queueReading.status === 'fulfilled') {
    if (queueReading.value) {
      Object.assign(observations, queueReading.value.observations);
      queue_state = queueReading.value.state;
    }
  } else failures.push(failureOf('queue', queueReading.reason));
  return { observations: finiteOnly(observations), queue_state, failures };
}

export function createScalerActivities(plugins: PluginLookup, o: { sourceTimeoutMs?: number } = {}) {
  const timeoutMs = o.sourceTimeoutMs ?? SOURCE_TIMEOUT_MS;
  return {
    /** One check: collect, then decide with the pure engine (see the top of this file). */
    async checkService(input: CheckInput): Promise<CheckResult> {
      const collected = await collectObservations(plugins, input, input.queue_state, timeoutMs);
      const metric_failures = collected.failures.length > 0 ? input.metric_failures + 1 : 0;
      const replicas = collected.observations['replicas.current'] ?? input.last_replicas;
      const decision =
        replicas === null
          ? null
          : decide({
              now: input.now,
              service: input.service,
              current_replicas: replicas,
              observations: collected.observations,
              ...(input.engine ? { state: input.engine } : {}),
              paused: input.paused,
              ...(input.override ? { override: input.override } : {}),
              metric_failures,
            });
      return { ...collected, replicas, decision, metric_failures, finished_at: Date.now() / 1000 };
    },

    /** Idempotent: makes the count `replicas`, so a retry after a crash never scales twice. Heartbeats. */
    async applyReplicas(input: ApplyInput): Promise<ScaleResult> {
      const target = targetOf(input);
      try {
        const ceiling = replicaCeiling(input.service);
        if (!Number.isSafeInteger(input.replicas) || input.replicas < 0 || input.replicas > ceiling) {
          throw new ConfigurationError(`replicas: ${input.replicas} is not a whole number in 0..${ceiling} (the hard ceiling, replica_ceiling)`, 'replica_ceiling');
        }
        return await withHeartbeat((signal) => plugins.runtimeFor(target).ensure(target, input.replicas, signal));
      } catch (e) {
        if (e instanceof ConfigurationError) throw ApplicationFailure.nonRetryable(e.message, 'ConfigurationError');
        throw e;
      }
    },
  };
}

export type ScalerActivities = ReturnType<typeof createScalerActivities>;

function withTimeout<T>(work: Promise<T>, source: SourceFailure['source'], ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the ${source} source did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

function failureOf(source: SourceFailure['source'], reason: unknown): SourceFailure {
  const error = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  return { source, error, configuration: reason instanceof ConfigurationError };
}

/** A metric that is not a finite number is treated as missing: never scale on invalid data. */
function finiteOnly(o: Observations): Observations {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));
}
