// docktor's rules: up by `step.up` if ANY `scale_up_when` holds; down by `step.down` only if ALL
// `scale_down_when` hold and the list is not empty. A condition on a missing metric never holds.
import { fmt } from '../format';
import { conditionDetails, describeCondition, evaluate } from '../conditions';
import type { DecisionInput } from '../input';
import type { Proposal, Strategy } from '../types';

export const rulesStrategy: Strategy = {
  propose(input: DecisionInput): Proposal {
    const current = input.current_replicas;
    const rules = input.service.rules;
    if (rules === undefined) {
      return { replicas: current, reason: 'no rules configured', details: { up: [], down: [] } };
    }
    const obs = input.observations;
    const up = rules.scale_up_when.map((c) => evaluate(c, obs));
    const down = rules.scale_down_when.map((c) => evaluate(c, obs));

    const missing: string[] = [];
    for (const r of up.concat(down)) {
      if (r.observed === undefined && !missing.includes(r.condition.metric)) missing.push(r.condition.metric);
    }
    const details = {
      up: up.map(conditionDetails),
      down: down.map(conditionDetails),
      step: { up: rules.step.up, down: rules.step.down },
    };

    const upHolding = up.filter((r) => r.holds);
    if (upHolding.length > 0) {
      return { replicas: current + rules.step.up, reason: upHolding.map(describeCondition).join(' | '), details, missing };
    }
    if (down.length > 0 && down.every((r) => r.holds)) {
      return {
        replicas: Math.max(0, current - rules.step.down),
        reason: down.map(describeCondition).join(' | '),
        details,
        missing,
      };
    }
    return { replicas: current, reason: `no rule holds (${observedSummary(up.concat(down))})`, details, missing };
  },
};

/** `queue.backlog 400, cpu.avg_pct missing`: each metric the rules read, once. */
function observedSummary(results: ReturnType<typeof evaluate>[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const r of results) {
    const m = r.condition.metric;
    if (seen.has(m)) continue;
    seen.add(m);
    parts.push(r.observed === undefined ? `${m} missing` : `${m} ${fmt(r.observed)}`);
  }
  return parts.length > 0 ? parts.join(', ') : 'no conditions';
}
