// `docktor up/down/status/explain/pause/resume/override`: a client of the scaler workflows.
import { loadConfig, type Config } from '../../config/load';
import { connectClient, type ControlClient } from '../../control/client';
import { discoveryStatuses, downDiscovery, upDiscovery } from '../../control/discovery';
import * as scalers from '../../control/scalers';
import { replicaCeiling } from '../../decide/safety/bounds';
import { UsageError } from '../../errors';
import type { OverrideArgs } from '../../workflows/definitions';
import { clock, relative, table } from '../format';
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
    const problems = await queueProblems(scalers.selectServices(config, names));
    for (const p of problems) io.err(`docktor: warning: ${p}\n`);
    if (problems.length > 0) io.err('docktor: warning: those scalers hold until it is fixed (`docktor config validate` fails on it)\n');
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
    const now = Date.now() / 1000;
    const rows = all.map((s) => {
      // A discovered scaler is marked with its queue's discover entry.
      const service = s.discovered ? `${s.service} [discover ${s.discovered.discovery}]` : s.service;
      if (!s.running) return [service, '-', '-', 'not running', '-', '-'];
      const mode = s.pause ? `paused${s.pause.reason ? ` (${s.pause.reason})` : ''}`
        : s.override ? `override ${s.override.replicas}${s.override.until ? ` until ${clock(s.override.until)}` : ''}`
          : s.dry_run ? 'dry run' : 'active';
      const last = s.last_decision;
      return [
        service,
        `${s.replicas ?? '?'} (${s.min_replicas}..${s.max_replicas})`,
        s.strategy,
        mode,
        last ? `${last.action} ${last.from}→${last.to}: ${last.reason}` : '-',
        s.next_check_at ? relative(s.next_check_at, now) : '-',
      ];
    });
    io.out(table(['SERVICE', 'REPLICAS', 'STRATEGY', 'MODE', 'LAST DECISION', 'NEXT CHECK'], rows));
    // Failing sources (a missing stream is a config error) under the table, one line each.
    for (const s of all) {
      if (s.running && s.failures.consecutive > 0) {
        io.out(`${s.service}: metrics failing (${s.failures.consecutive} check(s) in a row): ${s.failures.last_error ?? 'unknown error'}\n`);
      }
      // Older scalers (before events) answer without `events`.
      for (const [sink, k] of Object.entries((s.running && s.events?.sinks) || {})) {
        if (k.last_error && k.last_error.cleared_at === null) {
          io.out(`${s.service}: event sink ${sink} failing (last error at ${k.last_error.at_iso}, ${k.dropped} event(s) dropped): ${k.last_error.message}\n`);
        }
      }
    }
    for (const d of await discoveryStatuses(c, config)) {
      const listed = d.last_listed_at ? `listed ${relative(d.last_listed_at, now)}` : 'not listed yet';
      io.out(`discover ${d.key}: ${d.scalers.length} scaler(s) for ${d.matched} ${d.kind} queue(s) matching '${d.match}', ${listed}${d.last_error ? `; error: ${d.last_error}` : ''}\n`);
      for (const q of d.skipped) io.out(`discover ${d.key}: skipped queue '${q.queue}': ${q.reason}\n`);
      for (const s of d.scalers) if (s.missing_since !== null) io.out(`discover ${d.key}: queue '${s.queue}' gone since ${clock(s.missing_since)}; its scaler stops ${relative(s.missing_since + d.grace_period, now)}\n`);
    }
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
    // A folded entry (several identical checks in a row, CONTRACT §6) is one row: its first and
    // last time, and the count.
    const rows = entries.map((e) => [
      e.service,
      clock(e.at) + (e.last_at !== undefined && (e.checks ?? 1) > 1 ? `–${clock(e.last_at)}` : ''),
      e.action + ((e.checks ?? 1) > 1 ? ` ×${e.checks}` : ''),
      `${e.from}→${e.to}`,
      e.reason + (e.limited_by ? ` [${e.limited_by}]` : '') + (e.errors?.length ? ` (errors: ${e.errors.join('; ')})` : ''),
    ]);
    io.out(table(['SERVICE', 'TIME', 'ACTION', 'FROM→TO', 'REASON'], rows));
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
    io.out(`${service}: pinned to ${o.replicas} replica(s)${st.override?.until ? ` until ${clock(st.override.until)}` : ' until `docktor resume`'}\n`);
    return 0;
  }, (config) => {
    const s = scalers.selectServices(config, [service])[0];
    const ceiling = s ? replicaCeiling(s) : Infinity;
    if (o.replicas > ceiling) {
      throw new UsageError(`--replicas ${o.replicas} is above ${service}'s hard ceiling of ${ceiling} (replica_ceiling in ${config.file}); --force cannot pass it`);
    }
  });
}
