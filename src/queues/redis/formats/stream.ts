// format: stream. A Redis stream read by a consumer group (XREADGROUP/XACK). Figures from
// XINFO STREAM (O(1)), XINFO GROUPS (O(groups)) and XPENDING's summary (O(consumers)); the oldest
// entry's time comes from its id (milliseconds before the dash).
import { ConfigurationError } from '../../../errors';
import type { Observations } from '../../../observations';
import type { RedisFormat, Reply } from '../format';
import { ageSince, num, pairs, pipelined, scanKeys, snapshot, str, withLag } from '../format';

/** What streamObservations needs of the stream and its group. */
export interface StreamFacts {
  length: number;
  last_generated_id: string;
  /** XINFO STREAM `entries-added` (Redis ≥ 7). */
  entries_added?: number;
  last_delivered_id: string;
  pending: number;
  /** XINFO GROUPS `lag` (Redis ≥ 7; null when Redis cannot tell, e.g. after XDEL in range). */
  lag?: number | null;
  /** XINFO GROUPS `entries-read` (Redis ≥ 7). */
  entries_read?: number | null;
  /** Smallest id of the group's pending entries. */
  oldest_pending_id?: string;
  /** First entry after last_delivered_id, when looked up. */
  first_undelivered_id?: string;
}

/** Milliseconds part of a stream id (`1700000000000-0`). */
export function idMs(id: string): number {
  return Number(id.split('-')[0]);
}

/** Compares two stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || (as ?? 0) - (bs ?? 0);
}

/** queue.backlog when Redis gives no lag: known only when the group has read everything (or nothing). */
export function backlogOf(f: StreamFacts): number | undefined {
  if (typeof f.lag === 'number') return f.lag;
  if (compareIds(f.last_delivered_id, f.last_generated_id) >= 0) return 0;
  if (f.last_delivered_id === '0-0' && typeof f.entries_added === 'number' && f.entries_added === f.length) return f.length;
  return undefined;
}

/** Pure: CONTRACT §2 metrics of a stream group (rates are the source's, from `counters`). */
export function streamObservations(f: StreamFacts, now_ms: number): Observations {
  const o: Observations = { 'queue.ack_pending': f.pending };
  const backlog = backlogOf(f);
  if (backlog !== undefined) o['queue.backlog'] = backlog;
  if (f.pending > 0 && f.oldest_pending_id) o['queue.oldest_age_s'] = ageSince(now_ms, idMs(f.oldest_pending_id));
  else if (f.first_undelivered_id) o['queue.oldest_age_s'] = ageSince(now_ms, idMs(f.first_undelivered_id));
  else if (f.pending === 0 && backlog === 0) o['queue.oldest_age_s'] = 0;
  return withLag(o);
}

function findGroup(groups: Reply, name: string): Record<string, Reply> | undefined {
  if (!Array.isArray(groups)) return undefined;
  return groups.map(pairs).find((g) => g.name === name);
}

const nullableNum = (r: Reply | undefined): number | null | undefined => (r === undefined ? undefined : r === null ? null : num(r));

export const streamFormat: RedisFormat = {
  countsArrivals: true,
  keys: (q) => [{ key: q.queue, type: 'stream' }],
  async read(client, q, now_ms) {
    const group = q.group!;
    const [info, groups] = await snapshot(client, [
      ['XINFO', 'STREAM', q.queue],
      ['XINFO', 'GROUPS', q.queue],
    ]);
    const s = pairs(info);
    const g = findGroup(groups!, group);
    if (!g) {
      throw new ConfigurationError(
        `consumer group '${group}' not found on stream '${q.queue}' (queue.group): create it (XGROUP CREATE ${q.queue} ${group} $ MKSTREAM) or fix queue.group`,
        'queue.group',
      );
    }
    const facts: StreamFacts = {
      length: num(s.length),
      last_generated_id: str(s['last-generated-id']) ?? '0-0',
      entries_added: s['entries-added'] === undefined ? undefined : num(s['entries-added']),
      last_delivered_id: str(g['last-delivered-id']) ?? '0-0',
      pending: num(g.pending),
      lag: nullableNum(g.lag),
      entries_read: nullableNum(g['entries-read']),
    };
    // Second round, O(1) each: the oldest pending entry, else the first one not delivered yet.
    if (facts.pending > 0) {
      const [summary] = await pipelined(client, [['XPENDING', q.queue, group]]);
      facts.oldest_pending_id = Array.isArray(summary) ? str(summary[1]) : undefined;
    } else if (backlogOf(facts) !== 0) {
      const [first] = await pipelined(client, [['XRANGE', q.queue, `(${facts.last_delivered_id}`, '+', 'COUNT', 1]]);
      const entry = Array.isArray(first) ? first[0] : undefined;
      facts.first_undelivered_id = Array.isArray(entry) ? str(entry[0]) : undefined;
    }
    const counters: { in?: number; out?: number } = {};
    if (facts.entries_added !== undefined) counters.in = facts.entries_added;
    // Entries delivered to the group and acknowledged since (re-deliveries are not counted twice).
    // A group that has delivered nothing yet reports entries-read as nil: none were read.
    if (facts.entries_read === null && facts.last_delivered_id === '0-0' && facts.pending === 0) facts.entries_read = 0;
    if (typeof facts.entries_read === 'number') counters.out = Math.max(0, facts.entries_read - facts.pending);
    return { observations: streamObservations(facts, now_ms), counters };
  },
  /** The stream keys that have the consumer group `group`. */
  async names(client, q) {
    const streams = await scanKeys(client, '*', 'stream');
    const groups = await Promise.all(streams.map((key) => pipelined(client, [['XINFO', 'GROUPS', key]]).then(([g]) => g, () => null)));
    return streams.filter((_, i) => findGroup(groups[i] ?? null, q.group!) !== undefined);
  },
};
