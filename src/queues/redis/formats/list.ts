// format: list. A plain Redis list of jobs (LPUSH/BRPOP or RPUSH/BLPOP): its length is the
// backlog. Entries carry no timestamp docktor could rely on, so there is no oldest age, and a
// list keeps no counters, so there are no rates.
import type { RedisFormat } from '../format';
import { num, scanKeys, snapshot } from '../format';

export const listFormat: RedisFormat = {
  countsArrivals: false,
  keys: (q) => [{ key: q.queue, type: 'list' }],
  async read(client, q) {
    const [len] = await snapshot(client, [['LLEN', q.queue]]);
    return { observations: { 'queue.backlog': num(len) }, counters: {} };
  },
  /** Every list key of the database: narrow it with the discover entry's `match`. */
  names: (client) => scanKeys(client, '*', 'list'),
};
