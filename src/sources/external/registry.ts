// The external sources by `kind`. The registry's type is mapped over the config schema's kinds,
// so adding a kind to src/config/external.ts does not compile until it has a reader here.
import type { ExternalConfig } from '../../config/external';
import type { ExternalSource } from './external-source';
import { httpExternalSource } from './http';

export type ExternalSourceRegistry = { [K in ExternalConfig['kind']]: ExternalSource<Extract<ExternalConfig, { kind: K }>> };

export const externalSources: ExternalSourceRegistry = {
  http: httpExternalSource,
};

export function externalSourceFor(config: ExternalConfig): ExternalSource {
  return externalSources[config.kind] as ExternalSource;
}

export async function closeExternalSources(): Promise<void> {
  const all: ExternalSource[] = Object.values(externalSources);
  await Promise.all(all.map((s) => s.close()));
}
