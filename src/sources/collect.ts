// One reading of every source of a service: the queue, each `external:` source and the runtime,
// in parallel, each bounded in time. A failing or silent source is reported by name, never fatal,
// and its metrics are left out (a scaler never scales on missing metrics). What a check
// (src/activities) and `docktor metrics` see is this, by construction.
import type { QueueConfig } from '../config/queue';
import { ConfigurationError } from '../errors';
import type { CollectResult, ServiceRef, SourceFailure, SourceName } from '../model/check';
import type { Json, Observations } from '../observations';
import type { QueueSource } from './queue-source';
import type { Runtime, RuntimeTarget } from '../runtimes/runtime';
import type { ExternalConfig } from '../config/external';
import { externalMetric, type ExternalSource } from './external/external-source';
import { messageOf, withDeadline } from './failures';

/** Where collection finds its plugins; tests pass in-memory ones. */
export interface PluginLookup {
  runtimeFor(target: RuntimeTarget): Runtime;
  queueSourceFor(config: QueueConfig): QueueSource;
  externalSourceFor?(config: ExternalConfig): ExternalSource;
}

/** A source that does not answer within this is a failed source, not a stuck check. */
export const SOURCE_TIMEOUT_MS = 20_000;

export function targetOf(ref: ServiceRef): RuntimeTarget {
  return { project: ref.project, compose_file: ref.compose_file, service: ref.service, runtime: ref.service.runtime };
}

export async function collectObservations(plugins: PluginLookup, ref: ServiceRef, queueState: Json | null, timeoutMs = SOURCE_TIMEOUT_MS): Promise<CollectResult> {
  const target = targetOf(ref);
  const queue = ref.service.queue;
  const externals = ref.service.external ?? [];
  const [runtime, queueReading, ...externalValues] = await Promise.allSettled([
    withDeadline(plugins.runtimeFor(target).observe(target), timeoutMs, 'the runtime source'),
    queue
      ? withDeadline(
          plugins.queueSourceFor(queue).read(queue, {
            window_seconds: ref.service.metrics_window,
            ...(queueState !== null ? { state: queueState } : {}),
          }),
          timeoutMs,
          'the queue source',
        )
      : Promise.resolve(undefined),
    ...externals.map((e) => {
      if (!plugins.externalSourceFor) return Promise.reject(new Error('this worker has no external sources'));
      return withDeadline(plugins.externalSourceFor(e).read(e), timeoutMs, `the ${externalMetric(e)} source`);
    }),
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
  externalValues.forEach((r, i) => {
    const name = externalMetric(externals[i]!) as SourceName;
    if (r.status === 'fulfilled') observations[name] = r.value;
    else failures.push(failureOf(name, r.reason));
  });
  return { observations: finiteOnly(observations), queue_state, failures };
}

function failureOf(source: SourceName, reason: unknown): SourceFailure {
  const error = reason instanceof Error ? `${reason.name}: ${messageOf(reason)}` : messageOf(reason);
  return { source, error, configuration: reason instanceof ConfigurationError };
}

/** A metric that is not a finite number is treated as missing: never scale on invalid data. */
function finiteOnly(o: Observations): Observations {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)));
}
