// Evaluates docktor rule conditions (`metric op value`) against observations.
import type { Condition, Operator } from '../config/policy';
import type { Observations } from '../observations';
import type { Json } from '../observations';
import { fmt } from './format';

export function compare(observed: number, op: Operator, threshold: number): boolean {
  switch (op) {
    case '>':
      return observed > threshold;
    case '>=':
      return observed >= threshold;
    case '<':
      return observed < threshold;
    case '<=':
      return observed <= threshold;
    case '==':
      return observed === threshold;
    case '!=':
      return observed !== threshold;
  }
}

export interface ConditionResult {
  condition: Condition;
  /** undefined when the metric is missing. */
  observed: number | undefined;
  /** A condition on a missing metric never holds. */
  holds: boolean;
}

export function evaluate(condition: Condition, observations: Observations): ConditionResult {
  const observed = observations[condition.metric];
  const holds = observed !== undefined && compare(observed, condition.op, condition.value);
  return { condition, observed, holds };
}

/** `queue.backlog 2400 > 1000` (or `queue.backlog missing` when absent). */
export function describeCondition(r: ConditionResult): string {
  const { metric, op, value } = r.condition;
  if (r.observed === undefined) return `${metric} missing (needed for ${op} ${fmt(value)})`;
  return `${metric} ${fmt(r.observed)} ${op} ${fmt(value)}`;
}

export function conditionDetails(r: ConditionResult): { [key: string]: Json } {
  return {
    metric: r.condition.metric,
    op: r.condition.op,
    value: r.condition.value,
    observed: r.observed === undefined ? null : r.observed,
    holds: r.holds,
  };
}
