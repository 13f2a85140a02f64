import type { Trace } from './trace';

// A small seeded pseudo-random generator (mulberry32) for `--service-time-dist exp`: the same seed
// gives the same run on every machine, which Math.random cannot.

/** Uniform numbers in [0, 1) from a 32-bit seed. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type ServiceTimeDist = 'fixed' | 'exp';

/** Seconds per message: always `mean` (fixed), or exponential with that mean from the seed. */
export function serviceTimes(mean: number, dist: ServiceTimeDist, seed: number): () => number {
  if (dist === 'fixed') return () => mean;
  const uniform = seededUniform(seed);
  // 1 - u is in (0, 1]: the logarithm stays finite.
  return () => -mean * Math.log(1 - uniform());
}

/** Poisson draw (Knuth below 30, a rounded normal approximation above). */
export function poisson(mean: number, uniform: () => number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = uniform();
    while (p > limit) {
      k++;
      p *= uniform();
    }
    return k;
  }
  // Box–Muller; 1 - u is in (0, 1].
  const z = Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
}

/** A per-second trace of Poisson counts around each second's rate (the generators' last step). */
export function poissonTrace(rate: Float64Array, uniform: () => number): Trace {
  const span = rate.length;
  const counts = new Float64Array(span);
  let total = 0;
  for (let t = 0; t < span; t++) {
    counts[t] = poisson(rate[t]!, uniform);
    total += counts[t]!;
  }
  return { kind: 'per-second', times: Float64Array.from({ length: span }, (_, i) => i), counts, widths: new Float64Array(span).fill(1), span, epoch: null, total };
}
