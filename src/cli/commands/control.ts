// `docktor up/down/status/explain/pause/resume/override`: a client of the scaler workflows.
import { loadConfig, type Config } from '../../config/load';
import { connectClient, hostWorkers, type ControlClient } from '../../control/client';
import { discoveryStatuses, downDiscovery, upDiscovery } from '../../control/discovery';
import * as scalers from '../../control/scalers';
import { replicaCeiling } from '../../decide/safety/bounds';
import { UsageError } from '../../errors';
import type { OverrideArgs } from '../../model/scaler-state';
import { isoTime } from '../format';
import { renderExplain } from '../explain-view';
import { renderStatus } from '../status-view';
import { queueProblems } from './config';
import type { CliIO } from '../io';

export interface ConfigOption {
  config?: string;
}

async function withClient<T>(
  io: CliIO,
  file: string | undefined,
  work: (c: ControlClient, config: Config) => Promise<T>,
  /** Checks the arguments against the config before connecting (throws a UsageError). */
  check?: (config: Config) => void,
): Promise<T> {
  const config = loadConfig(file, io.cwd, io.env);
  check?.(config);
  const c = await connectClient(config.temporal, io.env.DOCKTOR_TEMPORAL_ADDRESS, io.env);
  try {
    return await work(c, config);
  } finally {
    await c.close();
  }
}

/**
 * Exit 0 even when a queue check fails: the scalers run, hold ([missing_metrics]) and start
 * scaling once the stream exists, which an app often creates on first use after `up`. The
 * warning says what `config validate` would fail on (the gate for CI).
 */
export function upCommand(io: CliIO, names: string[], o: ConfigOption): Promise<number> {
  return withClient(io, o.config, async (c, config) => {
    for (const r of await scalers.up(c, config, names)) io.out(`${r.service}: ${r.outcome} (${r.workflowId})\n`);
    // Named services only: the discoveries are left as they are.
    if (names.length === 0) printDiscoveryUp(io, await upDiscovery(c, config));
    const selected = scalers.selectServices(config, names);
    const problems = await queueProblems(selected);
    for (const p of problems) io.err(`docktor: warning: ${p}\n`);
    if (problems.length > 0) io.err('docktor: warning: those scalers hold until it is fixed (`docktor config validate` fails on it)\n');
    // A named host that no live worker polls: its scalers hold (limited_by host) until one does.
    for (const host of [...new Set(selected.flatMap((s) => (s.runtime.host ? [s.runtime.host] : [])))]) {
      if ((await hostWorkers(c, host)) === 0) {
        const on = selected.filter((s) => s.runtime.host === host).map((s) => s.name).join(', ');
        io.err(`docktor: warning: no live worker serves host ${host}: ${on} hold until \`docktor worker --host ${host}\` runs there\n`);
      }
    }
    return 0;
  });
}

export function printDiscoveryUp(io: CliIO, results: Awaited<ReturnType<typeof upDiscovery>>): void {
  for (const r of results) {
    const scalers = r.scalers_updated > 0 ? `, ${r.scalers_updated} scaler(s) updated` : '';
    io.out(`discover ${r.key}: ${r.outcome} (${r.workflowId}${scalers})\n`);
  }
}

export function downCommand(io: CliIO, names: string[], o: ConfigOption): Promise<number> {
  return withClient(io, o.config, async (c, config) => {
    for (const r of await scalers.down(c, config, names)) io.out(`${r.service}: ${r.stopped ? 'stopped' : 'was not running'}\n`);
    if (names.length === 0) {
      for (const r of await downDiscovery(c, config)) {
        io.out(`discover ${r.key}: ${r.stopped ? `stopped with its ${r.scalers} scaler(s)` : 'was not running'}\n`);
      }
    }
    return 0;
  });
}

export function statusCommand(io: CliIO, name: string | undefined, o: ConfigOption & { json?: boolean }): Promise<number> {
  return withClient(io, o.config, async (c, config) => {
    const all = await scalers.status(c, config, name);
    if (o.json) {
      io.out(JSON.stringify(name ? all[0] : all, null, 2) + '\n');
      return 0;
    }
    io.out(renderStatus(all, await discoveryStatuses(c, config), Date.now() / 1000));
    return 0;
  });
}

export function explainCommand(io: CliIO, name: string | undefined, o: ConfigOption & { tail: number; json?: boolean }): Promise<number> {
  return withClient(io, o.config, async (c, config) => {
    const entries = await scalers.explain(c, config, name, o.tail);
    if (o.json) {
      io.out(JSON.stringify(entries, null, 2) + '\n');
      return 0;
    }
    io.out(renderExplain(entries));
    return 0;
  });
}

export function pauseCommand(io: CliIO, service: string, o: ConfigOption & { reason?: string }): Promise<number> {
  return withClient(io, o.config, async (c, config) => {
    await scalers.pause(c, config, service, o.reason);
    io.out(`${service}: paused\n`);
    return 0;
  });
}

export function resumeCommand(io: CliIO, service: string, o: ConfigOption): Promise<number> {
  return withClient(io, o.config, async (c, config) => {
    await scalers.resume(c, config, service);
    io.out(`${service}: resumed\n`);
    return 0;
  });
}

export type OverrideOptions = ConfigOption & { replicas: number; for?: number; reason?: string; force?: boolean };

export function overrideCommand(io: CliIO, service: string, o: OverrideOptions): Promise<number> {
  return withClient(io, o.config, async (c, config) => {
    const args: OverrideArgs = {
      replicas: o.replicas,
      ...(o.for !== undefined ? { duration_seconds: o.for } : {}),
      ...(o.reason ? { reason: o.reason } : {}),
      ...(o.force ? { force: true } : {}),
    };
    const st = await scalers.override(c, config, service, args);
    io.out(`${service}: pinned to ${o.replicas} replica(s)${st.override?.until ? ` until ${isoTime(st.override.until)}` : ' until `docktor resume`'}\n`);
    return 0;
  }, (config) => {
    const s = scalers.selectServices(config, [service])[0];
    const ceiling = s ? replicaCeiling(s) : Infinity;
    if (o.replicas > ceiling) {
      throw new UsageError(`--replicas ${o.replicas} is above ${service}'s hard ceiling of ${ceiling} (replica_ceiling in ${config.file}); --force cannot pass it`);
    }
  });
}
