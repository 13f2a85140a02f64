// Keeps the engine state's time series short: only what a window can still look at, and never
// more than a fixed number of entries, whatever the call rate.
import type { ScaleEvent, TimedReplicas } from './input';

export const MAX_RECOMMENDATIONS = 128;
export const MAX_SCALE_EVENTS = 64;

function byTime<T extends { at: number }>(a: T, b: T): number {
  return a.at - b.at;
}

/**
 * Appends a recommendation and drops what no window of at most `windowSeconds` can use: entries at
 * or before now - window, and entries that a newer entry dominates for both the max (scale-down
 * window) and the min (scale-up window) - an older entry matters only while no newer one is at
 * least as high (for the max) or at least as low (for the min). The result is exact for every
 * window up to `windowSeconds`.
 */
export function recordRecommendation(recs: readonly TimedReplicas[], now: number, replicas: number, windowSeconds: number, cap = MAX_RECOMMENDATIONS): TimedReplicas[] {
  if (!(windowSeconds > 0)) return [];
  const cutoff = now - windowSeconds;
  const all = recs.filter((r) => r.at > cutoff);
  all.push({ at: now, replicas });
  all.sort(byTime);
  const kept: TimedReplicas[] = [];
  let maxNewer = -Infinity;
  let minNewer = Infinity;
  for (let i = all.length - 1; i >= 0; i--) {
    const r = all[i]!;
    if (r.replicas > maxNewer || r.replicas < minNewer) kept.push(r);
    if (r.replicas > maxNewer) maxNewer = r.replicas;
    if (r.replicas < minNewer) minNewer = r.replicas;
  }
  kept.reverse();
  return kept.length > cap ? kept.slice(kept.length - cap) : kept;
}

/**
 * Appends an applied change and drops events at or before now - `periodSeconds` (the longest
 * policy period). Past the cap the two oldest events of one direction merge into the later one,
 * which can only over-count a period (stricter, never looser, rate limits).
 */
export function recordScaleEvent(events: readonly ScaleEvent[], now: number, delta: number, periodSeconds: number, cap = MAX_SCALE_EVENTS): ScaleEvent[] {
  if (!(periodSeconds > 0)) return [];
  const cutoff = now - periodSeconds;
  const kept = events.filter((e) => e.at > cutoff && e.delta !== 0);
  if (delta !== 0) kept.push({ at: now, delta });
  kept.sort(byTime);
  while (kept.length > cap) {
    const first = kept[0]!;
    const j = kept.findIndex((e, i) => i > 0 && Math.sign(e.delta) === Math.sign(first.delta));
    if (j < 0) {
      kept.shift();
      continue;
    }
    kept[j] = { at: kept[j]!.at, delta: kept[j]!.delta + first.delta };
    kept.shift();
  }
  return kept;
}

/** Keeps entries newer than now - window (all of them when the window is not positive: none). */
export function within<T extends { at: number }>(items: readonly T[], now: number, windowSeconds: number): T[] {
  if (!(windowSeconds > 0)) return [];
  const cutoff = now - windowSeconds;
  return items.filter((i) => i.at > cutoff);
}
