// The Redis queue source (`queue: { kind: redis, format, queue, … }`): one pooled client per
// server and credentials, one MULTI of O(1)/O(log n) commands per read (see formats/), rates from
// the formats' counters kept in the reading's state (src/sources/rates.ts).
import type { RedisQueueConfig } from '../../config/queue';
import { ConfigurationError, DocktorError } from '../../errors';
import type { CheckResult, Json, Observations } from '../../observations';
import { isNetworkError, messageOf, sourceError, withDeadline } from '../../sources/failures';
import { RATE_SPAN_METRIC, advanceCounters, counterStateToJson, parseCounterState, ratesOf, type CounterSample } from '../../sources/rates';
import { redactUrl } from '../../sources/secrets';
import type { ListingConfig, QueueReadOptions, QueueReading, QueueSource } from '../../sources/queue-source';
import { RedisConnectionPool, type RedisClient } from './connections';
import type { ExpectedKey, RedisFormat } from './format';
import { bullmqFormat } from './formats/bullmq';
import { celeryFormat } from './formats/celery';
import { laravelFormat } from './formats/laravel';
import { listFormat } from './formats/list';
import { sidekiqFormat } from './formats/sidekiq';
import { streamFormat } from './formats/stream';

export const REDIS_FORMAT_READERS: Record<RedisQueueConfig['format'], RedisFormat> = {
  list: listFormat,
  stream: streamFormat,
  bullmq: bullmqFormat,
  laravel: laravelFormat,
  celery: celeryFormat,
  sidekiq: sidekiqFormat,
};

const READ_DEADLINE_MS = 10_000;
const COUNTERS = ['in', 'out'] as const;

/** The source as an operator knows it, masked: `Redis at redis://u:***@host:6379 (bullmq queue 'emails')`. */
export function describeRedisQueue(q: RedisQueueConfig): string {
  const group = q.group ? `, group '${q.group}'` : '';
  const prefix = q.prefix !== undefined ? `, prefix '${q.prefix}'` : '';
  return `Redis at ${redactUrl(q.url)} (${q.format} queue '${q.queue}'${group}${prefix})`;
}

const isAuthError = (err: unknown) => /^(WRONGPASS|NOAUTH|NOPERM)|invalid username-password|Authentication required/i.test(messageOf(err));

function configurationProblem(q: RedisQueueConfig) {
  return (err: unknown): string | undefined => {
    const msg = messageOf(err);
    if (q.format === 'stream' && /no such key/i.test(msg)) {
      return `stream '${q.queue}' does not exist (queue.queue): create it with its group (XGROUP CREATE ${q.queue} ${q.group ?? '<group>'} $ MKSTREAM) or fix queue.queue`;
    }
    if (/^ERR unknown command/i.test(msg)) return `the server refused a command docktor reads with (${msg}); queue.format ${q.format} needs Redis ≥ 6.2`;
    return undefined;
  };
}

export class RedisQueueSource implements QueueSource<RedisQueueConfig> {
  readonly kind = 'redis' as const;
  readonly pool = new RedisConnectionPool();

  countsArrivals(config: RedisQueueConfig): boolean {
    return REDIS_FORMAT_READERS[config.format].countsArrivals;
  }

  async read(config: RedisQueueConfig, options: QueueReadOptions): Promise<QueueReading> {
    const now_ms = options.now_ms ?? Date.now();
    const format = REDIS_FORMAT_READERS[config.format];
    const { observations, counters } = await this.run(config, (client) => format.read(client, config, now_ms));
    const names = COUNTERS.filter((c) => counters[c] !== undefined);
    if (names.length === 0) return { observations, state: null };
    const sample = { at_ms: now_ms, ...Object.fromEntries(names.map((c) => [c, counters[c]!])) } as CounterSample<(typeof COUNTERS)[number]>;
    const identity = JSON.stringify([config.format, config.prefix ?? null, config.queue, config.group ?? null, names]);
    const { state, base, span_s } = advanceCounters(parseCounterState(names, options.state), identity, sample, options.window_seconds);
    if (base && span_s !== undefined) {
      const rates: Partial<Record<string, number>> = ratesOf(base, sample, names);
      if (rates.in !== undefined) observations['queue.rate_in'] = rates.in;
      if (rates.out !== undefined) observations['queue.rate_out'] = rates.out;
      observations[RATE_SPAN_METRIC] = span_s;
    }
    return { observations, state: counterStateToJson(state) as Json };
  }

  async check(config: RedisQueueConfig): Promise<CheckResult[]> {
    const reachable = `Redis reachable: ${redactUrl(config.url)}`;
    const queueLabel = `${config.format} queue '${config.queue}'${config.group ? ` (group '${config.group}')` : ''} readable`;
    let version: string;
    try {
      version = await this.run(config, async (client) => serverVersion(await client.info('server')));
    } catch (err) {
      return [
        { ok: false, label: reachable, detail: messageOf(err) },
        { ok: false, label: queueLabel, detail: 'not checked: Redis is unreachable' },
      ];
    }
    const results: CheckResult[] = [{ ok: true, label: reachable, detail: `redis ${version}` }];
    try {
      const { observations } = await this.read(config, { window_seconds: 1 });
      results.push({ ok: true, label: queueLabel, detail: brief(observations) });
    } catch (err) {
      results.push({ ok: false, label: queueLabel, detail: messageOf(err) });
    }
    return results;
  }

  /** Discovery: the queues of the config's format (see each format's `names`). */
  async listQueues(config: ListingConfig<RedisQueueConfig>): Promise<string[]> {
    const full = { ...config, queue: '*' } as RedisQueueConfig;
    const names = await this.run(full, (client) => REDIS_FORMAT_READERS[config.format].names(client, config));
    return [...new Set(names)].sort();
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Runs `work` on the pooled client, bounded in time, with errors typed and naming the source. */
  private async run<T>(config: RedisQueueConfig, work: (client: RedisClient) => Promise<T>): Promise<T> {
    const what = describeRedisQueue(config);
    const ctx = { what, field: 'queue.url', isAuthError, configurationProblem: configurationProblem(config) };
    let client: RedisClient;
    try {
      client = await withDeadline(this.pool.get(config), READ_DEADLINE_MS, what);
    } catch (err) {
      throw sourceError(ctx, err);
    }
    try {
      return await withDeadline(work(client), READ_DEADLINE_MS, what);
    } catch (err) {
      if (err instanceof ConfigurationError && !err.message.startsWith(what)) throw new ConfigurationError(`${what}: ${err.message}`, err.field);
      if (err instanceof DocktorError) throw err;
      if (/^WRONGTYPE/.test(messageOf(err))) throw await wrongType(client, config, what);
      if (isNetworkError(err) || client.status !== 'ready') await this.pool.discard(config);
      throw sourceError(ctx, err);
    }
  }
}

/** Names the key whose type is not the format's, and what it is. */
async function wrongType(client: RedisClient, config: RedisQueueConfig, what: string): Promise<ConfigurationError> {
  const keys: ExpectedKey[] = REDIS_FORMAT_READERS[config.format].keys(config);
  const types = await Promise.all(keys.map((k) => client.type(k.key).catch(() => 'unknown')));
  const wrong = keys.map((k, i) => ({ ...k, actual: types[i]! })).filter((k) => k.actual !== 'none' && k.actual !== k.type);
  const list = wrong.map((k) => `'${k.key}' is a ${k.actual}, not a ${k.type}`).join('; ') || 'a key has another type than the format uses';
  return new ConfigurationError(`${what}: ${list}: check queue.format and queue.queue${config.prefix !== undefined ? ' and queue.prefix' : ''}`, 'queue.format');
}

function serverVersion(info: string): string {
  return /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? '?';
}

function brief(o: Observations): string {
  return Object.entries(o)
    .map(([k, v]) => `${k.replace(/^queue\./, '')} ${Number.isInteger(v) ? v : v.toFixed(1)}`)
    .join(', ');
}

/** The process-wide instance the registry hands out. */
export const redisQueueSource = new RedisQueueSource();
