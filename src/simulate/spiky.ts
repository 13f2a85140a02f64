// A seeded on/off trace: bursts of 5–20× the mean rate lasting 30–120 s, separated by gaps of
// 1–10 min with near-zero arrivals, optionally with one-second spikes; one count per second, Poisson
// around the rate. For benchmarks on traffic spikier than the public traces (issue 16).
//
// Bursts of 5–20× the mean are only possible when bursts fill 1/20 to 1/5 of the time (each
// burst's factor times its share of the span adds up to at most 1), so a layout whose burst share
// lies outside that range is drawn again. Each burst's factor is then f = lo + (hi − lo)·u^γ (u
// uniform, per burst) with γ solved so that the arrivals average exactly `meanRate`.
import { poissonTrace, seededUniform } from './random';
import type { Trace } from './trace';

export interface SpikyOptions {
  seed: number;
  /** Seconds of traffic. */
  span: number;
  /** Messages/s averaged over the span (before Poisson noise). */
  meanRate: number;
  /** Burst lengths, seconds (uniform). */
  burstSeconds?: [number, number];
  /** Gap lengths, seconds (uniform). */
  gapSeconds?: [number, number];
  /** Burst rate over the mean rate (per burst). */
  burstFactor?: [number, number];
  /** Rate in the gaps over the mean rate. */
  gapFactor?: number;
  /** One-second spikes per hour (0: none); each adds `spikeFactor` × mean arrivals in one second. */
  spikesPerHour?: number;
  spikeFactor?: [number, number];
}

export interface SpikyTrace {
  trace: Trace;
  /** Each burst: start second, length, rate over the mean. */
  bursts: Array<{ start: number; seconds: number; factor: number }>;
  /** Start second of each one-second spike. */
  spikes: number[];
}

export const SPIKY_DEFAULTS = {
  burstSeconds: [30, 120] as [number, number],
  gapSeconds: [60, 600] as [number, number],
  burstFactor: [5, 20] as [number, number],
  gapFactor: 0.01,
  spikesPerHour: 0,
  spikeFactor: [20, 60] as [number, number],
};
/** Layouts drawn before giving up (a span too short for a burst and a gap, say). */
const MAX_LAYOUTS = 10_000;

const between = (uniform: () => number, [lo, hi]: [number, number]) => lo + (hi - lo) * uniform();

export function spikyTrace(options: SpikyOptions): SpikyTrace {
  const o = { ...SPIKY_DEFAULTS, ...options };
  const span = Math.floor(o.span);
  if (!(span > 0) || !(o.meanRate > 0)) throw new RangeError('spikyTrace: span and meanRate must be > 0');
  const [lo, hi] = o.burstFactor;
  const uniform = seededUniform(o.seed);

  // Spikes first: their arrivals are part of the mean the bursts make up.
  const spikes: number[] = [];
  const spikeFactors: number[] = [];
  const spikeCount = Math.round((o.spikesPerHour * span) / 3600);
  for (let i = 0; i < spikeCount; i++) {
    spikes.push(Math.floor(uniform() * span));
    spikeFactors.push(between(uniform, o.spikeFactor));
  }
  const spikeShare = spikeFactors.reduce((a, b) => a + b, 0) / span;

  // Layout: gap, burst, gap, burst, … until the span ends (a burst cut by the end is dropped).
  let layout: Array<{ start: number; seconds: number }> = [];
  let gapSeconds = 0;
  for (let attempt = 0; ; attempt++) {
    if (attempt >= MAX_LAYOUTS) throw new RangeError(`spikyTrace: no layout with bursts of ${lo}–${hi}× the mean in ${span} s`);
    layout = [];
    let t = 0;
    for (;;) {
      t += Math.round(between(uniform, o.gapSeconds));
      const seconds = Math.round(between(uniform, o.burstSeconds));
      if (t + seconds > span) break;
      layout.push({ start: t, seconds });
      t += seconds;
    }
    const burstSeconds = layout.reduce((a, b) => a + b.seconds, 0);
    gapSeconds = span - burstSeconds;
    // Burst arrivals must make up what gaps and spikes leave of the mean.
    const share = (1 - spikeShare - (o.gapFactor * gapSeconds) / span) * span;
    if (layout.length > 0 && lo * burstSeconds <= share && share <= hi * burstSeconds) break;
  }
  const target = (1 - spikeShare) * span - o.gapFactor * gapSeconds;
  const us = layout.map(() => uniform());
  const total = (gamma: number) => layout.reduce((a, b, i) => a + (lo + (hi - lo) * us[i]! ** gamma) * b.seconds, 0);
  // total(γ) falls from hi·Σd (γ → 0) to lo·Σd (γ → ∞): bisect on log γ.
  let a = -20;
  let b = 20;
  for (let i = 0; i < 100; i++) {
    const m = (a + b) / 2;
    if (total(Math.exp(m)) > target) a = m;
    else b = m;
  }
  const gamma = Math.exp((a + b) / 2);
  const bursts = layout.map((x, i) => ({ ...x, factor: lo + (hi - lo) * us[i]! ** gamma }));

  const rate = new Float64Array(span).fill(o.gapFactor * o.meanRate);
  for (const x of bursts) for (let s = x.start; s < x.start + x.seconds; s++) rate[s] = x.factor * o.meanRate;
  for (let i = 0; i < spikes.length; i++) rate[spikes[i]!]! += spikeFactors[i]! * o.meanRate;
  const trace = poissonTrace(rate, uniform);
  return { trace, bursts, spikes: [...spikes].sort((x, y) => x - y) };
}
