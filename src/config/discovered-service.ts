// Pure: how a discovered queue becomes a service config. The template's strings get `{queue}`
// replaced, the queue's identity goes into the discover entry's queue config, and the service name
// is derived from the queue, deterministically (it is also the scaler's workflow id). Deterministic
// and free of I/O: used by the config loader, the discovery activity, the worker's secret store
// and the CLI, which must all derive the same service from the same queue.

/** The queue kinds that can list their queues, and the field of their config that names one queue. */
export const DISCOVERY_IDENTITY = { nats: 'consumer', redis: 'queue', rabbitmq: 'queue' } as const;
export type DiscoverableKind = keyof typeof DISCOVERY_IDENTITY;
export const DISCOVERABLE_KINDS = Object.keys(DISCOVERY_IDENTITY) as DiscoverableKind[];

/** The placeholder replaced by the queue's name in every string of a template. */
export const QUEUE_PLACEHOLDER = '{queue}';
/** The service name when the template sets none. */
export const DEFAULT_NAME_PATTERN = QUEUE_PLACEHOLDER;

/** A queue config of a discoverable kind without the field that names one queue (as written under `discover[].queue`). */
export type DiscoverQueueConfig = { kind: DiscoverableKind } & Record<string, unknown>;

/** One `discover:` entry, validated, paths resolved; `template` is kept as written (no defaults). */
export interface DiscoverConfig {
  /** The entry's `name`, else its index: the discovery workflow's id ends with it. */
  key: string;
  name?: string;
  queue: DiscoverQueueConfig;
  /** Glob over queue names: `*` any run of characters, `?` one, `[abc]` / `[!abc]` a class. */
  match: string;
  template: Record<string, unknown>;
  /** Seconds between listings. */
  interval: number;
  /** Seconds a queue must stay gone before its scaler is stopped. */
  grace_period: number;
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAX_NAME = 200;

/** A glob as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        const negated = body.startsWith('!');
        if (negated) body = body.slice(1);
        re += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

export function matchesGlob(glob: string, name: string): boolean {
  return globToRegExp(glob).test(name);
}

/** FNV-1a over the UTF-16 code units, 32 bits, as 8 hex digits: a short deterministic suffix. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The service name of a discovered queue: the pattern (template `name`, default `{queue}`) with
 * the queue substituted. When that is not a valid service name (characters other than letters,
 * digits, `_`, `.`, `-`, a leading symbol, over 200 characters), each other character becomes
 * `-` and `-<8 hex digits of a hash of the queue name>` is appended, so that two queues that
 * differ only in those characters still get two names.
 */
export function discoveredServiceName(pattern: string, queue: string): string {
  const raw = pattern.split(QUEUE_PLACEHOLDER).join(queue);
  if (SERVICE_NAME.test(raw) && raw.length <= MAX_NAME) return raw;
  const cleaned = raw.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, MAX_NAME - 9);
  return `${cleaned || 'queue'}-${shortHash(queue)}`;
}

/** Every string in `value` with `{queue}` replaced (keys are left alone). */
export function substituteQueue<T>(value: T, queue: string): T {
  if (typeof value === 'string') return value.split(QUEUE_PLACEHOLDER).join(queue) as T;
  if (Array.isArray(value)) return value.map((v) => substituteQueue(v, queue)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteQueue(v, queue)])) as T;
  }
  return value;
}

/** The service of one discovered queue as it would be written in docktor.yaml (defaults not applied). */
export function discoveredServiceInput(entry: Pick<DiscoverConfig, 'queue' | 'template'>, queue: string): Record<string, unknown> {
  const { name, ...template } = entry.template;
  const pattern = typeof name === 'string' ? name : DEFAULT_NAME_PATTERN;
  return {
    ...substituteQueue(template, queue),
    name: discoveredServiceName(pattern, queue),
    queue: { ...entry.queue, [DISCOVERY_IDENTITY[entry.queue.kind]]: queue },
  };
}

/** The queue a discovered service reads (its identity field), if it is of a discoverable kind. */
export function queueNameOf(q: { kind: string } & Record<string, unknown>): string | undefined {
  const field = (DISCOVERY_IDENTITY as Record<string, string>)[q.kind];
  const v = field ? q[field] : undefined;
  return typeof v === 'string' ? v : undefined;
}
