// The decision engine: one pure function from a decision input (CONTRACT §4) to a decision.
// No I/O, no clock (time is `input.now`), no randomness; the same input gives the same output.
// Order: strategy proposal → fallback / missing-data guard → bounds correction → stabilization →
// rate limits and bounds → cooldown → pause / override. Bounds are the service's, narrowed by
// its open `schedule` windows. See docs/decide.md.
//
// `decideFrom` is everything after the proposal, so a proposal made elsewhere (a custom
// strategy module, `after` policies: src/extend) goes through the same safety steps.
import type { Json } from '../observations';
import { fmt } from './format';
import { recordRecommendation, recordScaleEvent } from './history';
import type { DecisionInput, EngineState } from './input';
import { limitRate, longestPolicyPeriod, stabilizationWindows, stabilizeRecommendation } from './safety/behavior';
import { clamp, correctOutOfBounds, replicaCeiling, saneProposal } from './safety/bounds';
import { cooldownBlock } from './safety/cooldown';
import { fallbackReplicas } from './safety/fallback';
import { scheduledBounds } from './schedule';
import { STRATEGY_REGISTRY } from './strategies/index';
import type { Action, Decision, JsonObject, LimitedBy, Proposal } from './types';

export type { Action, Decision, LimitedBy, Proposal, Strategy, StrategyResult } from './types';
export type { DecisionInput, EngineState } from './input';

const EMPTY_STATE: EngineState = { recommendations: [], scale_events: [], last_scale_up_at: null, last_scale_down_at: null };

/**
 * The decision of a built-in strategy. `strategy: custom` and `policies` need their modules, which
 * only the decide step runs (src/extend/decide-step.ts): here a custom strategy holds, saying so,
 * and policies are not run.
 */
export function decide(input: DecisionInput): Decision {
  return decideFrom(input, builtinProposal(input));
}

export function builtinProposal(input: DecisionInput): Proposal {
  const strategy = input.service.strategy;
  if (strategy === 'custom') {
    return {
      replicas: input.current_replicas,
      reason: 'strategy custom: its module runs only in the decide step (the worker, docktor decide, docktor simulate)',
      details: {},
      limited_by: 'module_error',
    };
  }
  return STRATEGY_REGISTRY[strategy].propose(input);
}

/** The safety steps after a proposal (the order at the top of this file). */
export function decideFrom(input: DecisionInput, proposal: Proposal): Decision {
  const service = input.service;
  const current = input.current_replicas;
  const now = input.now;
  const bounds = scheduledBounds(service, now);
  const min = bounds.min_replicas;
  const max = bounds.max_replicas;
  // A bound an open window set is reported as the schedule's.
  const boundBy = (limit: LimitedBy): LimitedBy =>
    (limit === 'min_replicas' && bounds.floor_from_schedule) || (limit === 'max_replicas' && bounds.ceiling_from_schedule) ? 'schedule' : limit;
  const prev = input.state ?? EMPTY_STATE;
  const failures = input.metric_failures ?? 0;

  const missing = proposal.missing ?? [];
  let desired = saneProposal(proposal.replicas, current);
  let reason = proposal.reason;
  let limitedBy: LimitedBy | null = proposal.limited_by ?? null;
  const notes: string[] = [];

  // Metrics failures: KEDA's fallback, else never scale down on missing or stale data.
  const fallback = fallbackReplicas(service.fallback, failures, current);
  if (fallback !== null) {
    desired = fallback.replicas;
    reason = fallback.reason;
    limitedBy = null;
  } else if (desired < current && (missing.length > 0 || failures > 0)) {
    notes.push(
      failures > 0
        ? `no scale-down to ${desired}: metric collection failed ${failures} time(s)`
        : `no scale-down to ${desired}: ${missing.join(', ')} missing`,
    );
    desired = current;
    limitedBy = 'missing_metrics';
  } else if (desired === current && failures > 0 && limitedBy === null) {
    // Nothing fired, but on partial data: say so, as a failed source is what the operator must fix.
    notes.push(`metric collection failed ${failures} time(s)`);
    limitedBy = 'missing_metrics';
  }

  const windows = stabilizationWindows(service.behavior);
  let target: number;
  let stabilization: Json = null;
  let rateLimit: Json = null;
  let cooldown: Json = null;
  const outOfBounds = correctOutOfBounds(current, min, max);
  if (outOfBounds !== null) {
    // Bounds first, as the HPA: no stabilization, rate limit or cooldown delays the correction.
    target = outOfBounds.replicas;
    limitedBy = boundBy(outOfBounds.limited_by);
    notes.push(limitedBy === 'schedule' ? `${outOfBounds.reason} (schedule)` : outOfBounds.reason);
  } else {
    const stab = stabilizeRecommendation(prev.recommendations, now, current, desired, windows.up, windows.down);
    stabilization = { window_up_s: windows.up, window_down_s: windows.down, up_recommendation: stab.up_recommendation, down_recommendation: stab.down_recommendation, replicas: stab.replicas };
    if (stab.replicas !== desired) {
      limitedBy = 'stabilization';
      notes.push(
        desired > stab.replicas
          ? `stabilized at ${stab.replicas}: lowest recommendation in the last ${fmt(windows.up)}s (behavior.scale_up.stabilization_window_seconds)`
          : `stabilized at ${stab.replicas}: highest recommendation in the last ${fmt(windows.down)}s (behavior.scale_down.stabilization_window_seconds)`,
      );
    }
    const rl = limitRate(stab.replicas, current, min, max, prev.scale_events, now, service.behavior);
    rateLimit = { scale_up_limit: rl.scale_up_limit, scale_down_limit: rl.scale_down_limit, replicas: rl.replicas };
    if (rl.limited_by !== null) {
      limitedBy = boundBy(rl.limited_by);
      notes.push(limitNote(rl.limited_by, rl.replicas, stab.replicas) + (limitedBy === 'schedule' ? ' (schedule)' : ''));
    }
    target = rl.replicas;
    const block = cooldownBlock(current, target, now, service.cooldown, prev);
    cooldown = { up_s: service.cooldown.up, down_s: service.cooldown.down, blocked: block !== null, remaining_s: block === null ? null : block.remaining };
    if (block !== null) {
      notes.push(`held at ${current} instead of ${target} by ${block.reason}`);
      target = current;
      limitedBy = 'cooldown';
    }
  }

  // Caller-side facts: the decision above is kept in details either way.
  const computedTarget = target;
  const paused = input.paused === true;
  const override = input.override;
  if (paused) {
    target = current;
    limitedBy = 'paused';
    notes.push(computedTarget === current ? 'paused' : `paused: would go to ${computedTarget}`);
  } else if (override !== undefined) {
    // Within the service's own bounds, not a schedule window's: the operator's pin wins.
    const [omin, omax] = [service.min_replicas, service.max_replicas];
    target = override.force === true ? clamp(override.replicas, 0, replicaCeiling(service)) : clamp(override.replicas, omin, omax);
    limitedBy = 'override';
    reason = `override to ${target}${override.reason ? `: ${override.reason}` : ''}${target !== override.replicas ? ` (asked ${override.replicas}, kept within ${override.force === true ? `0..${replicaCeiling(service)}, replica_ceiling` : `${omin}..${omax}`})` : ''}`;
    notes.length = 0;
    notes.push(`the engine would go to ${computedTarget}`);
  }

  const action: Action = target > current ? 'scale_up' : target < current ? 'scale_down' : 'hold';
  // The caller applies the target unless paused or dry-run; only applied changes count for rate
  // limits and cooldowns.
  const applied = action !== 'hold' && !paused && !service.dry_run;
  if (service.dry_run && action !== 'hold') notes.push('dry run: not applied');

  const state: EngineState = {
    recommendations: recordRecommendation(prev.recommendations, now, clamp(desired, min, max), Math.max(windows.up, windows.down)),
    scale_events: recordScaleEvent(prev.scale_events, now, applied ? target - current : 0, longestPolicyPeriod(service.behavior)),
    last_scale_up_at: applied && action === 'scale_up' ? now : prev.last_scale_up_at,
    last_scale_down_at: applied && action === 'scale_down' ? now : prev.last_scale_down_at,
  };
  if (proposal.predictive !== undefined) state.predictive = proposal.predictive;

  const details: JsonObject = {
    strategy: service.strategy,
    proposal: { replicas: saneProposal(proposal.replicas, current), reason: proposal.reason, missing, ...proposal.details },
    metric_failures: failures,
    fallback: fallback === null ? null : { replicas: fallback.replicas, reason: fallback.reason },
    desired,
    bounds: { min_replicas: min, max_replicas: max, ...(service.schedule?.length ? { schedule_open: bounds.open, configured: { min_replicas: service.min_replicas, max_replicas: service.max_replicas } } : {}) },
    stabilization,
    rate_limit: rateLimit,
    cooldown,
    computed_target: computedTarget,
    paused,
    override: override === undefined ? null : { replicas: override.replicas, reason: override.reason ?? null, force: override.force === true },
    dry_run: service.dry_run,
    applied,
  };

  return {
    action,
    current_replicas: current,
    target_replicas: target,
    reason: notes.length > 0 ? `${reason}; ${notes.join('; ')}` : reason,
    limited_by: limitedBy,
    details,
    state,
  };
}

function limitNote(limitedBy: LimitedBy, replicas: number, wanted: number): string {
  switch (limitedBy) {
    case 'max_replicas':
      return `capped at max_replicas ${replicas} (wanted ${wanted})`;
    case 'min_replicas':
      return `kept at min_replicas ${replicas} (wanted ${wanted})`;
    case 'scale_up_limit':
      return `limited to ${replicas} by behavior.scale_up.policies (wanted ${wanted})`;
    case 'scale_down_limit':
      return `limited to ${replicas} by behavior.scale_down.policies (wanted ${wanted})`;
    default:
      return `limited to ${replicas} by ${limitedBy}`;
  }
}
