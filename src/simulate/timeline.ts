// What happened between checks, one row per check, for `--plot`: bounded by the number of checks
// (duration / check_interval), not by the number of messages.

export interface Timeline {
  /** Seconds since the run began, of each check. */
  at: Float64Array;
  /** Arrivals per second since the previous check. */
  arrivalRate: Float64Array;
  /** Largest backlog since the previous check. */
  maxBacklog: Float64Array;
  /** replicas.current at the check, after the decision was applied. */
  replicas: Float64Array;
  /** replicas.ready at the check, before the decision. */
  ready: Float64Array;
  /** Largest pickup (seconds) since the previous check; 0 when nothing was picked up. */
  maxPickup: Float64Array;
  /** Breach seconds since the previous check (the oldest waiting message older than the SLA). */
  breach: Float64Array;
  length: number;
}

export function emptyTimeline(capacity: number): Timeline {
  const n = Math.max(1, capacity);
  return {
    at: new Float64Array(n),
    arrivalRate: new Float64Array(n),
    maxBacklog: new Float64Array(n),
    replicas: new Float64Array(n),
    ready: new Float64Array(n),
    maxPickup: new Float64Array(n),
    breach: new Float64Array(n),
    length: 0,
  };
}

export interface TimelineRow {
  at: number;
  arrivalRate: number;
  maxBacklog: number;
  replicas: number;
  ready: number;
  maxPickup: number;
  breach: number;
}

/** Appends a row; rows beyond the capacity are dropped (the capacity is the number of checks). */
export function appendRow(tl: Timeline, row: TimelineRow): void {
  const i = tl.length;
  if (i >= tl.at.length) return;
  tl.at[i] = row.at;
  tl.arrivalRate[i] = row.arrivalRate;
  tl.maxBacklog[i] = row.maxBacklog;
  tl.replicas[i] = row.replicas;
  tl.ready[i] = row.ready;
  tl.maxPickup[i] = row.maxPickup;
  tl.breach[i] = row.breach;
  tl.length = i + 1;
}
