// Reads docktor.yaml: finds it, parses YAML (syntax errors with line and column), validates
// with the schema (every issue at once), normalizes the legacy form and resolves paths.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InputError, UsageError } from '../errors';
import { DISCOVERY_IDENTITY, type DiscoverConfig } from './discovered-service';
import { composeXDocktorServices } from './compose-services';
import type { DiscoverEntry } from './discover';
import { FileSchema, LegacyScalingSchema, type FileConfig, type TemporalConfig } from './file';
import { toFieldIssues } from './issues';
import type { EventsConfig, SinkConfig } from './events';
import { QueueSchema, type QueueConfig, type Tls } from './queue';
import { mergeRecording, type RecordingConfig } from './recording';
import { ServiceSchema, type ServiceConfig } from './service';

export interface Config {
  /** Absolute path of the config file. */
  file: string;
  version: '1';
  temporal: TemporalConfig;
  /** Absolute path, when set. */
  compose_file?: string;
  project: string;
  llm?: FileConfig['llm'];
  /** The top-level `events:` (each service carries it too, unless it sets its own). */
  events?: FileConfig['events'];
  /** The top-level `recording:` (each service carries it too, merged under its own fields). */
  recording?: RecordingConfig;
  /** `services:` of the file, then the compose file's `x-docktor:` services it does not name. */
  services: ServiceConfig[];
  /** `discover:` entries, when the file has them. */
  discover?: DiscoverConfig[];
}

export const DEFAULT_CONFIG_FILES = ['docktor.yaml', 'docktor.yml'];

/** `-c` wins, then DOCKTOR_CONFIG, then ./docktor.yaml, then ./docktor.yml. */
export function findConfigFile(explicit?: string, cwd = process.cwd(), env = process.env): string {
  const chosen = explicit ?? env.DOCKTOR_CONFIG;
  if (chosen) {
    const abs = path.resolve(cwd, chosen);
    if (!fs.existsSync(abs)) throw new UsageError(`config file not found: ${chosen} (check -c/--config or DOCKTOR_CONFIG)`);
    return abs;
  }
  for (const name of DEFAULT_CONFIG_FILES) {
    const abs = path.join(cwd, name);
    if (fs.existsSync(abs)) return abs;
  }
  throw new UsageError(`no config file: looked for ${DEFAULT_CONFIG_FILES.join(' and ')} in ${cwd}; pass -c FILE or set DOCKTOR_CONFIG`);
}

export function loadConfig(explicit?: string, cwd = process.cwd(), env = process.env): Config {
  const file = findConfigFile(explicit, cwd, env);
  return parseConfig(fs.readFileSync(file, 'utf8'), file, env);
}

/**
 * Parses and validates config text; `file` names it in errors and anchors relative paths. `env`
 * interpolates the compose file's `x-docktor:` settings.
 */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const label = path.basename(file);
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      label,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '', message: `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}YAML syntax error: ${firstLine(e.message).replace(/ at line \d+, column \d+:?$/, '')}` };
      }),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  const parsed = FileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw new InputError(label, toFieldIssues(parsed.error));
  return normalize(parsed.data, file, label, env);
}

function normalize(f: FileConfig, file: string, label: string, env: NodeJS.ProcessEnv): Config {
  const dir = path.dirname(file);
  const compose_file = f.compose_file ? path.resolve(dir, f.compose_file) : undefined;
  const project = f.project ?? projectName(compose_file ? path.dirname(compose_file) : dir);
  const own = f.services ?? (f.service !== undefined ? [legacyService(f, label)] : []);
  // docktor.yaml wins: a compose service it names is taken from it, whole.
  const fromCompose = compose_file ? composeXDocktorServices(compose_file, env).filter((s) => !own.some((o) => o.name === s.name)) : [];
  // Each scaler carries its sinks (src/config/events.ts): the top-level block where it has none.
  const events = f.events ? resolveEventPaths(f.events, dir) : undefined;
  const withEvents = (s: ServiceConfig): ServiceConfig => (s.events || !events ? s : { ...s, events });
  // And its recording settings: the top-level ones under its own (src/config/recording.ts).
  const recording = f.recording ? resolveRecordingDir(f.recording, dir) : undefined;
  const withRecording = <S extends { recording?: unknown }>(s: S): S => {
    const merged = mergeRecording(recording, s.recording as RecordingConfig | undefined);
    return merged ? { ...s, recording: merged } : s;
  };
  const services = [
    ...own.map((s) => resolveServicePaths(s, dir)),
    ...fromCompose.map((s) => resolveServicePaths(s, path.dirname(compose_file!))),
  ].map((s) => withRecording(withEvents(s)));
  if (services.length === 0 && !f.discover?.length) {
    const what = f.services ? 'must list at least one service' : 'required: a list of services to scale';
    throw new InputError(label, [{ path: 'services', message: `${what} (none here${compose_file ? ` nor as x-docktor: in ${compose_file}` : ''})` }]);
  }
  const discover = f.discover?.map((d, i) => normalizeDiscover(d, i, dir, events)).map((d) => {
    const own = d.template.recording as RecordingConfig | undefined;
    return { ...d, template: withRecording(own ? { ...d.template, recording: resolveRecordingDir(own, dir) } : d.template) };
  });
  let temporal = f.temporal.tls ? { ...f.temporal, tls: resolveTls(f.temporal.tls, dir) } : f.temporal;
  const keyFile = temporal.encryption?.key_file;
  if (keyFile) temporal = { ...temporal, encryption: { ...temporal.encryption, key_file: path.resolve(dir, keyFile) } };
  return { file, version: f.version, temporal, compose_file, project, llm: f.llm, ...(events ? { events } : {}), ...(recording ? { recording } : {}), services, ...(discover ? { discover } : {}) };
}

function normalizeDiscover(d: DiscoverEntry, index: number, dir: string, events: EventsConfig | undefined): DiscoverConfig {
  const runtime = d.template.runtime as Record<string, unknown> | undefined;
  const withCwd =
    runtime?.kind === 'process'
      ? { ...d.template, runtime: { ...runtime, cwd: path.resolve(dir, typeof runtime.cwd === 'string' ? runtime.cwd : '.') } }
      : d.template;
  // Discovered scalers carry the top-level sinks too, unless the template sets its own.
  const template = withCwd.events === undefined && events ? { ...withCwd, events } : withCwd;
  // With the queue kind's defaults (url, cluster, ...), as each discovered service will have them.
  const field = DISCOVERY_IDENTITY[d.queue.kind];
  const { [field]: _placeholder, ...queue } = QueueSchema.parse({ ...d.queue, [field]: '-' }) as Record<string, unknown>;
  return {
    key: d.name ?? String(index),
    ...(d.name !== undefined ? { name: d.name } : {}),
    queue: resolveQueuePaths({ ...queue, kind: d.queue.kind }, dir) as DiscoverConfig['queue'],
    match: d.match,
    template,
    interval: d.interval,
    grace_period: d.grace_period,
  };
}

/** Every file path in a service is relative to the config file, like compose_file. */
function resolveServicePaths(s: ServiceConfig, dir: string): ServiceConfig {
  let out = s;
  if (s.runtime.kind === 'process') out = { ...out, runtime: { ...s.runtime, cwd: path.resolve(dir, s.runtime.cwd ?? '.') } };
  // Strategy and policy modules: absolute, so the worker loads the same file (src/extend).
  if (s.custom) out = { ...out, custom: { ...s.custom, module: path.resolve(dir, s.custom.module) } };
  if (s.policies) out = { ...out, policies: s.policies.map((p) => ({ ...p, module: path.resolve(dir, p.module) })) };
  if (s.queue) out = { ...out, queue: resolveQueuePaths(s.queue, dir) as QueueConfig };
  if (s.events) out = { ...out, events: resolveEventPaths(s.events, dir) };
  if (s.recording) out = { ...out, recording: resolveRecordingDir(s.recording, dir) };
  return out;
}

/** A recording `dir` is relative to the file that names it, like compose_file. */
function resolveRecordingDir(r: RecordingConfig, dir: string): RecordingConfig {
  return typeof r.dir === 'string' ? { ...r, dir: path.resolve(dir, r.dir) } : r;
}

/** The file paths of a queue config (NATS creds, TLS files, password_file), relative to `dir`. */
function resolveQueuePaths(q: { kind: string } & Record<string, unknown>, dir: string): Record<string, unknown> {
  const auth = q.auth as { creds_file?: string } | undefined;
  const creds = q.kind === 'nats' && auth?.creds_file ? { auth: { ...auth, creds_file: path.resolve(dir, auth.creds_file) } } : {};
  const tls = q.tls ? { tls: resolveTls(q.tls as Tls, dir) } : {};
  const passwordFile = typeof q.password_file === 'string' ? { password_file: path.resolve(dir, q.password_file) } : {};
  return { ...q, ...creds, ...tls, ...passwordFile };
}

/** Event sinks hold the same kinds of file paths as queues (NATS creds, TLS files). */
function resolveEventPaths(e: EventsConfig, dir: string): EventsConfig {
  return { ...e, sinks: e.sinks.map((k) => resolveQueuePaths(k, dir) as SinkConfig) };
}

function resolveTls(t: Tls, dir: string): Tls {
  const r = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  return {
    ...t,
    ...(t.ca_file ? { ca_file: r(t.ca_file) } : {}),
    ...(t.cert_file ? { cert_file: r(t.cert_file) } : {}),
    ...(t.key_file ? { key_file: r(t.key_file) } : {}),
  };
}

function legacyService(f: FileConfig, label: string): ServiceConfig {
  const sc = f.scaling ?? LegacyScalingSchema.parse({});
  const service = {
    name: f.service,
    min_replicas: sc.min_replicas,
    max_replicas: sc.max_replicas,
    check_interval: sc.check_interval,
    metrics_window: sc.metrics_window,
    strategy: 'rules',
    rules: {
      scale_up_when: [{ metric: 'cpu.avg_pct', op: '>', value: sc.cpu_high }],
      scale_down_when: [{ metric: 'cpu.avg_pct', op: '<', value: sc.cpu_low }],
      step: { up: sc.scale_up_by, down: sc.scale_down_by },
    },
  };
  const parsed = ServiceSchema.safeParse(service, { reportInput: true });
  // Only the bounds can disagree here (max below min); name them as the user wrote them.
  if (!parsed.success) throw new InputError(label, toFieldIssues(parsed.error, ['scaling']));
  return parsed.data;
}

/** A compose project name as `docker compose` derives it from a folder name. */
export function projectName(dir: string): string {
  const name = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9_-]/g, '');
  return name.replace(/^[_-]+/, '') || 'default';
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
