// format: sidekiq. Sidekiq's `queue:<name>` list (LPUSHed by clients, BRPOPed by workers, so the
// oldest job is at the right end) under an optional namespace (`prefix:`, redis-namespace style).
// Latency as Sidekiq's Queue#latency: now − `enqueued_at` of the oldest job. `stat:processed` is
// Sidekiq's process-wide counter of processed jobs (every queue of this Redis).
import type { Observations } from '../../../observations';
import type { RedisFormat } from '../format';
import { ageSince, num, snapshot, str } from '../format';

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
export function sidekiqObservations(size: number, oldest_enqueued_ms: number | undefined, now_ms: number): Observations {
  const o: Observations = { 'queue.backlog': size };
  if (size === 0) o['queue.oldest_age_s'] = 0;
  else if (oldest_enqueued_ms !== undefined) o['queue.oldest_age_s'] = ageSince(now_ms, oldest_enqueued_ms);
  return o;
}

export const sidekiqFormat: RedisFormat = {
  keys: (q) => [
    { key: sidekiqKey(q.prefix, `queue:${q.queue}`), type: 'list' },
    { key: sidekiqKey(q.prefix, 'stat:processed'), type: 'string' },
  ],
  async read(client, q, now_ms) {
    const list = sidekiqKey(q.prefix, `queue:${q.queue}`);
    const [size, oldest, processed] = await snapshot(client, [
      ['LLEN', list],
      ['LINDEX', list, -1],
      ['GET', sidekiqKey(q.prefix, 'stat:processed')],
    ]);
    return {
      observations: sidekiqObservations(num(size), sidekiqEnqueuedMs(str(oldest)), now_ms),
      counters: { out: num(processed) },
    };
  },
};
