// min_replicas..max_replicas. A current size outside the bounds is corrected first, as the HPA
// does, before any strategy, stabilization, rate limit or cooldown is considered.
import type { LimitedBy } from '../types';

/** Proposals beyond this are treated as this: far above any real max_replicas, and JSON-exact. */
export const MAX_PROPOSAL = 1_000_000_000;

/** A proposal as a whole number in 0..MAX_PROPOSAL; NaN (never expected) falls back to `current`. */
export function saneProposal(replicas: number, current: number): number {
  if (Number.isNaN(replicas)) return current;
  if (replicas >= MAX_PROPOSAL) return MAX_PROPOSAL;
  if (replicas <= 0) return 0;
  return Math.ceil(replicas);
}

/** The hard ceiling when `replica_ceiling` is not set: never below max_replicas. */
export const DEFAULT_REPLICA_CEILING = 100;

/**
 * The most replicas a service may ever get: no override passes it, not even a forced one (a typo
 * like 1e30 or 10000 must not fork-bomb the machine). `replica_ceiling`, else the larger of
 * DEFAULT_REPLICA_CEILING and max_replicas.
 */
export function replicaCeiling(s: { max_replicas: number; replica_ceiling?: number | undefined }): number {
  return s.replica_ceiling ?? Math.max(DEFAULT_REPLICA_CEILING, s.max_replicas);
}

export function clamp(n: number, min: number, max: number): number {
  return n < min ? min : n > max ? max : n;
}

export interface BoundsCorrection {
  replicas: number;
  limited_by: LimitedBy;
  reason: string;
}

/** The bound to move to when `current` is outside min..max, else null. */
export function correctOutOfBounds(current: number, min: number, max: number): BoundsCorrection | null {
  if (current > max) return { replicas: max, limited_by: 'max_replicas', reason: `current ${current} > max_replicas ${max}` };
  if (current < min) return { replicas: min, limited_by: 'min_replicas', reason: `current ${current} < min_replicas ${min}` };
  return null;
}
