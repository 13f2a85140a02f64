// When a scaler checks next. Every scaler keeps a grid, one point per check_interval, shifted by
// a phase derived from its workflow id (as Prometheus spreads the scrapes of its targets). So N
// scalers started together (`docktor up`) check at N different moments of the interval instead
// of all at once, and a slow check does not push every later one back (no drift). Pure and
// deterministic: workflow code.

/**
 * A check closer than this share of the interval to the next grid point skips that point: after
 * a wake-up by a signal or update just before it, or a check that ran very late.
 */
const MIN_GAP_SHARE = 0.2;

/**
 * The scaler's offset within its interval, in [0, 1): FNV-1a of its workflow id, then murmur3's
 * finalizer (ids that differ only in their last characters, svc-1, svc-2, ..., would otherwise
 * land close together).
 */
export function checkPhase(workflowId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < workflowId.length; i++) {
    h ^= workflowId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/**
 * Seconds from `now` to the next point of the grid { phase × interval + k × interval }, at
 * least a fifth of an interval away (so a check made early, on a signal, is not followed by
 * another at once).
 */
export function secondsToNextCheck(now: number, interval: number, phase: number): number {
  const offset = phase * interval;
  let next = Math.floor((now - offset) / interval + 1) * interval + offset;
  if (next - now < MIN_GAP_SHARE * interval) next += interval;
  return next - now;
}
