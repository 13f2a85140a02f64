// format: bullmq. BullMQ's keys under `<prefix>:<queue>:` (prefix default `bull`): `wait` and
// `paused` lists (jobs are LPUSHed and taken from the right), `prioritized`, `delayed` (score =
// ready time in ms × 0x1000), `waiting-children` zsets, the `active` list, the `id` counter
// (INCR on every add) and one hash per job with its `timestamp` and `delay`.
import type { Observations } from '../../../observations';
import type { RedisFormat, Reply } from '../format';
import { ageSince, escapeGlob, num, pipelined, scanKeys, snapshot, str, withLag } from '../format';

export const BULLMQ_DEFAULT_PREFIX = 'bull';

export function bullmqBase(prefix: string | undefined, queue: string): string {
  return `${prefix ?? BULLMQ_DEFAULT_PREFIX}:${queue}:`;
}

/** What bullmqObservations needs (one consistent snapshot). */
export interface BullmqFacts {
  wait: number;
  paused: number;
  prioritized: number;
  active: number;
  delayed: number;
  /** Delayed jobs whose time has come (BullMQ promotes them to wait when a worker next looks). */
  delayed_due: number;
  waiting_children: number;
  /** The `id` counter: jobs ever added. */
  added: number;
  /** When each of the jobs first in line became ready to run (ms): oldest waiting, next prioritized, oldest due delayed. */
  ready_since_ms: number[];
}

/** Pure: CONTRACT §2 metrics of a BullMQ queue. */
export function bullmqObservations(f: BullmqFacts, now_ms: number): Observations {
  const backlog = f.wait + f.paused + f.prioritized + f.delayed_due;
  const o: Observations = {
    'queue.backlog': backlog,
    'queue.ack_pending': f.active,
    'queue.delayed': Math.max(0, f.delayed - f.delayed_due),
  };
  if (backlog === 0) o['queue.oldest_age_s'] = 0;
  else if (f.ready_since_ms.length > 0) o['queue.oldest_age_s'] = ageSince(now_ms, Math.min(...f.ready_since_ms));
  return withLag(o);
}

/** Jobs that left the queue for good (completed, failed or removed): added minus those still in it. */
export function bullmqFinished(f: BullmqFacts): number {
  return Math.max(0, f.added - (f.wait + f.paused + f.prioritized + f.active + f.delayed + f.waiting_children));
}

/** BullMQ ≤ 4 left a marker (`0:<delay>`) at the right end of `wait`; it is not a job. */
const isMarker = (id: string | undefined) => id !== undefined && id.startsWith('0:');

export const bullmqFormat: RedisFormat = {
  countsArrivals: true,
  keys(q) {
    const k = bullmqBase(q.prefix, q.queue);
    return [
      { key: `${k}wait`, type: 'list' },
      { key: `${k}paused`, type: 'list' },
      { key: `${k}active`, type: 'list' },
      { key: `${k}prioritized`, type: 'zset' },
      { key: `${k}delayed`, type: 'zset' },
      { key: `${k}waiting-children`, type: 'zset' },
      { key: `${k}id`, type: 'string' },
    ];
  },
  async read(client, q, now_ms) {
    const k = bullmqBase(q.prefix, q.queue);
    const dueMax = (now_ms + 1) * 0x1000 - 1;
    const r = await snapshot(client, [
      ['LLEN', `${k}wait`],
      ['LLEN', `${k}paused`],
      ['ZCARD', `${k}prioritized`],
      ['LLEN', `${k}active`],
      ['ZCARD', `${k}delayed`],
      ['ZCOUNT', `${k}delayed`, '-inf', dueMax],
      ['ZCARD', `${k}waiting-children`],
      ['GET', `${k}id`],
      ['LRANGE', `${k}wait`, -2, -1],
      ['ZRANGE', `${k}prioritized`, 0, 0],
      ['ZRANGE', `${k}delayed`, 0, 0, 'WITHSCORES'],
    ]);
    const tail = (Array.isArray(r[8]) ? r[8] : []).map((x) => str(x));
    const markerLen = isMarker(tail[tail.length - 1]) ? 1 : 0;
    const oldestWaiting = markerLen ? tail[tail.length - 2] : tail[tail.length - 1];
    const nextPrioritized = Array.isArray(r[9]) ? str(r[9][0]) : undefined;
    const firstDelayed = Array.isArray(r[10]) ? r[10] : [];
    const facts: BullmqFacts = {
      wait: num(r[0]) - markerLen,
      paused: num(r[1]),
      prioritized: num(r[2]),
      active: num(r[3]),
      delayed: num(r[4]),
      delayed_due: num(r[5]),
      waiting_children: num(r[6]),
      added: num(r[7]),
      ready_since_ms: [],
    };
    if (firstDelayed.length === 2) {
      const ready = Math.floor(num(firstDelayed[1]) / 0x1000);
      if (ready <= now_ms) facts.ready_since_ms.push(ready);
    }
    // Second round: the `timestamp` and `delay` of the jobs first in line (ready = timestamp + delay).
    const jobs = [oldestWaiting, nextPrioritized].filter((id): id is string => id !== undefined && !isMarker(id));
    const fields = await pipelined(client, jobs.map((id): [string, string, string, string] => ['HMGET', `${k}${id}`, 'timestamp', 'delay']));
    for (const reply of fields) facts.ready_since_ms.push(...readySince(reply));
    return { observations: bullmqObservations(facts, now_ms), counters: { in: facts.added, out: bullmqFinished(facts) } };
  },
  /** Queues with a `<prefix>:<queue>:meta` hash (BullMQ writes it when a queue is first used; it stays until the queue is obliterated). */
  async names(client, q) {
    const prefix = `${q.prefix ?? BULLMQ_DEFAULT_PREFIX}:`;
    const keys = await scanKeys(client, `${escapeGlob(prefix)}*:meta`, 'hash');
    return keys.map((k) => k.slice(prefix.length, -':meta'.length)).filter((n) => n.length > 0);
  },
};

function readySince(reply: Reply): number[] {
  if (!Array.isArray(reply)) return [];
  const timestamp = Number(reply[0]);
  if (!Number.isFinite(timestamp) || reply[0] === null) return [];
  const delay = Number(reply[1] ?? 0);
  return [timestamp + (Number.isFinite(delay) ? delay : 0)];
}
