// What docktor sees, read on demand: every source of each service read as a check reads it
// (`docktor metrics`, the MCP metrics tools). Rates need two samples, so each service is read
// twice, `gapMs` apart, the second read given the first one's state: rates come from those two
// samples, or are absent when the source has no counters.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/load';
import type { ServiceConfig } from '../config/service';
import type { Observations } from '../observations';
import { builtInPlugins } from '../plugins';
import { collectObservations, type PluginLookup } from '../sources/collect';
import type { SourceName } from '../model/check';

export interface ServiceMetrics {
  service: string;
  observations: Observations;
  failures: Array<{ source: SourceName; error: string }>;
}

export interface ReadMetricsOptions {
  /** Pause between the two reads, ms (default 2000; 0: one read, no rates). */
  gapMs?: number;
  /** Default: the built-in registries (the caller closes them). */
  plugins?: PluginLookup;
}

export const DEFAULT_METRICS_GAP_MS = 2000;

export async function readServiceMetrics(config: Config, services: ServiceConfig[], o: ReadMetricsOptions = {}): Promise<ServiceMetrics[]> {
  const plugins = o.plugins ?? (await builtInPlugins());
  const gapMs = o.gapMs ?? DEFAULT_METRICS_GAP_MS;
  const refOf = (service: ServiceConfig) => ({ project: config.project, ...(config.compose_file ? { compose_file: config.compose_file } : {}), service });
  const first = await Promise.all(services.map((s) => collectObservations(plugins, refOf(s), null)));
  if (gapMs <= 0) return services.map((s, i) => summary(s, first[i]!));
  await sleep(gapMs);
  const second = await Promise.all(services.map((s, i) => collectObservations(plugins, refOf(s), first[i]!.queue_state)));
  return services.map((s, i) => summary(s, second[i]!));
}

function summary(service: ServiceConfig, r: Awaited<ReturnType<typeof collectObservations>>): ServiceMetrics {
  const observations = Object.fromEntries(Object.entries(r.observations).sort(([a], [b]) => a.localeCompare(b)));
  return { service: service.name, observations, failures: r.failures.map((f) => ({ source: f.source, error: f.error })) };
}
