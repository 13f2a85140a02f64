// Pure: `queue.rate_in` / `queue.rate_out` of a JetStream consumer from counter samples that the
// caller keeps between reads (the `state` of a QueueReading), so that no read sleeps to measure.
//
// - rate_in:  change of the stream's last sequence (messages published to the stream's subjects).
// - rate_out: change of the consumer's ack floor, counted as the smaller of its stream-sequence
//   and consumer-sequence moves. A purge (or a limit dropping unconsumed messages) makes the
//   floor's stream sequence jump over messages nobody acknowledged, but its consumer sequence
//   can only advance by deliveries, so the jump does not read as consumption; for a filtered
//   consumer the consumer sequence also skips the other subjects' messages.
//
// Samples cover the window: the oldest kept one is the newest at or before `now - window`, and the
// rate is taken between it and now. The first read (or the first after a reset) has no rates:
// they are left out, never reported as 0. Counters that go backwards (stream or consumer
// recreated) or a clock that goes backwards reset the samples, so rates are never negative.
import { z } from 'zod';
import type { Json } from '../observations';

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

export interface NatsRateState {
  /** Which stream and consumer incarnation the samples belong to (names and creation times). */
  identity: string;
  /** Oldest first. */
  samples: NatsCounterSample[];
}

export interface NatsRates {
  rate_in: number;
  rate_out: number;
  /** Seconds between the sample the rates were computed from and now. */
  span_s: number;
}

/** Bound on the samples kept in state, whatever the window and read interval. */
export const MAX_SAMPLES = 32;
/** Samples older than this many windows no longer describe the window: they are dropped. */
export const MAX_SAMPLE_AGE_WINDOWS = 10;

const count = z.number().finite().nonnegative();
const RateStateSchema = z.object({
  identity: z.string(),
  samples: z.array(
    z.object({ at_ms: z.number().finite(), last_seq: count, acked_stream_seq: count, acked_consumer_seq: count }),
  ),
});

/** The rate state inside what a previous read returned; anything else (absent, foreign, corrupt) is none. */
export function parseRateState(state: Json | undefined): NatsRateState | undefined {
  const parsed = RateStateSchema.safeParse(state);
  return parsed.success ? parsed.data : undefined;
}

export function rateStateToJson(state: NatsRateState): Json {
  return { identity: state.identity, samples: state.samples.map((s) => ({ ...s })) };
}

/** Adds `sample` to the kept samples and computes the rates over the window, when there is a base. */
export function advanceRates(
  previous: NatsRateState | undefined,
  identity: string,
  sample: NatsCounterSample,
  window_seconds: number,
): { state: NatsRateState; rates?: NatsRates } {
  const now = sample.at_ms;
  const window_ms = Math.max(0, window_seconds) * 1000;
  let kept = previous && previous.identity === identity ? previous.samples : [];
  if (kept.some((s) => s.at_ms > now || wentBackwards(s, sample))) kept = [];
  kept = kept.filter((s) => s.at_ms < now && now - s.at_ms <= Math.max(window_ms, 1000) * MAX_SAMPLE_AGE_WINDOWS);
  kept = coveringWindow(kept, now - window_ms);

  const base = kept[0];
  const rates = base ? ratesBetween(base, sample) : undefined;
  const state = { identity, samples: thin([...kept, sample]) };
  return rates ? { state, rates } : { state };
}

function wentBackwards(before: NatsCounterSample, after: NatsCounterSample): boolean {
  return (
    after.last_seq < before.last_seq ||
    after.acked_stream_seq < before.acked_stream_seq ||
    after.acked_consumer_seq < before.acked_consumer_seq
  );
}

/** Drops the samples older than the newest one at or before `window_start` (oldest first in, out). */
function coveringWindow(samples: NatsCounterSample[], window_start: number): NatsCounterSample[] {
  let first = 0;
  for (let i = 0; i < samples.length; i++) if (samples[i]!.at_ms <= window_start) first = i;
  return samples.slice(first);
}

function ratesBetween(base: NatsCounterSample, now: NatsCounterSample): NatsRates {
  const span_s = (now.at_ms - base.at_ms) / 1000;
  const acked = Math.min(now.acked_stream_seq - base.acked_stream_seq, now.acked_consumer_seq - base.acked_consumer_seq);
  return { rate_in: (now.last_seq - base.last_seq) / span_s, rate_out: acked / span_s, span_s };
}

/**
 * Keeps at most MAX_SAMPLES, always the oldest and the newest: repeatedly drops the inner sample
 * whose neighbours are closest together, so the kept ones stay spread over the window.
 */
function thin(samples: NatsCounterSample[]): NatsCounterSample[] {
  const out = [...samples];
  while (out.length > MAX_SAMPLES) {
    let drop = 1;
    let smallest = Infinity;
    for (let i = 1; i < out.length - 1; i++) {
      const gap = out[i + 1]!.at_ms - out[i - 1]!.at_ms;
      if (gap < smallest) [drop, smallest] = [i, gap];
    }
    out.splice(drop, 1);
  }
  return out;
}
