// The activities of a scaler: thin shells that hand the workflow's inputs to the plugins
// (queue sources, runtimes) and to the pure decision engine.
import { ApplicationFailure } from '@temporalio/common';
import type { QueueConfig } from '../config/queue';
import type { ServiceConfig } from '../config/service';
import { decide, type Decision } from '../decide/index';
import type { DecisionInput } from '../decide/input';
import { ConfigurationError } from '../errors';
import type { Json, Observations } from '../observations';
import type { QueueSource } from '../queues/queue-source';
import type { Runtime, RuntimeTarget, ScaleResult } from '../runtimes/runtime';

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

export interface CollectInput extends ServiceRef {
  queue_state: Json | null;
}

export interface SourceFailure {
  source: 'queue' | 'runtime';
  error: string;
  /** The config disagrees with the live system (retrying will not help). */
  configuration: boolean;
}

export interface CollectResult {
  observations: Observations;
  queue_state: Json | null;
  failures: SourceFailure[];
}

export interface ApplyInput extends ServiceRef {
  replicas: number;
}

export function targetOf(ref: ServiceRef): RuntimeTarget {
  return { project: ref.project, compose_file: ref.compose_file, service: ref.service, runtime: ref.service.runtime };
}

export function createScalerActivities(plugins: PluginLookup) {
  return {
    /** Queue and runtime metrics in parallel; a failing source is reported, not fatal. */
    async collectObservations(input: CollectInput): Promise<CollectResult> {
      const target = targetOf(input);
      const queue = input.service.queue;
      const [runtime, queueReading] = await Promise.allSettled([
        plugins.runtimeFor(target).observe(target),
        queue
          ? plugins.queueSourceFor(queue).read(queue, {
              window_seconds: input.service.metrics_window,
              ...(input.queue_state !== null ? { state: input.queue_state } : {}),
            })
          : Promise.resolve(undefined),
      ]);
      const failures: SourceFailure[] = [];
      const observations: Observations = {};
      let queue_state = input.queue_state;
      if (runtime.status === 'fulfilled') Object.assign(observations, runtime.value);
      else failures.push(failureOf('runtime', runtime.reason));
      if (queueReading.status === 'fulfilled') {
        if (queueReading.value) {
          Object.assign(observations, queueReading.value.observations);
          queue_state = queueReading.value.state;
        }
      } else failures.push(failureOf('queue', queueReading.reason));
      return { observations: finiteOnly(observations), queue_state, failures };
    },

    /** Idempotent: makes the count `replicas`, so a retry after a crash never scales twice. */
    async applyReplicas(input: ApplyInput): Promise<ScaleResult> {
      const target = targetOf(input);
      try {
        return await plugins.runtimeFor(target).ensure(target, input.replicas);
      } catch (e) {
        if (e instanceof ConfigurationError) throw ApplicationFailure.nonRetryable(e.message, 'ConfigurationError');
        throw e;
      }
    },

    /** The pure engine, run as a local activity so that engine changes never break replay. */
    async decideService(input: DecisionInput): Promise<Decision> {
      return decide(input);
    },
  };
}

export type ScalerActivities = ReturnType<typeof createScalerActivities>;

function failureOf(source: SourceFailure['source'], reason: unknown): SourceFailure {
  const error = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  return { source, error, configuration: reason instanceof ConfigurationError };
}

/** A metric that is not a finite number is treated as missing: never scale on invalid data. */
function finiteOnly(o: Observations): Observations {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));
}
