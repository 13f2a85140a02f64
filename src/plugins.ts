// The built-in plugins (runtimes, queue sources, external sources) as one lookup, loaded on first
// use so that commands which need none of them (decide, simulate, schema) do not load their
// client libraries.
import type { PluginLookup } from './sources/collect';

export async function builtInPlugins(): Promise<Required<PluginLookup>> {
  const { runtimeFor } = await import('./runtimes/registry.js');
  const { queueSourceFor } = await import('./queues/registry.js');
  const { externalSourceFor } = await import('./sources/external/registry.js');
  return { runtimeFor, queueSourceFor, externalSourceFor };
}

/** Closes what the built-in plugins hold open (connections; replicas stay). */
export async function closeBuiltInPlugins(): Promise<void> {
  const { closeRuntimes } = await import('./runtimes/registry.js');
  const { closeQueueSources } = await import('./queues/registry.js');
  const { closeExternalSources } = await import('./sources/external/registry.js');
  await Promise.allSettled([closeRuntimes(), closeQueueSources(), closeExternalSources()]);
}
