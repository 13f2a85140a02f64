// When to restart a replica that died: exponential back-off (1 s, 2 s, 4 s ... capped at 60 s),
// forgotten once a copy has run long enough (60 s), as systemd's and supervisord's restart logic.
// Pure.

export interface BackoffPolicy {
  /** Delay before the first restart after a healthy run, ms. */
  base_ms: number;
  /** Largest delay, ms. */
  max_ms: number;
  /** A copy that ran at least this long before dying starts over at `base_ms`. */
  reset_after_ms: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { base_ms: 1000, max_ms: 60_000, reset_after_ms: 60_000 };

export interface RestartPlan {
  delay_ms: number;
  /** Consecutive quick deaths including this one: the input to the next plan. */
  failures: number;
}

/**
 * `failures`: consecutive quick deaths before this one; `ran_ms`: how long the copy that just
 * died had been running.
 */
export function planRestart(failures: number, ran_ms: number, policy: BackoffPolicy = DEFAULT_BACKOFF): RestartPlan {
  const streak = ran_ms >= policy.reset_after_ms ? 0 : Math.max(0, Math.floor(failures));
  // 2^streak overflows to Infinity long after the cap; min() keeps it finite.
  const delay_ms = Math.min(policy.max_ms, policy.base_ms * 2 ** Math.min(streak, 52));
  return { delay_ms, failures: streak + 1 };
}
