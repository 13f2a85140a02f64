// Pure: `queue.rate_in` / `queue.rate_out` of a JetStream consumer from counter samples that the
// caller keeps between reads (the `state` of a QueueReading), so that no read sleeps to measure.
//
// - rate_in:  change of the stream's last sequence (messages published to the stream's subjects).
// - rate_out: change of the messages acknowledged (the ack floor plus those acknowledged above it,
//   metrics.ts ackedCounters), counted as the smaller of its stream-sequence and consumer-sequence
//   moves. A purge (or a limit dropping unconsumed messages) makes the floor's stream sequence
//   jump over messages nobody acknowledged, but its consumer sequence can only advance by
//   deliveries, so the jump does not read as consumption; for a filtered consumer the consumer
//   sequence also skips the other subjects' messages.
//
// The samples are kept by the shared counter module (src/sources/rates.ts): window, resets and
// thinning are the same for every source.
import type { Json } from '../../observations';
import { advanceCounters, counterStateToJson, parseCounterState, type CounterState } from '../../sources/rates';

export { MAX_SAMPLES, MAX_SAMPLE_AGE_WINDOWS } from '../../sources/rates';

const COUNTERS = ['last_seq', 'acked_stream_seq', 'acked_consumer_seq'] as const;

export interface NatsCounterSample {
  /** Wall-clock time of the sample, ms. */
  at_ms: number;
  /** Stream state `last_seq`. */
  last_seq: number;
  /** Consumer `ack_floor.stream_seq`. */
  acked_stream_seq: number;
  /** Consumer `ack_floor.consumer_seq`. */
  acked_consumer_seq: number;
}

/** Which stream and consumer incarnation the samples belong to (names and creation times); oldest first. */
export type NatsRateState = CounterState<(typeof COUNTERS)[number]>;

export interface NatsRates {
  rate_in: number;
  rate_out: number;
  /** Seconds between the sample the rates were computed from and now. */
  span_s: number;
}

/** The rate state inside what a previous read returned; anything else (absent, foreign, corrupt) is none. */
export function parseRateState(state: Json | undefined): NatsRateState | undefined {
  return parseCounterState(COUNTERS, state);
}

export function rateStateToJson(state: NatsRateState): Json {
  return counterStateToJson(state);
}

/** Adds `sample` to the kept samples and computes the rates over the window, when there is a base. */
export function advanceRates(
  previous: NatsRateState | undefined,
  identity: string,
  sample: NatsCounterSample,
  window_seconds: number,
): { state: NatsRateState; rates?: NatsRates } {
  const { state, base, span_s } = advanceCounters(previous, identity, sample, window_seconds);
  if (!base || span_s === undefined) return { state };
  const acked = Math.min(sample.acked_stream_seq - base.acked_stream_seq, sample.acked_consumer_seq - base.acked_consumer_seq);
  return { state, rates: { rate_in: (sample.last_seq - base.last_seq) / span_s, rate_out: acked / span_s, span_s } };
}
