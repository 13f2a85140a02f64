// format: celery. Kombu's Redis transport (Celery's broker): the queue is a list named as the
// queue, plus one list per priority step (`<queue>\x06\x163`, `…6`, `…9`; kombu's default steps
// 0/3/6/9). Messages fetched but not yet acknowledged sit in kombu's `unacked` hash (delivery
// tag → [message, exchange, routing key]) with their delivery time in `unacked_index`; they are
// told apart per queue by routing key, which is the queue's name unless Celery routes otherwise.
// `prefix` is kombu's `global_keyprefix`. Kombu's messages carry no send time: no oldest age.
import type { Observations } from '../../../observations';
import type { RedisFormat } from '../format';
import { escapeGlob, num, pipelined, scanKeys, snapshot, withLag } from '../format';

export const KOMBU_PRIORITY_STEPS = [0, 3, 6, 9] as const;
const KOMBU_SEP = '\x06\x16';
/** Above this many unacknowledged messages (of every queue) they are not read one by one: ack_pending is left out. */
export const MAX_UNACKED_READ = 1000;

export function celeryKeys(prefix: string | undefined, queue: string): { lists: string[]; unacked: string; unacked_index: string } {
  const p = prefix ?? '';
  return {
    lists: KOMBU_PRIORITY_STEPS.map((step) => (step === 0 ? `${p}${queue}` : `${p}${queue}${KOMBU_SEP}${step}`)),
    unacked: `${p}unacked`,
    unacked_index: `${p}unacked_index`,
  };
}

/** Pure: how many of kombu's unacked entries were routed to `queue`. */
export function unackedFor(values: string[], queue: string): number {
  let n = 0;
  for (const v of values) {
    try {
      const entry = JSON.parse(v) as unknown;
      if (Array.isArray(entry) && entry[2] === queue) n++;
    } catch {
      // Not kombu's: not ours.
    }
  }
  return n;
}

export function celeryObservations(waiting: number, unacked: number | undefined): Observations {
  const o: Observations = { 'queue.backlog': waiting };
  if (unacked !== undefined) o['queue.ack_pending'] = unacked;
  return withLag(o);
}

export const celeryFormat: RedisFormat = {
  countsArrivals: false,
  keys(q) {
    const k = celeryKeys(q.prefix, q.queue);
    return [...k.lists.map((key) => ({ key, type: 'list' as const })), { key: k.unacked, type: 'hash' }];
  },
  async read(client, q) {
    const k = celeryKeys(q.prefix, q.queue);
    const r = await snapshot(client, [...k.lists.map((key): [string, string] => ['LLEN', key]), ['HLEN', k.unacked]]);
    const waiting = r.slice(0, k.lists.length).reduce<number>((sum, n) => sum + num(n), 0);
    const unackedTotal = num(r[k.lists.length]);
    let unacked: number | undefined;
    if (unackedTotal === 0) unacked = 0;
    else if (unackedTotal <= MAX_UNACKED_READ) {
      // Bounded by the workers' prefetch, not by the queue's length.
      const [values] = await pipelined(client, [['HVALS', k.unacked]]);
      unacked = unackedFor(Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [], q.queue);
    }
    return { observations: celeryObservations(waiting, unacked), counters: {} };
  },
  /**
   * The queues bound in kombu's exchange tables, `_kombu.binding.<exchange>` sets of
   * `routing_key␆␖pattern␆␖queue` (a worker declares them when it starts consuming), except the
   * exchanges of Celery's remote control and events (`*.pidbox`, `celeryev`), whose queues are
   * per-worker and transient.
   */
  async names(client, q) {
    const prefix = `${q.prefix ?? ''}_kombu.binding.`;
    const tables = (await scanKeys(client, `${escapeGlob(prefix)}*`, 'set')).filter((k) => !/\.pidbox$|^celeryev$/.test(k.slice(prefix.length)));
    const members = await pipelined(client, tables.map((k): [string, string] => ['SMEMBERS', k]));
    return members.flatMap((m) => (Array.isArray(m) ? m : [])).flatMap((m) => (typeof m === 'string' ? [m.split(KOMBU_SEP)[2] ?? ''] : [])).filter((n) => n.length > 0);
  },
};
