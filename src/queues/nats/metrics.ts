// Pure: CONTRACT §2 queue metrics from JetStream consumer info, and where to look for the oldest
// message not yet acknowledged (the I/O of looking is in nats.ts).
import type { ConsumerConfig, ConsumerInfo, SequenceInfo } from '@nats-io/jetstream';
import type { Observations } from '../../observations';

/** `queue.backlog`, `queue.ack_pending`, `queue.lag` (their sum, as KEDA), `queue.redelivered`, `queue.waiting`. */
export function consumerObservations(ci: Pick<ConsumerInfo, 'num_pending' | 'num_ack_pending' | 'num_redelivered' | 'num_waiting'>): Observations {
  return {
    'queue.backlog': ci.num_pending,
    'queue.ack_pending': ci.num_ack_pending,
    'queue.lag': ci.num_pending + ci.num_ack_pending,
    'queue.redelivered': ci.num_redelivered,
    'queue.waiting': ci.num_waiting,
  };
}

type Sequences = Pick<SequenceInfo, 'stream_seq' | 'consumer_seq'>;

/**
 * The acknowledgement counters rate_out is taken from (rates.ts): the ack floor, plus the messages
 * acknowledged above it. The floor alone stops at the oldest message still in service: one slow
 * message held it while later ones were acknowledged, and they all counted when it was, a window
 * or more later (rate_out 0, then a jump; the predictive strategy's service-time readings and
 * bounds are made of rate_out). Above the floor, every delivery but those still pending was
 * acknowledged: delivered − floor − ack_pending, counted in stream and in consumer sequences as
 * the floor is. A redelivery advances the consumer sequence only, and a filtered consumer's
 * stream sequence also counts other subjects; the smaller move of the two (rates.ts) leaves each.
 */
export function ackedCounters(ci: { delivered: Sequences; ack_floor: Sequences; num_ack_pending: number }): { acked_stream_seq: number; acked_consumer_seq: number } {
  const above = (delivered: number, floor: number) => floor + Math.max(0, delivered - floor - ci.num_ack_pending);
  return {
    acked_stream_seq: above(ci.delivered.stream_seq, ci.ack_floor.stream_seq),
    acked_consumer_seq: above(ci.delivered.consumer_seq, ci.ack_floor.consumer_seq),
  };
}

/** The subjects a consumer reads: its filter subject(s), or every subject of the stream. */
export function consumerSubjects(ci: ConsumerInfo): string[] {
  const { filter_subject, filter_subjects } = ci.config;
  if (filter_subjects && filter_subjects.length > 0) return filter_subjects;
  if (filter_subject) return [filter_subject];
  return ['>'];
}

/**
 * Where the oldest message not yet acknowledged starts, for a lookup of the first stored message
 * on the consumer's subjects at or after it:
 * - `none`: nothing pending, the age is 0;
 * - `seq`: from this stream sequence;
 * - `time`: from the first message stored at or after this time (ms).
 */
export type OldestUnackedStart = { kind: 'none' } | { kind: 'seq'; seq: number } | { kind: 'time'; time_ms: number };

/** What oldestUnackedStart needs of a consumer's info. */
export interface ConsumerProgress extends Pick<ConsumerInfo, 'num_pending' | 'num_ack_pending' | 'created'> {
  delivered: Pick<SequenceInfo, 'stream_seq'>;
  ack_floor: Pick<SequenceInfo, 'stream_seq' | 'consumer_seq'>;
  config: Pick<ConsumerConfig, 'deliver_policy' | 'opt_start_seq' | 'opt_start_time'>;
}

export function oldestUnackedStart(ci: ConsumerProgress): OldestUnackedStart {
  if (ci.num_pending + ci.num_ack_pending === 0) return { kind: 'none' };
  // Every delivered message is acknowledged: the oldest unacknowledged one is the next to deliver.
  if (ci.num_ack_pending === 0) return { kind: 'seq', seq: ci.delivered.stream_seq + 1 };
  // The usual case: the message after the ack floor (all before it are acknowledged).
  if (ci.ack_floor.consumer_seq > 0) return { kind: 'seq', seq: ci.ack_floor.stream_seq + 1 };
  // Nothing acknowledged yet: the server reports the ack floor as 0 even when the consumer started
  // later (deliver policy new, by start sequence or time), so start where the consumer started.
  const { deliver_policy, opt_start_seq, opt_start_time } = ci.config;
  switch (deliver_policy) {
    case 'by_start_sequence':
      return { kind: 'seq', seq: Math.max(1, opt_start_seq ?? 1) };
    case 'by_start_time':
      return timeStart(opt_start_time) ?? timeStart(ci.created) ?? { kind: 'seq', seq: 1 };
    case 'new':
    case 'last':
    case 'last_per_subject':
      // Messages stored after the consumer was created (for `last*`, the one message before is missed).
      return timeStart(ci.created) ?? { kind: 'seq', seq: 1 };
    default:
      return { kind: 'seq', seq: 1 };
  }
}

function timeStart(iso: string | undefined): OldestUnackedStart | undefined {
  const time_ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(time_ms) ? { kind: 'time', time_ms } : undefined;
}

/** Seconds between a stored message's time and now; never negative (clock skew). */
export function ageSeconds(now_ms: number, stored_ms: number): number {
  return Math.max(0, now_ms - stored_ms) / 1000;
}
