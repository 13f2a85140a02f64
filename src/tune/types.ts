// The shapes `docktor tune` works with (CONTRACT §8): the traffic and service model it replays, a
// candidate policy's figures on a part of the traffic, and the result.
import type { ServiceConfig } from '../config/service';
import type { SimulationFigures } from '../simulate/result';
import type { Trace } from '../simulate/trace';

/** What the service saw and how it serves: from a recording, or a trace file with the flags. */
export interface Traffic {
  trace: Trace;
  /** Replica-seconds per message. */
  serviceTimeS: number;
  /** Seconds from a replica's start to it serving. */
  startupDelayS: number;
  /**
   * The service's queue keeps no arrival counters (Laravel, Celery, plain lists, SQS): replayed as
   * the scaler reads it, queue.backlog and queue.ack_pending only (src/simulate's noRates).
   */
  noRates?: boolean;
}

/** One candidate's figures on one part of the traffic (CONTRACT §8). */
export interface TuneFigures {
  breach_seconds: number;
  pickup_p99_s: number | null;
  worker_seconds: number;
  /** worker_seconds over the work itself (messages × service time). */
  work_ratio: number | null;
  /** worker_seconds over the clairvoyant reference's on the same part. */
  clairvoyant_ratio: number | null;
  /** Arrivals in the part. */
  messages: number;
  mean_replicas: number;
  scale_events: number;
}

export type Family = 'current' | 'predictive' | 'target' | 'rules';

/** A point of the search: a family and a value per knob (null: the knob left unset). */
export interface Knobs {
  family: Family;
  values: Record<string, number | null>;
}

export interface Candidate {
  /** Stable key of the knobs (dedupes the search). */
  key: string;
  knobs: Knobs;
  /** One line saying what it is, e.g. `predictive breach_threshold 0.9, min 2`. */
  label: string;
  config: ServiceConfig;
}

export interface Evaluated {
  candidate: Candidate;
  train: TuneFigures;
  /** Set for the finalists (and the current policy). */
  holdout: TuneFigures | null;
  /** breach within the allowance on train. */
  qualifies: boolean;
}

/** A part of the run to judge: the run always starts at the trace's start (warm-up before `from`). */
export interface EvalPart {
  /** Seconds where the figures begin. */
  from: number;
  /** Seconds where the part's arrivals end. */
  to: number;
  /**
   * Seconds the run goes on after `to` with no arrivals (drained-trace.ts): every message of the
   * part must still be picked up within the SLA, by the candidate and the reference alike.
   */
  drain: number;
}

/** One simulation to run: a config, or the clairvoyant schedule, on a part. */
export interface EvalJob {
  config: ServiceConfig;
  part: EvalPart;
  /** Replaces the decisions (the clairvoyant reference's targets per check). */
  schedule?: number[];
}

/** Runs simulations: in this thread, or in worker threads (src/tune/pool.ts). */
export type Evaluator = (jobs: EvalJob[]) => Promise<SimulationFigures[]>;

export interface TuneOptions {
  /** Share of the traffic held out at the end (default 0.3). */
  holdout: number;
  /** Seconds of search (default 60). */
  budgetS: number;
  /** Breach allowance as a share of the judged span (default 0.005). */
  maxBreach: number;
  /** Milliseconds, monotonic: the budget's clock (the core reads no clock itself). */
  clock: () => number;
  evaluate: Evaluator;
  /** Progress: evaluations done so far and the phase. */
  onProgress?: (p: { phase: 'grid' | 'refine' | 'holdout'; evaluated: number; elapsedS: number; budgetS: number }) => void;
}

export interface TuneResult {
  service: string;
  span_s: number;
  train: { from_s: number; to_s: number };
  holdout: { from_s: number; to_s: number };
  /** Breach seconds allowed on each part (maxBreach × its span). */
  allowance: { share: number; train_s: number; holdout_s: number };
  model: { service_time_s: number; startup_delay_s: number; messages: number; no_rates: boolean };
  clairvoyant: { train: TuneFigures; holdout: TuneFigures; infeasible: boolean };
  current: { config: ServiceConfig; label: string; figures: TuneFigures; train: TuneFigures };
  /** Null when no candidate met the SLA on both parts (`reason` says why). */
  recommended: { config: ServiceConfig; label: string; figures: TuneFigures; train: TuneFigures; keeps_current: boolean } | null;
  reason: string | null;
  search: { evaluated: number; elapsed_s: number; budget_s: number; grid: number; refined: number; stopped_by: 'budget' | 'converged' };
  candidates: Array<{ label: string; family: Family; config: ServiceConfig; train: TuneFigures; holdout: TuneFigures | null; qualifies: boolean }>;
}
