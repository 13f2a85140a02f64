// Which queue a config reads, as a comparable string: discovery leaves alone the queues that
// `services:` already scales. Pure.
import type { QueueConfig } from '../config/queue';
import { redactUrl } from '../sources/secrets';

/**
 * Which queue a config reads, as a comparable string (secrets masked): two services with the same
 * key read the same queue. For discovery to leave queues that `services:` already scales alone.
 */
export function queueKey(q: QueueConfig | ({ kind: string } & Record<string, unknown>)): string {
  const r = q as Record<string, unknown>;
  const url = typeof r.url === 'string' ? redactUrl(r.url) : null;
  switch (q.kind) {
    case 'nats':
      return JSON.stringify(['nats', url, r.stream, r.consumer]);
    case 'redis':
      return JSON.stringify(['redis', url, r.format, r.prefix ?? null, r.queue, r.group ?? null]);
    case 'rabbitmq':
      return JSON.stringify(['rabbitmq', url, r.queue]);
    default:
      return JSON.stringify([q.kind, redactUrlsIn(r)]);
  }
}

function redactUrlsIn(r: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' ? redactUrl(v) : v]));
}
