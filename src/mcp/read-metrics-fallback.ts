// Stand-in for src/sources/read-metrics.ts (the function behind `docktor metrics`, landing on
// main): the queue and the runtime of a service read twice, `gapMs` apart, with the plugins of
// the registries. Same names and shapes, so switching is an import change.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/load';
import type { ServiceConfig } from '../config/service';
import type { Json, Observations } from '../observations';
import { closeQueueSources, queueSourceFor } from '../queues/registry';
import { closeRuntimes, runtimeFor } from '../runtimes/registry';

export interface ServiceMetrics {
  service: string;
  observations: Observations;
  failures: Array<{ source: string; error: string }>;
}

export const DEFAULT_METRICS_GAP_MS = 2000;

export async function readServiceMetrics(config: Config, services: ServiceConfig[], o: { gapMs?: number } = {}): Promise<ServiceMetrics[]> {
  const gapMs = o.gapMs ?? DEFAULT_METRICS_GAP_MS;
  return Promise.all(
    services.map(async (service) => {
      const first = await readOnce(config, service, null);
      if (gapMs <= 0) return first.metrics;
      await sleep(gapMs);
      return (await readOnce(config, service, first.state)).metrics;
    }),
  );
}

async function readOnce(config: Config, service: ServiceConfig, state: Json | null): Promise<{ metrics: ServiceMetrics; state: Json | null }> {
  const target = { project: config.project, compose_file: config.compose_file, service, runtime: service.runtime };
  const queue = service.queue;
  const [runtime, reading] = await Promise.allSettled([
    runtimeFor(target).observe(target),
    queue ? queueSourceFor(queue).read(queue, { window_seconds: service.metrics_window, ...(state !== null ? { state } : {}) }) : Promise.resolve(undefined),
  ]);
  const observations: Observations = {};
  const failures: ServiceMetrics['failures'] = [];
  if (runtime.status === 'fulfilled') Object.assign(observations, runtime.value);
  else failures.push({ source: 'runtime', error: String(runtime.reason) });
  if (reading.status === 'fulfilled') Object.assign(observations, reading.value?.observations ?? {});
  else failures.push({ source: 'queue', error: String(reading.reason) });
  return { metrics: { service: service.name, observations, failures }, state: reading.status === 'fulfilled' ? (reading.value?.state ?? null) : state };
}

export async function closeBuiltInPlugins(): Promise<void> {
  await Promise.allSettled([closeRuntimes(), closeQueueSources()]);
}
