// Observations are what every metric source produces and the decision engine reads: a flat map
// from metric name (CONTRACT §2, e.g. `queue.backlog`, `cpu.avg_pct`) to a finite number.
// A metric that could not be read is absent, never NaN or a placeholder.
export type Observations = Record<string, number>;

/** JSON-safe values, for state that crosses Temporal (activity results, workflow state). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One line of `docktor config validate`. */
export interface CheckResult {
  ok: boolean;
  /** What was checked, e.g. `Stream 'EVENTS' exists`. */
  label: string;
  /** Why it failed, or extra facts when it passed. */
  detail?: string;
}
