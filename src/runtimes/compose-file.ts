// One service of a compose file, read the way `docker compose` reads it, reduced to what docktor
// needs to create a replica when none is left to copy: image, command, entrypoint, environment,
// env_file, volumes, network_mode, networks, labels, user, working_dir, stop_grace_period,
// stop_signal, restart, init, tty, stdin_open. Any other key is reported, not silently dropped.
// Pure: the document is already parsed and interpolated; env_file contents are merged by the caller.
import * as path from 'node:path';
import type { Variables } from '../config/compose-interpolation';
import { parseNetworks, parseVolumes, type ComposeMount, type ComposeNetworkAttachment } from './compose-mounts';
import { ComposeFileError, asRecord, optString, scalar, type ComposeContext } from './compose-values';

export interface EnvFileRef {
  /** Absolute path. */
  path: string;
  required: boolean;
}

export interface ComposeServiceDefinition {
  /** The compose service name. */
  name: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  /** From `environment:` only; env_file values go under it (see mergeEnvironment). */
  environment: Record<string, string>;
  env_files: EnvFileRef[];
  mounts: ComposeMount[];
  network_mode?: string;
  /** Empty when network_mode is set. */
  networks: ComposeNetworkAttachment[];
  labels: Record<string, string>;
  user?: string;
  working_dir?: string;
  stop_grace_period_s?: number;
  stop_signal?: string;
  restart?: { name: 'no' | 'always' | 'unless-stopped' | 'on-failure'; max_retries?: number };
  init?: boolean;
  tty?: boolean;
  stdin_open?: boolean;
}

export interface ParsedComposeService {
  definition: ComposeServiceDefinition;
  /** Keys of the service that docktor does not apply when it creates a replica from the file. */
  unsupported: string[];
}

const SUPPORTED = new Set([
  'image',
  'build',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'volumes',
  'network_mode',
  'networks',
  'labels',
  'user',
  'working_dir',
  'stop_grace_period',
  'stop_signal',
  'restart',
  'init',
  'tty',
  'stdin_open',
  // Accepted and deliberately without effect: start order concerns services that already run,
  // and the number of replicas is docktor's to set.
  'depends_on',
  'profiles',
  'scale',
]);

/** Names of the services in a compose document. */
export function composeServiceNames(doc: unknown): string[] {
  const services = asRecord(asRecord(doc)?.['services']);
  return services ? Object.keys(services) : [];
}

export function parseComposeService(doc: unknown, serviceName: string, ctx: ComposeContext): ParsedComposeService {
  const root = asRecord(doc);
  if (!root) throw new ComposeFileError('(top level)', 'not a mapping; is this a compose file?');
  const services = asRecord(root['services']);
  if (!services) throw new ComposeFileError('services', 'missing: the file defines no services');
  const raw = services[serviceName];
  const svc = asRecord(raw);
  if (!svc) {
    throw new ComposeFileError(
      `services.${serviceName}`,
      raw === undefined ? `not defined (services: ${Object.keys(services).join(', ') || 'none'})` : 'not a mapping',
    );
  }
  const key = (k: string) => `services.${serviceName}.${k}`;
  const unsupported = Object.keys(svc).filter((k) => !SUPPORTED.has(k) && !k.startsWith('x-') && !(k === 'deploy' && onlyReplicas(svc[k])));

  const image = optString(svc['image'], key('image')) ?? (svc['build'] !== undefined ? `${ctx.project}-${serviceName}` : undefined);
  if (!image) throw new ComposeFileError(key('image'), 'required (docktor does not build images)');

  const def: ComposeServiceDefinition = {
    name: serviceName,
    image,
    environment: parseEnvironment(svc['environment'], key('environment'), ctx.env),
    env_files: parseEnvFiles(svc['env_file'], key('env_file'), ctx.dir),
    mounts: parseVolumes(svc['volumes'], key('volumes'), ctx, asRecord(root['volumes']) ?? {}),
    networks: [],
    labels: parseLabels(svc['labels'], key('labels')),
  };
  const command = parseCommand(svc['command'], key('command'));
  if (command) def.command = command;
  const entrypoint = parseCommand(svc['entrypoint'], key('entrypoint'));
  if (entrypoint) def.entrypoint = entrypoint;

  const networkMode = optString(svc['network_mode'], key('network_mode'));
  if (networkMode !== undefined) {
    if (svc['networks'] !== undefined) throw new ComposeFileError(key('networks'), 'cannot be used together with network_mode');
    if (networkMode.startsWith('service:')) {
      throw new ComposeFileError(key('network_mode'), `"${networkMode}" is not supported; use "container:<name>"`);
    }
    def.network_mode = networkMode;
  } else {
    def.networks = parseNetworks(svc['networks'], key('networks'), ctx.project, asRecord(root['networks']) ?? {});
  }

  const user = optString(svc['user'], key('user'), true);
  if (user !== undefined) def.user = user;
  const workingDir = optString(svc['working_dir'], key('working_dir'));
  if (workingDir !== undefined) def.working_dir = workingDir;
  if (svc['stop_grace_period'] !== undefined) def.stop_grace_period_s = parseDuration(svc['stop_grace_period'], key('stop_grace_period'));
  const stopSignal = optString(svc['stop_signal'], key('stop_signal'));
  if (stopSignal !== undefined) def.stop_signal = stopSignal;
  if (svc['restart'] !== undefined) def.restart = parseRestart(svc['restart'], key('restart'));
  for (const flag of ['init', 'tty', 'stdin_open'] as const) {
    const v = svc[flag];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw new ComposeFileError(key(flag), 'must be true or false');
    def[flag] = v;
  }
  return { definition: def, unsupported };
}

/** env_file values first, each later file over the earlier, then `environment:` over them all (compose's order). */
export function mergeEnvironment(envFiles: ReadonlyArray<Record<string, string | undefined>>, environment: Record<string, string>, env: Variables): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of envFiles) {
    for (const [k, v] of Object.entries(file)) {
      const value = v ?? env[k];
      if (value !== undefined) out[k] = value;
    }
  }
  return { ...out, ...environment };
}

/**
 * A Go duration as compose writes them (`10s`, `1m30s`, `1.5s`, `500ms`, `2h`), or a number of
 * seconds; in seconds.
 */
export function parseDuration(value: unknown, key = 'duration'): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  if (typeof value !== 'string') throw new ComposeFileError(key, 'must be a duration such as 10s or 1m30s');
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const unitSeconds: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  const part = /(\d+(?:\.\d+)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  for (let m = part.exec(text); m; m = part.exec(text)) {
    total += Number(m[1]) * (unitSeconds[m[2]] ?? 0);
    pos = part.lastIndex;
  }
  if (pos === 0 || pos !== text.length) throw new ComposeFileError(key, `"${value}" is not a duration such as 10s or 1m30s`);
  return total;
}

/**
 * Splits a command line into words as compose does for `command: node worker.js` (no shell):
 * whitespace separates, quotes group, backslash escapes.
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) word += line[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote in: ${line}`);
  if (inWord) words.push(word);
  return words;
}

function parseCommand(value: unknown, key: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    try {
      return splitShellWords(value);
    } catch (e) {
      throw new ComposeFileError(key, (e as Error).message);
    }
  }
  if (Array.isArray(value)) return value.map((v, i) => scalar(v, `${key}[${i}]`));
  throw new ComposeFileError(key, 'must be a string or a list of strings');
}

function parseEnvironment(value: unknown, key: string, env: Variables): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of keyValues(value, key)) {
    const resolved = v ?? env[k];
    if (resolved !== undefined) out[k] = resolved;
  }
  return out;
}

function parseLabels(value: unknown, key: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of keyValues(value, key)) out[k] = v ?? '';
  return out;
}

/** A `KEY=VALUE` list or a mapping; a value-less entry gives undefined. */
function keyValues(value: unknown, key: string): Array<[string, string | undefined]> {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      const s = scalar(item, `${key}[${i}]`);
      const eq = s.indexOf('=');
      return eq < 0 ? [s, undefined] : [s.slice(0, eq), s.slice(eq + 1)];
    });
  }
  const rec = asRecord(value);
  if (!rec) throw new ComposeFileError(key, 'must be a list of KEY=VALUE or a mapping');
  return Object.entries(rec).map(([k, v]) => [k, v === null || v === undefined ? undefined : scalar(v, `${key}.${k}`)]);
}

function parseEnvFiles(value: unknown, key: string, dir: string): EnvFileRef[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return items.map((item, i) => {
    const k = Array.isArray(value) ? `${key}[${i}]` : key;
    if (typeof item === 'string') return { path: path.resolve(dir, item), required: true };
    const rec = asRecord(item);
    const p = rec?.['path'];
    if (typeof p !== 'string') throw new ComposeFileError(k, 'must be a path or { path, required }');
    return { path: path.resolve(dir, p), required: rec?.['required'] !== false };
  });
}

function parseRestart(value: unknown, key: string): NonNullable<ComposeServiceDefinition['restart']> {
  const s = value === false ? 'no' : scalar(value, key);
  if (s === 'no' || s === 'always' || s === 'unless-stopped') return { name: s };
  const m = /^on-failure(?::(\d+))?$/.exec(s);
  if (m) return m[1] ? { name: 'on-failure', max_retries: Number(m[1]) } : { name: 'on-failure' };
  throw new ComposeFileError(key, `"${s}" is not no, always, unless-stopped or on-failure[:N]`);
}

/** `deploy:` holding nothing but `replicas` (which docktor sets anyway) is harmless. */
function onlyReplicas(deploy: unknown): boolean {
  const rec = asRecord(deploy);
  return rec !== undefined && Object.keys(rec).every((k) => k === 'replicas');
}

