// HPA `spec.behavior`, ported from kubernetes pkg/controller/podautoscaler/horizontal.go:
// stabilizeRecommendationWithBehaviors, calculateScaleUpLimitWithScalingRules,
// calculateScaleDownLimitWithBehaviors and convertDesiredReplicasWithBehaviorRate
// (together normalizeDesiredReplicasWithBehaviors). Time is Unix seconds from the input.
// Unlike the HPA there are no hidden defaults: a direction without `policies` is not
// rate-limited and a missing stabilization window is 0 (docs/decide.md).
import type { Behavior, ScalingRules } from '../../config/policy';
import type { ScaleEvent, TimedReplicas } from '../input';
import type { LimitedBy } from '../types';

export interface Stabilized {
  replicas: number;
  /** Lowest recommendation in the scale-up window (the ceiling of a scale-up). */
  up_recommendation: number;
  /** Highest recommendation in the scale-down window (the floor of a scale-down). */
  down_recommendation: number;
}

/**
 * HPA stabilizeRecommendationWithBehaviors: a scale-up goes no higher than the lowest
 * recommendation of the last `up` seconds, a scale-down no lower than the highest of the last
 * `down` seconds (the new recommendation included). Recording it is the caller's job.
 */
export function stabilizeRecommendation(
  recommendations: readonly TimedReplicas[],
  now: number,
  current: number,
  desired: number,
  upWindowSeconds: number,
  downWindowSeconds: number,
): Stabilized {
  const upCutoff = now - upWindowSeconds;
  const downCutoff = now - downWindowSeconds;
  let up = desired;
  let down = desired;
  for (const rec of recommendations) {
    // Go: rec.timestamp.After(cutoff), strictly newer.
    if (rec.at > upCutoff && rec.replicas < up) up = rec.replicas;
    if (rec.at > downCutoff && rec.replicas > down) down = rec.replicas;
  }
  let replicas = current;
  if (replicas < up) replicas = up;
  if (replicas > down) replicas = down;
  return { replicas, up_recommendation: up, down_recommendation: down };
}

/** HPA getReplicasChangePerPeriod: replicas added (direction up) or removed (down) after now - period. */
export function replicasChangePerPeriod(periodSeconds: number, events: readonly ScaleEvent[], now: number, direction: 'up' | 'down'): number {
  const cutoff = now - periodSeconds;
  let sum = 0;
  for (const e of events) {
    if (e.at <= cutoff) continue;
    if (direction === 'up' && e.delta > 0) sum += e.delta;
    else if (direction === 'down' && e.delta < 0) sum -= e.delta;
  }
  return sum;
}

function hasPolicies(rules: ScalingRules | undefined): rules is ScalingRules & { policies: NonNullable<ScalingRules['policies']> } {
  return rules !== undefined && rules.policies !== undefined && rules.policies.length > 0;
}

/**
 * HPA calculateScaleUpLimitWithScalingRules: the most replicas allowed now. `Infinity` when the
 * direction has no policies (docktor: not rate-limited); `current` when select_policy is disabled.
 */
export function scaleUpLimit(current: number, events: readonly ScaleEvent[], now: number, rules: ScalingRules | undefined): number {
  if (rules?.select_policy === 'disabled') return current;
  if (!hasPolicies(rules)) return Infinity;
  const pickMin = rules.select_policy === 'min';
  let result = pickMin ? Infinity : -Infinity;
  for (const p of rules.policies) {
    const added = replicasChangePerPeriod(p.period_seconds, events, now, 'up');
    const removed = replicasChangePerPeriod(p.period_seconds, events, now, 'down');
    const periodStart = current - added + removed;
    // Percent is rounded up: otherwise a small percentage might never add a replica.
    const proposed = p.type === 'pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/**
 * HPA calculateScaleDownLimitWithBehaviors: the fewest replicas allowed now. `-Infinity` when the
 * direction has no policies; `current` when select_policy is disabled.
 */
export function scaleDownLimit(current: number, events: readonly ScaleEvent[], now: number, rules: ScalingRules | undefined): number {
  if (rules?.select_policy === 'disabled') return current;
  if (!hasPolicies(rules)) return -Infinity;
  const pickMin = rules.select_policy === 'min'; // the smallest change: the highest floor
  let result = pickMin ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const added = replicasChangePerPeriod(p.period_seconds, events, now, 'up');
    const removed = replicasChangePerPeriod(p.period_seconds, events, now, 'down');
    const periodStart = current - added + removed;
    // Go converts with int32(float64): truncation toward zero.
    const proposed = p.type === 'pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100)) + 0; // + 0: no -0
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export interface RateLimited {
  replicas: number;
  limited_by: LimitedBy | null;
  /** The limits that applied (null: none in that direction). */
  scale_up_limit: number | null;
  scale_down_limit: number | null;
}

/** HPA convertDesiredReplicasWithBehaviorRate: rate limits and min/max bounds. */
export function limitRate(
  desired: number,
  current: number,
  minReplicas: number,
  maxReplicas: number,
  events: readonly ScaleEvent[],
  now: number,
  behavior: Behavior | undefined,
): RateLimited {
  if (desired > current) {
    let limit = scaleUpLimit(current, events, now, behavior?.scale_up);
    // Not below current: no further scale-up until old events leave the period.
    if (limit < current) limit = current;
    let maxAllowed = maxReplicas;
    let reason: LimitedBy = 'max_replicas';
    if (maxAllowed > limit) {
      maxAllowed = limit;
      reason = 'scale_up_limit';
    }
    const upLimit = Number.isFinite(limit) ? limit : null;
    if (desired > maxAllowed) return { replicas: maxAllowed, limited_by: reason, scale_up_limit: upLimit, scale_down_limit: null };
    return { replicas: desired, limited_by: null, scale_up_limit: upLimit, scale_down_limit: null };
  }
  if (desired < current) {
    let limit = scaleDownLimit(current, events, now, behavior?.scale_down);
    if (limit > current) limit = current;
    let minAllowed = minReplicas;
    let reason: LimitedBy = 'min_replicas';
    if (minAllowed < limit) {
      minAllowed = limit;
      reason = 'scale_down_limit';
    }
    const downLimit = Number.isFinite(limit) ? limit : null;
    if (desired < minAllowed) return { replicas: minAllowed, limited_by: reason, scale_up_limit: null, scale_down_limit: downLimit };
    return { replicas: desired, limited_by: null, scale_up_limit: null, scale_down_limit: downLimit };
  }
  return { replicas: desired, limited_by: null, scale_up_limit: null, scale_down_limit: null };
}

/** Longest policy period of either direction: older scale events no longer matter. */
export function longestPolicyPeriod(behavior: Behavior | undefined): number {
  let longest = 0;
  for (const rules of [behavior?.scale_up, behavior?.scale_down]) {
    for (const p of rules?.policies ?? []) if (p.period_seconds > longest) longest = p.period_seconds;
  }
  return longest;
}

export function stabilizationWindows(behavior: Behavior | undefined): { up: number; down: number } {
  return {
    up: behavior?.scale_up?.stabilization_window_seconds ?? 0,
    down: behavior?.scale_down?.stabilization_window_seconds ?? 0,
  };
}
