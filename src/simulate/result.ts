// The figures of one simulated run (CONTRACT §5 `--json`), plus a few that explain them.
import type { Timeline } from './timeline';

export interface SimulationFigures {
  /** Arrivals during the run. */
  messages: number;
  duration_s: number;
  sla_seconds: number;
  /** Seconds during which the oldest WAITING message was older than sla_seconds. */
  breach_seconds: number;
  /** Arrival to start of service, over the messages picked up (nearest rank); null if none. */
  pickup_p50_s: number | null;
  pickup_p95_s: number | null;
  pickup_p99_s: number | null;
  /** Most messages waiting at once. */
  max_backlog: number;
  /** Replica-seconds from creation to removal, start-up included. */
  worker_seconds: number;
  /** worker_seconds / duration_s. */
  mean_replicas: number;
  /** Decisions that changed the replica count. */
  scale_events: number;
  // Beyond CONTRACT §5:
  /** Messages that started service. */
  picked_up: number;
  /** Messages still waiting when the run ended. */
  waiting_at_end: number;
  pickup_max_s: number | null;
  /** Service seconds of the messages picked up: the work itself (the floor of worker_seconds). */
  work_seconds: number;
  /** Most replicas existing at once. */
  peak_replicas: number;
  checks: number;
}

export interface Simulation {
  figures: SimulationFigures;
  timeline: Timeline;
}

/** Microsecond rounding for the JSON: keeps float noise (59.99999999) out of the figures. */
export function r6(n: number): number {
  const v = Math.round(n * 1e6) / 1e6;
  return v === 0 ? 0 : v;
}
