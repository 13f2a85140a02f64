// The cumulative counters a queue source keeps between reads (its `queue_state`, the CounterState
// of src/sources/rates.ts), as a recording stores them: differences of consecutive rows are then
// the exact arrivals and completions between two checks, where the rates are averages over the
// metrics window. Which of a kind's counters counts in and out is named here; a kind without
// counters (SQS, Redis lists, a RabbitMQ queue read without management) records none, and the
// reader estimates arrivals from the backlog instead (docs/recording.md). Pure.
import { createHash } from 'node:crypto';
import type { QueueConfig } from '../config/queue';
import type { Json } from '../observations';

export interface Counters {
  in?: number;
  out?: number;
  /** A short hash of the counters' identity (the queue's names and creation times). */
  identity: string;
}

/**
 * The counter names of each kind's samples (see the kind's source: nats/rates.ts, redis/source.ts,
 * kafka/source.ts, rabbitmq/metrics.ts). NATS counts out by the ack floor's consumer sequence:
 * it advances by deliveries only, where the stream sequence jumps over purged messages and over
 * other subjects' messages of a filtered consumer.
 */
const COUNTER_NAMES: Record<QueueConfig['kind'], { in?: string; out?: string }> = {
  nats: { in: 'last_seq', out: 'acked_consumer_seq' },
  redis: { in: 'in', out: 'out' },
  kafka: { in: 'high_sum', out: 'position_sum' },
  rabbitmq: { in: 'published', out: 'consumed' },
  sqs: {},
};

/** The newest sample's counters in `queue_state`, or undefined when it holds none of them. */
export function countersOf(kind: QueueConfig['kind'], queueState: Json | null): Counters | undefined {
  const names = COUNTER_NAMES[kind];
  if (!isObject(queueState) || typeof queueState.identity !== 'string' || !Array.isArray(queueState.samples)) return undefined;
  const newest = queueState.samples[queueState.samples.length - 1];
  if (!isObject(newest)) return undefined;
  const value = (name: string | undefined) => {
    const v = name === undefined ? undefined : newest[name];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const counters: Counters = { identity: createHash('sha256').update(queueState.identity).digest('hex').slice(0, 8) };
  const i = value(names.in);
  const o = value(names.out);
  if (i !== undefined) counters.in = i;
  if (o !== undefined) counters.out = o;
  return i === undefined && o === undefined ? undefined : counters;
}

function isObject(j: unknown): j is Record<string, Json> {
  return typeof j === 'object' && j !== null && !Array.isArray(j);
}
