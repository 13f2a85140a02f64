// format: laravel. Laravel's RedisQueue keys `<prefix>queues:<name>` (the list jobs are RPUSHed to
// and LPOPed from), `…:reserved` (zset, score = when the reservation expires) and `…:delayed`
// (zset, score = unix seconds when the job becomes available). `prefix` is the Redis
// connection's prefix (e.g. `laravel_database_`), prepended as is. Laravel's own size() is
// LLEN + ZCARD delayed + ZCARD reserved, i.e. backlog + ack_pending + delayed here.
import type { Observations } from '../../../observations';
import type { RedisFormat } from '../format';
import { ageSince, escapeGlob, num, scanKeys, snapshot, str, withLag } from '../format';

export function laravelKey(prefix: string | undefined, queue: string): string {
  return `${prefix ?? ''}queues:${queue}`;
}

export interface LaravelFacts {
  ready: number;
  reserved: number;
  delayed: number;
  delayed_due: number;
  /** When the job at the head of the list was pushed (ms), if its payload says. */
  head_pushed_ms?: number;
  /** When the earliest due delayed job became available (ms). */
  first_due_ms?: number;
}

/** Pure: CONTRACT §2 metrics of a Laravel Redis queue. */
export function laravelObservations(f: LaravelFacts, now_ms: number): Observations {
  const backlog = f.ready + f.delayed_due;
  const o: Observations = {
    'queue.backlog': backlog,
    'queue.ack_pending': f.reserved,
    'queue.delayed': Math.max(0, f.delayed - f.delayed_due),
  };
  // Without a time in the head job's payload (Debian's Laravel 8 has none) the age is unknown.
  const headKnown = f.ready === 0 || f.head_pushed_ms !== undefined;
  const since = [f.ready > 0 ? f.head_pushed_ms : undefined, f.delayed_due > 0 ? f.first_due_ms : undefined].filter((t): t is number => t !== undefined);
  if (backlog === 0) o['queue.oldest_age_s'] = 0;
  else if (headKnown && since.length > 0) o['queue.oldest_age_s'] = ageSince(now_ms, Math.min(...since));
  return withLag(o);
}

/** The push time in a Laravel job payload, when it has one: `createdAt` (unix s, newer Laravel) or `pushedAt` (s.µs). */
export function laravelPushedMs(payload: string | undefined): number | undefined {
  if (!payload) return undefined;
  try {
    const job = JSON.parse(payload) as Record<string, unknown>;
    for (const field of ['createdAt', 'pushedAt']) {
      const v = Number(job[field]);
      if (job[field] !== undefined && job[field] !== null && Number.isFinite(v) && v > 0) return v * 1000;
    }
  } catch {
    // Not JSON: no time.
  }
  return undefined;
}

export const laravelFormat: RedisFormat = {
  countsArrivals: false,
  keys(q) {
    const k = laravelKey(q.prefix, q.queue);
    return [
      { key: k, type: 'list' },
      { key: `${k}:reserved`, type: 'zset' },
      { key: `${k}:delayed`, type: 'zset' },
    ];
  },
  async read(client, q, now_ms) {
    const k = laravelKey(q.prefix, q.queue);
    const now_s = Math.floor(now_ms / 1000);
    const r = await snapshot(client, [
      ['LLEN', k],
      ['ZCARD', `${k}:reserved`],
      ['ZCARD', `${k}:delayed`],
      ['ZCOUNT', `${k}:delayed`, '-inf', now_s],
      ['LINDEX', k, 0],
      ['ZRANGE', `${k}:delayed`, 0, 0, 'WITHSCORES'],
    ]);
    const first = Array.isArray(r[5]) ? r[5] : [];
    const facts: LaravelFacts = {
      ready: num(r[0]),
      reserved: num(r[1]),
      delayed: num(r[2]),
      delayed_due: num(r[3]),
      head_pushed_ms: laravelPushedMs(str(r[4])),
      first_due_ms: first.length === 2 ? num(first[1]) * 1000 : undefined,
    };
    return { observations: laravelObservations(facts, now_ms), counters: {} };
  },
  /**
   * Queues with any key `<prefix>queues:<name>[:reserved|:delayed|:notify]`. Redis deletes an
   * empty list or zset, so a Laravel queue without jobs (ready, reserved or delayed) has no key
   * and is not found: the discover entry's grace_period must outlast a queue's idle spells.
   */
  async names(client, q) {
    const prefix = laravelKey(q.prefix, '');
    const keys = await scanKeys(client, `${escapeGlob(prefix)}*`);
    return keys.map((k) => k.slice(prefix.length).replace(/:(reserved|delayed|notify)$/, '')).filter((n) => n.length > 0);
  },
};
