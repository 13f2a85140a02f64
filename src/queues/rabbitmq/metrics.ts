// Pure: CONTRACT §2 queue metrics from what RabbitMQ tells about one queue, through the management
// HTTP API (GET /api/queues/<vhost>/<name>) or through AMQP alone (a passive queue.declare).
import { z } from 'zod';
import type { Json, Observations } from '../../observations';
import { RATE_SPAN_METRIC, advanceCounters, counterStateToJson, parseCounterState, ratesOf, type CounterSample } from '../../sources/rates';

/** A number field the broker may leave out, or fill with something else (e.g. `''`), when it has none. */
const maybeNumber = z.number().finite().nonnegative().optional().catch(undefined);

/** The fields docktor reads of the management API's queue object (it has many more). */
export const ManagementQueueSchema = z.object({
  name: z.string(),
  vhost: z.string(),
  /** `classic`, `quorum` or `stream`; absent on old brokers (classic). */
  type: z.string().optional().catch(undefined),
  messages_ready: maybeNumber,
  messages_unacknowledged: maybeNumber,
  consumers: maybeNumber,
  /** Seconds since the epoch: the AMQP `timestamp` property of the message at the head (classic queues only). */
  head_message_timestamp: maybeNumber,
  /** Totals since the queue's stats began; absent when the broker collects none. */
  message_stats: z
    .object({ publish: maybeNumber, ack: maybeNumber, deliver_no_ack: maybeNumber, get_no_ack: maybeNumber })
    .optional()
    .catch(undefined),
});
export type ManagementQueue = z.infer<typeof ManagementQueueSchema>;

/**
 * backlog = messages_ready, ack_pending = messages_unacknowledged, lag = their sum, consumers,
 * and the oldest waiting message's age (see oldestAge). Each only when the broker reported it.
 */
export function managementObservations(q: ManagementQueue, now_ms: number): Observations {
  const o: Observations = {};
  if (q.messages_ready !== undefined) o['queue.backlog'] = q.messages_ready;
  if (q.messages_unacknowledged !== undefined) o['queue.ack_pending'] = q.messages_unacknowledged;
  if (q.messages_ready !== undefined && q.messages_unacknowledged !== undefined) o['queue.lag'] = q.messages_ready + q.messages_unacknowledged;
  if (q.consumers !== undefined) o['queue.consumers'] = q.consumers;
  const age = oldestAge(q, now_ms);
  if (age !== undefined) o['queue.oldest_age_s'] = age;
  return o;
}

/**
 * Seconds the message at the head of the queue (the oldest not yet delivered) has waited: from its
 * `head_message_timestamp`, which only classic queues report, and only when that message carries
 * the AMQP `timestamp` property (set by the publisher, whole seconds) and is paged in. 0 when
 * nothing is ready. Undefined (absent) otherwise: quorum queues and streams never report it.
 */
export function oldestAge(q: ManagementQueue, now_ms: number): number | undefined {
  if (q.type !== undefined && q.type !== 'classic') return undefined;
  if (q.messages_ready === 0) return 0;
  if (q.messages_ready === undefined || q.head_message_timestamp === undefined) return undefined;
  return Math.max(0, now_ms - q.head_message_timestamp * 1000) / 1000;
}

export const COUNTERS = ['published', 'consumed'] as const;
type Counter = (typeof COUNTERS)[number];

/**
 * The publish and consume totals of the queue's message_stats: `published` = publish,
 * `consumed` = ack + deliver_no_ack + get_no_ack (acknowledged, or taken in auto-ack mode).
 * Undefined when the broker reports no message_stats (a queue nothing went through yet, or
 * statistics disabled): rates are then left out, not read as 0.
 */
export function counterSample(q: ManagementQueue, at_ms: number): CounterSample<Counter> | undefined {
  const s = q.message_stats;
  if (!s) return undefined;
  return { at_ms, published: s.publish ?? 0, consumed: (s.ack ?? 0) + (s.deliver_no_ack ?? 0) + (s.get_no_ack ?? 0) };
}

/**
 * `queue.rate_in` / `queue.rate_out` over the window from the kept samples (src/sources/rates.ts),
 * and the state to keep. A queue deleted and declared again restarts its totals: the counters go
 * backwards and the samples are reset.
 */
export function managementRates(q: ManagementQueue, previous: Json | undefined, now_ms: number, window_seconds: number): { rates: Observations; state: Json } {
  const kept = parseCounterState(COUNTERS, previous);
  const sample = counterSample(q, now_ms);
  if (!sample) return { rates: {}, state: kept ? counterStateToJson(kept) : null };
  const identity = JSON.stringify([q.vhost, q.name, q.type ?? 'classic']);
  const { state, base, span_s } = advanceCounters(kept, identity, sample, window_seconds);
  if (!base || span_s === undefined) return { rates: {}, state: counterStateToJson(state) };
  const r = ratesOf(base, sample, COUNTERS);
  return { rates: { 'queue.rate_in': r.published, 'queue.rate_out': r.consumed, [RATE_SPAN_METRIC]: span_s }, state: counterStateToJson(state) };
}

/**
 * AMQP alone (passive queue.declare): messages ready and consumers. Unacknowledged messages are
 * not in the reply, so ack_pending and lag are left out; so are rates, which a difference of ready
 * counts cannot split into messages in and out.
 */
export function declareObservations(ok: { messageCount: number; consumerCount: number }): Observations {
  return { 'queue.backlog': ok.messageCount, 'queue.consumers': ok.consumerCount };
}
