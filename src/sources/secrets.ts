// Secrets in a config: how they are recognised, masked for every output, kept out of Temporal
// payloads, and resolved again on the worker.
//
// Pure (no I/O) except `resolveSecret`, which reads the worker's environment and files.
//
// Why masking is enough to keep secrets out of workflow history: the CLI sends each scaler its
// service config with every secret masked (`***`). An activity that needs the secret restores it
// from the worker's own copy of the config file (`SecretStore`), or reads it from the worker's
// environment or a file (`*_env` / `*_file` fields). So the workflow input, every activity input,
// `set_config` updates and the `status` query carry only masks.
import { discoveredServiceInput, queueNameOf, type DiscoverConfig } from '../config/discovered-service';
import { ConfigurationError } from '../errors';

/** What replaces a secret in every output and in Temporal payloads. */
export const MASK = '***';

/**
 * Field names whose value is a secret. `*_env` and `*_file` fields hold references (an
 * environment variable's name, a path), not secrets, and are kept.
 */
const SECRET_KEY = /(^|_)(password|passwd|pass|token|secret|api_key|apikey|private_key|secret_key|access_key|session_token|credentials)$/i;
/** Header names and environment variable names that carry credentials. */
const SECRET_NAME = /(authorization|cookie|token|secret|password|passwd|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth)/i;
/** Query parameters of a URL that carry credentials (`?password=`, `?token=`, …). */
const SECRET_PARAM = /^(password|pass|passwd|token|access_token|secret|api_key|apikey|sslpassword|auth)$/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !/_(env|file)$/.test(key);
}

/**
 * A URL with its password (userinfo) and credential query parameters masked; several URLs
 * separated by commas (cluster seeds) each masked. Anything that is not a URL is returned as is.
 */
export function redactUrl(value: string): string {
  if (!value.includes('://')) return value;
  return value
    .split(',')
    .map((part) => redactOneUrl(part))
    .join(',');
}

function redactOneUrl(part: string): string {
  // userinfo: keep the user name, mask the password. NATS URLs may carry a bare token as userinfo.
  let out = part.replace(/^(\s*([A-Za-z][A-Za-z0-9+.-]*):\/\/)([^@/?#]*)@/, (_m, prefix: string, scheme: string, userinfo: string) => {
    if (userinfo === '') return `${prefix}@`;
    const colon = userinfo.indexOf(':');
    if (colon >= 0) return `${prefix}${userinfo.slice(0, colon)}:${MASK}@`;
    return /^(nats|tls|ws|wss)$/i.test(scheme) ? `${prefix}${MASK}@` : `${prefix}${userinfo}@`;
  });
  out = out.replace(/([?&])([^=&#]+)=([^&#]*)/g, (m, sep: string, name: string) => (SECRET_PARAM.test(decodeURIComponentSafe(name)) ? `${sep}${name}=${MASK}` : m));
  return out;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * A webhook URL as shown: its origin kept, path and query masked. Slack, Teams, Discord and most
 * hook services put the secret in the path, so none of it is shown or sent to Temporal.
 */
export function redactWebhookUrl(value: string): string {
  const m = /^(\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*)(.*)$/.exec(value);
  if (!m) return MASK;
  const origin = redactUrl(m[1]!);
  return m[2] === '' || m[2] === '/' ? origin + m[2] : `${origin}/${MASK}`;
}

/** Where in the config a value sits: its key, the key of the object that holds it, and that object. */
interface Place {
  key: string | undefined;
  parent: string | undefined;
  owner?: Record<string, unknown>;
}

function maskValue(value: string, place: Place): string {
  if (place.key !== undefined && isSecretKey(place.key)) return MASK;
  if (place.key === 'url' && place.owner?.kind === 'webhook') return redactWebhookUrl(value);
  // Header values and environment variables of replicas are free-form maps: judge by their name.
  if ((place.parent === 'headers' || place.parent === 'env') && place.key !== undefined && SECRET_NAME.test(place.key)) return MASK;
  return redactUrl(value);
}

/**
 * A deep copy with every secret masked: secret-named fields, credentials in URLs, credential
 * headers and environment variables. Used for every output (`config show`, status, errors) and
 * for what the CLI sends to Temporal.
 */
export function redactSecrets<T>(value: T): T {
  return walk(value, { key: undefined, parent: undefined }) as T;
}

function walk(value: unknown, place: Place): unknown {
  if (typeof value === 'string') return maskValue(value, place);
  if (Array.isArray(value)) return value.map((v) => walk(v, { key: undefined, parent: place.key }));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = walk(v, { key: k, parent: place.key, owner: value as Record<string, unknown> });
    return out;
  }
  return value;
}

/**
 * The masked config `masked` with each mask replaced by the secret at the same place in
 * `original` (the worker's copy). Every non-secret field is taken from `masked`, which is the
 * scaler's current config, so a worker whose file is older still acts on what `docktor up` sent.
 * Throws ConfigurationError naming the field when the worker has no matching secret.
 */
export function restoreSecrets<T>(masked: T, original: unknown, where: string): T {
  return restore(masked, original, { key: undefined, parent: undefined }, where, '') as T;
}

function restore(masked: unknown, original: unknown, place: Place, where: string, path: string): unknown {
  if (typeof masked === 'string') {
    if (!masked.includes(MASK)) return masked;
    if (typeof original === 'string' && original !== masked && maskValue(original, place) === masked) return original;
    throw new ConfigurationError(
      `${path}: the scaler holds a masked secret and this worker's config ${where} has no matching value; ` +
        'start the worker with the config file that `docktor up` used (-c FILE), or give the secret by reference (a *_env or *_file field)',
      path,
    );
  }
  if (Array.isArray(masked)) {
    const orig = Array.isArray(original) ? original : [];
    return masked.map((v, i) => restore(v, orig[i], { key: undefined, parent: place.key }, where, `${path}[${i}]`));
  }
  if (masked !== null && typeof masked === 'object') {
    const orig = original !== null && typeof original === 'object' && !Array.isArray(original) ? (original as Record<string, unknown>) : {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(masked)) out[k] = restore(v, orig[k], { key: k, parent: place.key, owner: masked as Record<string, unknown> }, where, path ? `${path}.${k}` : k);
    return out;
  }
  return masked;
}

/**
 * The worker's secrets: its own config's services (unmasked), by project and service. Activities
 * restore masked configs from it. Empty in a worker started without the services' config file.
 */
export class SecretStore {
  private readonly services = new Map<string, unknown>();
  private readonly discoveries = new Map<string, DiscoverConfig>();

  constructor(private readonly origin = 'of this worker') {}

  static of(project: string, services: Array<{ name: string }>, origin: string, discover: DiscoverConfig[] = []): SecretStore {
    const store = new SecretStore(`(${origin})`);
    for (const s of services) store.add(project, s.name, s);
    for (const d of discover) store.addDiscovery(project, d);
    return store;
  }

  add(project: string, service: string, config: unknown): void {
    this.services.set(`${project}/${service}`, config);
  }

  /** A `discover:` entry: its listing config, and the services it generates, are restored from it. */
  addDiscovery(project: string, entry: DiscoverConfig): void {
    this.discoveries.set(`${project}/${entry.key}`, entry);
  }

  /**
   * A part of a service's config (e.g. one event sink) with its secrets restored from the same
   * part of this worker's copy, which `pick` finds in the service; unchanged when it holds no mask.
   */
  restoreWithin<T>(project: string, service: { name: string; queue?: unknown }, masked: T, pick: (original: unknown) => unknown, field: string): T {
    if (!JSON.stringify(masked).includes(MASK)) return masked;
    return restore(masked, pick(this.original(project, service)), { key: undefined, parent: undefined }, this.origin, field) as T;
  }

  /** The service config with its secrets restored; unchanged when it holds no mask. */
  restore<T extends { name: string }>(project: string, service: T): T {
    if (!JSON.stringify(service).includes(MASK)) return service;
    return restoreSecrets(service, this.original(project, service), this.origin);
  }

  /** This worker's own copy of a service: from its config file, or generated by its discover entries. */
  private original(project: string, service: { name: string; queue?: unknown }): unknown {
    return this.services.get(`${project}/${service.name}`) ?? this.discovered(project, service);
  }

  /** The discover entry with its secrets restored; unchanged when it holds no mask. */
  restoreDiscovery(project: string, entry: DiscoverConfig): DiscoverConfig {
    if (!JSON.stringify(entry).includes(MASK)) return entry;
    return restoreSecrets(entry, this.discoveries.get(`${project}/${entry.key}`), this.origin);
  }

  /** A discovered service as this worker's own discover entries generate it from the queue it reads. */
  private discovered(project: string, service: { name: string; queue?: unknown }): unknown {
    const queue = service.queue as ({ kind: string } & Record<string, unknown>) | undefined;
    const name = queue ? queueNameOf(queue) : undefined;
    if (name === undefined) return undefined;
    for (const [key, entry] of this.discoveries) {
      if (!key.startsWith(`${project}/`) || entry.queue.kind !== queue!.kind) continue;
      const generated = discoveredServiceInput(entry, name);
      if (generated.name === service.name) return generated;
    }
    return undefined;
  }
}

export interface SecretReader {
  env: NodeJS.ProcessEnv;
  readFile(path: string): string;
}

/**
 * A secret given as `{name}`, `{name}_env` or `{name}_file`, read now on this machine (the
 * worker). Undefined when none of the three is set. `field` is the config path of the object,
 * e.g. `queue.auth`, for errors.
 */
export function resolveSecret(obj: Record<string, unknown> | undefined, name: string, field: string, reader?: SecretReader): string | undefined {
  if (!obj) return undefined;
  const inline = obj[name];
  if (typeof inline === 'string') return inline;
  const r = reader ?? defaultReader();
  const env = obj[`${name}_env`];
  if (typeof env === 'string') {
    const v = r.env[env];
    if (v === undefined || v === '') {
      throw new ConfigurationError(`${field}.${name}_env: environment variable ${env} is not set for the docktor worker; set it where the worker runs`, `${field}.${name}_env`);
    }
    return v;
  }
  const file = obj[`${name}_file`];
  if (typeof file === 'string') {
    try {
      return r.readFile(file).replace(/\r?\n$/, '');
    } catch (e) {
      throw new ConfigurationError(`${field}.${name}_file: cannot read ${file} (${e instanceof Error ? e.message : String(e)}); fix the path`, `${field}.${name}_file`);
    }
  }
  return undefined;
}

function defaultReader(): SecretReader {
  // Loaded lazily so this module stays importable where there is no fs (tests of the pure parts).
  const fs = require('node:fs') as typeof import('node:fs');
  return { env: process.env, readFile: (p) => fs.readFileSync(p, 'utf8') };
}
