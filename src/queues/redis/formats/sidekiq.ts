// format: sidekiq. Sidekiq's `queue:<name>` list (LPUSHed by clients, BRPOPed by workers, so the
// oldest job is at the right end) under an optional namespace (`prefix:`, redis-namespace style).
// Latency as Sidekiq's Queue#latency: now − `enqueued_at` of the oldest job. `stat:processed` is
// Sidekiq's process-wide counter of processed jobs (every queue of this Redis). Jobs being worked
// on are in each Sidekiq process's `<identity>:workers` hash (`:work` in Sidekiq 7), written at
// its heartbeat (every 5 s), as Sidekiq's own WorkSet reads them: bounded by the number of
// processes and threads, never by the queue's length.
import type { Observations } from '../../../observations';
import type { RedisClient } from '../connections';
import type { RedisFormat } from '../format';
import { ageSince, num, pipelined, snapshot, str, withLag } from '../format';

/** Above this many Sidekiq processes their work hashes are not read: ack_pending is left out. */
export const MAX_PROCESSES_READ = 200;

export function sidekiqKey(prefix: string | undefined, key: string): string {
  return prefix ? `${prefix}:${key}` : key;
}

/** `enqueued_at` of a Sidekiq job payload in ms: float seconds (Sidekiq ≤ 7) or integer ms (Sidekiq 8). */
export function sidekiqEnqueuedMs(payload: string | undefined): number | undefined {
  if (!payload) return undefined;
  try {
    const v = Number((JSON.parse(payload) as Record<string, unknown>).enqueued_at);
    if (!Number.isFinite(v) || v <= 0) return undefined;
    return v > 1e11 ? v : v * 1000;
  } catch {
    return undefined;
  }
}

/** Pure: CONTRACT §2 metrics of a Sidekiq queue. */
export function sidekiqObservations(size: number, oldest_enqueued_ms: number | undefined, now_ms: number, busy?: number): Observations {
  const o: Observations = { 'queue.backlog': size };
  if (busy !== undefined) o['queue.ack_pending'] = busy;
  if (size === 0) o['queue.oldest_age_s'] = 0;
  else if (oldest_enqueued_ms !== undefined) o['queue.oldest_age_s'] = ageSince(now_ms, oldest_enqueued_ms);
  return withLag(o);
}

/** Pure: how many entries of Sidekiq work hashes (JSON `{queue, payload, run_at}`) are jobs of `queue`. */
export function busyFor(values: string[], queue: string): number {
  let n = 0;
  for (const v of values) {
    try {
      if ((JSON.parse(v) as { queue?: unknown }).queue === queue) n++;
    } catch {
      // Not Sidekiq's: not ours.
    }
  }
  return n;
}

/** Jobs of `queue` that live Sidekiq processes are working on, as of their last heartbeat. */
async function busyJobs(client: RedisClient, prefix: string | undefined, queue: string, processes: string[]): Promise<number | undefined> {
  if (processes.length > MAX_PROCESSES_READ) return undefined;
  const replies = await pipelined(
    client,
    processes.flatMap((id): Array<[string, string]> => [
      ['EXISTS', sidekiqKey(prefix, id)],
      ['HVALS', sidekiqKey(prefix, `${id}:workers`)],
      ['HVALS', sidekiqKey(prefix, `${id}:work`)],
    ]),
  );
  let busy = 0;
  for (let i = 0; i < processes.length; i++) {
    // A process whose heartbeat key expired is gone; its hash is stale.
    if (num(replies[3 * i]) !== 1) continue;
    for (const values of [replies[3 * i + 1], replies[3 * i + 2]]) {
      busy += busyFor(Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : [], queue);
    }
  }
  return busy;
}

export const sidekiqFormat: RedisFormat = {
  countsArrivals: false,
  keys: (q) => [
    { key: sidekiqKey(q.prefix, `queue:${q.queue}`), type: 'list' },
    { key: sidekiqKey(q.prefix, 'stat:processed'), type: 'string' },
    { key: sidekiqKey(q.prefix, 'processes'), type: 'set' },
  ],
  async read(client, q, now_ms) {
    const list = sidekiqKey(q.prefix, `queue:${q.queue}`);
    const [size, oldest, processed, processes] = await snapshot(client, [
      ['LLEN', list],
      ['LINDEX', list, -1],
      ['GET', sidekiqKey(q.prefix, 'stat:processed')],
      ['SMEMBERS', sidekiqKey(q.prefix, 'processes')],
    ]);
    const ids = Array.isArray(processes) ? processes.filter((p): p is string => typeof p === 'string') : [];
    const busy = await busyJobs(client, q.prefix, q.queue, ids);
    return {
      observations: sidekiqObservations(num(size), sidekiqEnqueuedMs(str(oldest)), now_ms, busy),
      counters: { out: num(processed) },
    };
  },
  /** Sidekiq's own set of queue names, `queues` (added to on every push, removed from when a queue is cleared). */
  async names(client, q) {
    const [members] = await pipelined(client, [['SMEMBERS', sidekiqKey(q.prefix, 'queues')]]);
    return Array.isArray(members) ? members.filter((m): m is string => typeof m === 'string') : [];
  },
};
