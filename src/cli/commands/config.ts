// `docktor config validate` and `docktor config schema`.
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { FileSchema } from '../../config/file';
import { loadConfig, type Config } from '../../config/load';
import { effectiveRecording } from '../../config/recording';
import { defaultRecordingRoot } from '../../recording/store';
import type { QueueConfig } from '../../config/queue';
import { matchesGlob, type DiscoverConfig } from '../../config/discovered-service';
import { connectClient, hostWorkers, type ControlClient } from '../../control/client';
import { moduleChecks } from '../../extend/module-checks';
import { hostTaskQueue } from '../../model/host-routing';
import { DEFAULT_TEMPORAL_ADDRESS } from '../../temporal-connection';
import { ModuleHost } from '../../extend/module-host';
import type { CheckResult } from '../../observations';
import type { QueueSource } from '../../sources/queue-source';
import { redactSecrets } from '../../sources/secrets';
import type { CliIO } from '../io';

export function configSchema(io: CliIO): number {
  const schema = z.toJSONSchema(FileSchema, { io: 'input', unrepresentable: 'any' });
  io.out(JSON.stringify({ title: 'docktor.yaml (version "1")', ...schema }, null, 2) + '\n');
  return 0;
}

/**
 * `docktor config show`: the config as docktor uses it (defaults applied, the legacy form
 * normalized, paths resolved) with every secret masked.
 */
export function configShow(io: CliIO, file: string | undefined, o: { json?: boolean }): number {
  const { file: path_, ...loaded } = loadConfig(file, io.cwd, io.env);
  // Each service's recording settings with the defaults filled in; the default dir is where a
  // worker started here would record (DOCKTOR_STATE_DIR, else the state directory).
  const root = defaultRecordingRoot(io.env, io.cwd);
  const config = {
    ...loaded,
    services: loaded.services.map((s) => {
      const { retention_s: _seconds, ...recording } = effectiveRecording(s.recording, root);
      return { ...s, recording };
    }),
  };
  const shown = redactSecrets(config);
  if (o.json) io.out(JSON.stringify(shown, null, 2) + '\n');
  else io.out(`# ${path_} (effective: defaults applied, secrets masked)\n${YAML.stringify(shown, { lineWidth: 0 })}`);
  return 0;
}

/** Schema first (invalid: exit 2 from the thrown InputError), then live checks (any ✗: exit 1). */
export async function configValidate(io: CliIO, file: string | undefined): Promise<number> {
  const config = loadConfig(file, io.cwd, io.env);
  io.out(`✓ Config ${path.relative(io.cwd, config.file) || config.file} is valid (${config.services.length} service(s), project '${config.project}')\n`);
  const results = [...(await liveChecks(config)), ...(await hostChecks(config, io.env))];
  for (const r of results) io.out(`${r.ok ? '✓' : '✗'} ${r.label}${r.detail ? `: ${r.detail}` : ''}\n`);
  const failed = results.filter((r) => !r.ok).length;
  io.out(failed === 0 ? 'All checks passed!\n' : `${failed} check(s) failed.\n`);
  return failed === 0 ? 0 : 1;
}

/** Every runtime and queue check, each distinct line once (Docker reachability is shared by services). */
export async function liveChecks(config: Config): Promise<CheckResult[]> {
  const { runtimeFor, closeRuntimes } = await import('../../runtimes/registry.js');
  const { queueSourceFor, closeQueueSources } = await import('../../queues/registry.js');
  const { externalSourceFor, closeExternalSources } = await import('../../sources/external/registry.js');
  const modules = new ModuleHost();
  try {
    const perService = await Promise.all(
      config.services.map(async (service) => {
        const target = { project: config.project, compose_file: config.compose_file, service, runtime: service.runtime };
        const runtimeChecks = await runtimeFor(target).check(target);
        const queueChecks = service.queue ? await queueSourceFor(service.queue).check(service.queue, { max_replicas: service.max_replicas }) : [];
        const externalChecks = await Promise.all((service.external ?? []).map((e) => externalSourceFor(e).check(e)));
        return [...runtimeChecks, ...queueChecks, ...externalChecks.flat(), ...(await moduleChecks(service, modules))];
      }),
    );
    const perDiscover = await Promise.all((config.discover ?? []).map((d) => discoverCheck(queueSourceFor, d)));
    const seen = new Set<string>();
    return [...perService.flat(), ...perDiscover].filter((r) => {
      const key = `${r.ok}|${r.label}|${r.detail ?? ''}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  } finally {
    modules.close();
    await Promise.all([closeRuntimes(), closeQueueSources(), closeExternalSources()]);
  }
}

/**
 * Each `runtime.host` a service names: whether a live worker polls its task queue (issue:
 * machines). Without one, that service's scaler holds (`limited_by: host`).
 */
export async function hostChecks(config: Config, env: NodeJS.ProcessEnv): Promise<CheckResult[]> {
  const hosts = [...new Set(config.services.flatMap((s) => (s.runtime.host ? [s.runtime.host] : [])))];
  if (hosts.length === 0) return [];
  const label = (host: string) => `Workers of host ${host} (${config.services.filter((s) => s.runtime.host === host).map((s) => s.name).join(', ')})`;
  let c: ControlClient;
  try {
    c = await connectClient(config.temporal, env['DOCKTOR_TEMPORAL_ADDRESS'] ?? config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS, env);
  } catch (e) {
    return hosts.map((host) => ({ ok: false, label: label(host), detail: `cannot tell: ${(e as Error).message}` }));
  }
  try {
    return await Promise.all(
      hosts.map(async (host): Promise<CheckResult> => {
        const n = await hostWorkers(c, host);
        if (n === null) return { ok: false, label: label(host), detail: 'cannot tell: Temporal did not describe the task queue' };
        if (n === 0) return { ok: false, label: label(host), detail: `no live worker: run \`docktor worker --host ${host}\` on that machine (until then these scalers hold)` };
        return { ok: true, label: label(host), detail: `${n} live worker(s) on task queue ${hostTaskQueue(config.temporal.task_queue, host)}` };
      }),
    );
  } finally {
    await c.close();
  }
}

/** A discover entry lists its queues: how many exist and how many match. */
async function discoverCheck(queueSourceFor: (q: QueueConfig) => QueueSource, d: DiscoverConfig): Promise<CheckResult> {
  const label = `discover ${d.key}: ${d.queue.kind} queues listed`;
  try {
    const source = queueSourceFor(d.queue as unknown as QueueConfig);
    if (!source.listQueues) return { ok: false, label, detail: `queue kind ${d.queue.kind} cannot list its queues` };
    const names = await source.listQueues(d.queue as never);
    const matching = names.filter((n) => matchesGlob(d.match, n));
    return { ok: true, label, detail: `${names.length} queue(s), ${matching.length} matching '${d.match}'${matching.length ? `: ${matching.slice(0, 10).join(', ')}${matching.length > 10 ? ', …' : ''}` : ''}` };
  } catch (err) {
    return { ok: false, label, detail: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The failing queue checks of some services, as `<service>: <label>: <detail>`, for `docktor up`
 * to warn about (a scaler whose stream is missing holds with [missing_metrics] until it exists).
 */
export async function queueProblems(services: Config['services']): Promise<string[]> {
  const { queueSourceFor, closeQueueSources } = await import('../../queues/registry.js');
  try {
    const per = await Promise.all(
      services.map(async (s) => (s.queue ? (await queueSourceFor(s.queue).check(s.queue)).filter((r) => !r.ok).map((r) => `${s.name}: ${r.label}: ${r.detail ?? 'failed'}`) : [])),
    );
    return per.flat();
  } finally {
    await closeQueueSources();
  }
}
