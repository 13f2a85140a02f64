// `docktor metrics [SERVICE...] [--json]`: every source of each service read once, as a check
// reads it (rates from two samples a few seconds apart). Exit 1 when any source failed.
import { loadConfig } from '../../config/load';
import { selectServices } from '../../control/scalers';
import { closeBuiltInPlugins } from '../../plugins';
import { DEFAULT_METRICS_GAP_MS, readServiceMetrics } from '../../control/read-metrics';
import { table } from '../format';
import type { CliIO } from '../io';
import type { ConfigOption } from './control';

export interface MetricsOptions extends ConfigOption {
  json?: boolean;
  /** Seconds between the two reads that give rates. */
  gap?: number;
}

export async function metricsCommand(io: CliIO, names: string[], o: MetricsOptions): Promise<number> {
  const config = loadConfig(o.config, io.cwd, io.env);
  const services = selectServices(config, names);
  let results;
  try {
    results = await readServiceMetrics(config, services, { gapMs: o.gap === undefined ? DEFAULT_METRICS_GAP_MS : o.gap * 1000 });
  } finally {
    await closeBuiltInPlugins();
  }
  const failed = results.some((r) => r.failures.length > 0);
  if (o.json) {
    io.out(JSON.stringify(results, null, 2) + '\n');
    return failed ? 1 : 0;
  }
  const rows = results.flatMap((r) => Object.entries(r.observations).map(([name, value]) => [r.service, name, formatValue(value)]));
  io.out(table(['SERVICE', 'METRIC', 'VALUE'], rows));
  for (const r of results) for (const f of r.failures) io.err(`✗ ${r.service} ${f.source}: ${f.error}\n`);
  return failed ? 1 : 0;
}

/** Integers as they are; fractions to 3 significant decimals (rates, ages, percentages). */
function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(3)));
}
