// What every Redis format (list, stream, bullmq, laravel, celery, sidekiq) provides to the redis
// queue source, and the one way they read: a MULTI of O(1)/O(log n) commands, so that the figures
// of one read are a consistent snapshot (a job moving from waiting to active between two commands
// would otherwise be counted twice, and a derived counter would seem to go backwards).
import type { RedisQueueConfig } from '../../config/queue';
import type { Observations } from '../../observations';
import { Cluster } from 'ioredis';
import type { RedisClient } from './connections';

/** Redis key types as TYPE names them. */
export type RedisKeyType = 'list' | 'zset' | 'hash' | 'stream' | 'string' | 'set';

export interface ExpectedKey {
  key: string;
  type: RedisKeyType;
}

export interface FormatReading {
  observations: Observations;
  /**
   * Monotonic counters for rates, each optional: `in` gives queue.rate_in, `out` queue.rate_out.
   * Absent when the format keeps no such counter.
   */
  counters: { in?: number; out?: number };
}

export interface RedisFormat {
  /** Whether the format keeps a counter of what was added (its reads give `counters.in`). */
  readonly countsArrivals: boolean;
  /** The keys read and the type each must have (for WRONGTYPE errors and `config validate`). */
  keys(config: RedisQueueConfig): ExpectedKey[];
  /** One read; Redis errors propagate (the source maps them). */
  read(client: RedisClient, config: RedisQueueConfig, now_ms: number): Promise<FormatReading>;
  /** Discovery: the names of the queues of this format (unsorted, may repeat); SCAN-based, never KEYS. */
  names(client: RedisClient, config: Omit<RedisQueueConfig, 'queue'>): Promise<string[]>;
}

/** A glob-style pattern matching `text` literally (for SCAN MATCH). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Every key matching `pattern` (and of `type`), by SCAN on each master of a cluster. */
export async function scanKeys(client: RedisClient, pattern: string, type?: RedisKeyType): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  const keys: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, batch] = type ? await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000, 'TYPE', type) : await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
  }
  return keys;
}

export type Command = [name: string, ...args: Array<string | number>];
export type Reply = string | number | null | Reply[];

/** Runs the commands in one MULTI/EXEC and returns their replies; the first failed one throws. */
export async function snapshot(client: RedisClient, commands: Command[]): Promise<Reply[]> {
  const multi = client.multi();
  for (const [name, ...args] of commands) multi.call(name, ...args);
  const results = await multi.exec();
  if (!results) throw new Error('the MULTI transaction was aborted');
  return results.map(([err, reply]) => {
    if (err) throw err;
    return reply as Reply;
  });
}

/** Runs independent commands in one pipeline (no atomicity needed); the first failed one throws. */
export async function pipelined(client: RedisClient, commands: Command[]): Promise<Reply[]> {
  if (commands.length === 0) return [];
  return Promise.all(commands.map(([name, ...args]) => client.call(name, ...args) as Promise<Reply>));
}

export function num(reply: Reply | undefined): number {
  const n = typeof reply === 'number' ? reply : typeof reply === 'string' ? Number(reply) : 0;
  return Number.isFinite(n) ? n : 0;
}

export function str(reply: Reply | undefined): string | undefined {
  return typeof reply === 'string' ? reply : undefined;
}

/** A flat [field, value, field, value, …] reply (XINFO, HGETALL) as an object. */
export function pairs(reply: Reply | undefined): Record<string, Reply> {
  const out: Record<string, Reply> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1]!;
  return out;
}

/** Seconds from `from_ms` to `now_ms`, never negative (clock skew between hosts). */
export function ageSince(now_ms: number, from_ms: number): number {
  return Math.max(0, now_ms - from_ms) / 1000;
}

/** queue.lag: backlog plus ack_pending, when both are known. */
export function withLag(observations: Observations): Observations {
  const b = observations['queue.backlog'];
  const a = observations['queue.ack_pending'];
  if (b !== undefined && a !== undefined) observations['queue.lag'] = b + a;
  return observations;
}
