// Shapes shared by the decision engine's parts: a strategy's proposal, the decision it ends in,
// and the names of what can cap a decision. Types only.
import type { Json } from '../observations';
import type { DecisionInput, EngineState, PredictiveState } from './input';

export type JsonObject = { [key: string]: Json };

/** What capped the result (CONTRACT §4 `limited_by`). */
export type LimitedBy =
  | 'max_replicas'
  | 'min_replicas'
  | 'cooldown'
  | 'scale_up_limit'
  | 'scale_down_limit'
  | 'stabilization'
  | 'missing_metrics'
  | 'capacity'
  | 'paused'
  | 'override'
  /** An open `schedule` window set the floor or the ceiling. */
  | 'schedule'
  /** An `after` policy changed the strategy's result. */
  | 'policy'
  /** A custom strategy or policy module failed (threw, timed out, returned garbage): hold. */
  | 'module_error'
  /** sla.forecast started replicas before a recurring burst it expects. */
  | 'forecast';

export type Action = 'scale_up' | 'scale_down' | 'hold';

/** What one strategy wants before the shared safety steps. */
export interface Proposal {
  /** Desired replicas, not yet bounded (may be below min or above max). */
  replicas: number;
  /** Human reason naming metrics and thresholds, e.g. `queue.backlog 2400 > 1000`. */
  reason: string;
  /** Every component the strategy computed, JSON-safe. */
  details: JsonObject;
  /** Metrics the strategy needed but did not get; a non-empty list forbids a scale-down. */
  missing?: string[];
  /** What the predictive strategy keeps between calls; other strategies leave it out. */
  predictive?: PredictiveState;
  /** The strategy already capped its proposal (e.g. host capacity); reported as `limited_by`. */
  limited_by?: LimitedBy;
}

/**
 * What a custom strategy's `decide` returns and what an `after` policy receives and returns
 * (CONTRACT §2): the strategy's wish, before bounds, behavior and cooldown.
 */
export interface StrategyResult {
  /** Whole number >= 0; the engine keeps the final target within the bounds. */
  target_replicas: number;
  reason: string;
  details?: JsonObject;
}

export interface Strategy {
  propose(input: DecisionInput): Proposal;
}

/** CONTRACT §4 output. */
export interface Decision {
  action: Action;
  current_replicas: number;
  target_replicas: number;
  reason: string;
  limited_by: LimitedBy | null;
  details: JsonObject;
  state: EngineState;
}
