// Pure: rates from counter samples that the caller keeps between reads (the `state` of a
// reading), so that no read sleeps to measure. Every source with monotonic counters (JetStream
// sequences, Redis stream entries-added, RabbitMQ publish/ack totals, Kafka offsets, a framework's
// processed counter) keeps its samples here and takes its rates from `base` to now.
//
// Samples cover the window: the oldest kept one is the newest at or before `now - window`, and the
// rate is taken between it and now. The first read (or the first after a reset) has no base: rates
// are left out, never reported as 0. A counter that goes backwards (the queue was recreated, a
// broker restarted) or a clock that goes backwards resets the samples, so rates are never negative.
import { z } from 'zod';
import type { Json } from '../observations';

/** One reading of a source's counters; `at_ms` is the wall-clock time of the read. */
export type CounterSample<K extends string = string> = { at_ms: number } & { [C in K]: number };

export interface CounterState<K extends string = string> {
  /** Which incarnation the samples belong to (e.g. names and creation times); a change resets them. */
  identity: string;
  /** Oldest first. */
  samples: Array<CounterSample<K>>;
}

/**
 * The observation of the seconds the rates cover (from `base` to now). With it, rate × span is the
 * exact count over that span, which the predictive strategy's service-time bound needs: the span
 * is often a little longer than the window (the base is the newest sample at or before its start).
 */
export const RATE_SPAN_METRIC = 'queue.rate_span_s';

/** Bound on the samples kept in state, whatever the window and read interval. */
export const MAX_SAMPLES = 32;
/** Samples older than this many windows no longer describe the window: they are dropped. */
export const MAX_SAMPLE_AGE_WINDOWS = 10;

/** The state schema for samples of these counters (non-negative finite numbers). */
export function counterStateSchema<K extends string>(counters: readonly K[]) {
  const count = z.number().finite().nonnegative();
  const shape = Object.fromEntries(counters.map((c) => [c, count])) as { [C in K]: typeof count };
  return z.object({ identity: z.string(), samples: z.array(z.object({ at_ms: z.number().finite(), ...shape })) });
}

/** The kept state inside what a previous read returned; anything else (absent, foreign, corrupt) is none. */
export function parseCounterState<K extends string>(counters: readonly K[], state: Json | undefined): CounterState<K> | undefined {
  const parsed = counterStateSchema(counters).safeParse(state);
  return parsed.success ? (parsed.data as CounterState<K>) : undefined;
}

export function counterStateToJson<K extends string>(state: CounterState<K>): Json {
  return { identity: state.identity, samples: state.samples.map((s) => ({ ...s }) as Json) };
}

export interface CounterAdvance<K extends string> {
  state: CounterState<K>;
  /** The sample rates are taken from; absent on a first read or after a reset. */
  base?: CounterSample<K>;
  /** Seconds from `base` to the new sample. */
  span_s?: number;
}

/** Adds `sample` to the kept samples and finds the base of the window, when there is one. */
export function advanceCounters<K extends string>(
  previous: CounterState<K> | undefined,
  identity: string,
  sample: CounterSample<K>,
  window_seconds: number,
): CounterAdvance<K> {
  const now = sample.at_ms;
  const window_ms = Math.max(0, window_seconds) * 1000;
  let kept = previous && previous.identity === identity ? previous.samples : [];
  if (kept.some((s) => s.at_ms > now || wentBackwards(s, sample))) kept = [];
  kept = kept.filter((s) => s.at_ms < now && now - s.at_ms <= Math.max(window_ms, 1000) * MAX_SAMPLE_AGE_WINDOWS);
  kept = coveringWindow(kept, now - window_ms);
  const state = { identity, samples: thin([...kept, sample]) };
  const base = kept[0];
  return base ? { state, base, span_s: (now - base.at_ms) / 1000 } : { state };
}

/** Per-second change of each named counter from `base` to `now`. */
export function ratesOf<K extends string>(base: CounterSample<K>, now: CounterSample<K>, counters: readonly K[]): Record<K, number> {
  const span_s = (now.at_ms - base.at_ms) / 1000;
  return Object.fromEntries(counters.map((c) => [c, (now[c] - base[c]) / span_s])) as Record<K, number>;
}

function wentBackwards(before: CounterSample, after: CounterSample): boolean {
  for (const [k, v] of Object.entries(after)) {
    if (k === 'at_ms') continue;
    const b = before[k];
    if (b !== undefined && v < b) return true;
  }
  return false;
}

/** Drops the samples older than the newest one at or before `window_start` (oldest first in, out). */
function coveringWindow<S extends CounterSample>(samples: S[], window_start: number): S[] {
  let first = 0;
  for (let i = 0; i < samples.length; i++) if (samples[i]!.at_ms <= window_start) first = i;
  return samples.slice(first);
}

/**
 * Keeps at most MAX_SAMPLES, always the oldest and the newest: repeatedly drops the inner sample
 * whose neighbours are closest together, so the kept ones stay spread over the window.
 */
function thin<S extends CounterSample>(samples: S[]): S[] {
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
