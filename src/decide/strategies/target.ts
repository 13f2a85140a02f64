// Target tracking as the Kubernetes HPA replica calculator computes it, on aggregated metrics
// (CONTRACT §2). Several metrics: the largest proposal. A missing metric is reported as missing;
// the shared safety step then forbids a scale-down (a scale-up on partial data is allowed).
import type { TargetMetric } from '../../config/policy';
import type { Json } from '../../observations';
import { fmt, r4 } from '../format';
import { MAX_PROPOSAL } from '../safety/bounds';
import type { DecisionInput } from '../input';
import type { Proposal, Strategy } from '../types';

export interface Tolerance {
  up: number;
  down: number;
}

export interface MetricReplicas {
  /** The metric over its target; null when it is undefined (0 replicas for `average`). */
  ratio: number | null;
  replicas: number;
  withinTolerance: boolean;
}

/** HPA `tolerances.isWithin`: no change while `1 - down <= ratio <= 1 + up`. */
export function isWithin(ratio: number, tolerance: Tolerance): boolean {
  return 1 - tolerance.down <= ratio && ratio <= 1 + tolerance.up;
}

/**
 * Desired replicas for one metric.
 * - average (HPA external/object AverageValue): ratio = v / (target × current); outside the
 *   tolerance ceil(v / target). With 0 replicas the ratio is undefined: ceil(v / target) (0 for 0).
 * - value (HPA external/object Value): ratio = v / target; ceil(ratio × current), or ceil(ratio)
 *   from 0 replicas (no tolerance, as the HPA's scale-from-zero path).
 * - utilization (HPA resource/pods average): ratio = v / target; ceil(ratio × current).
 */
export function metricReplicas(type: TargetMetric['type'], value: number, target: number, current: number, tolerance: Tolerance): MetricReplicas {
  switch (type) {
    case 'average': {
      if (current === 0) return { ratio: null, replicas: Math.ceil(value / target), withinTolerance: false };
      const ratio = value / (target * current);
      if (isWithin(ratio, tolerance)) return { ratio, replicas: current, withinTolerance: true };
      return { ratio, replicas: Math.ceil(value / target), withinTolerance: false };
    }
    case 'value': {
      const ratio = value / target;
      if (current === 0) return { ratio, replicas: Math.ceil(ratio), withinTolerance: false };
      if (isWithin(ratio, tolerance)) return { ratio, replicas: current, withinTolerance: true };
      return { ratio, replicas: Math.ceil(ratio * current), withinTolerance: false };
    }
    case 'utilization': {
      const ratio = value / target;
      if (isWithin(ratio, tolerance)) return { ratio, replicas: current, withinTolerance: true };
      return { ratio, replicas: Math.ceil(ratio * current), withinTolerance: false };
    }
  }
}

function describe(m: TargetMetric, value: number, r: MetricReplicas, current: number, tolerance: Tolerance): string {
  const target = m.type === 'average' ? `${fmt(m.value)}/replica` : m.type === 'utilization' ? `${fmt(m.value)} per replica` : fmt(m.value);
  const head = `${m.metric} ${fmt(value)} vs target ${target}`;
  if (r.ratio === null) return `${head} from 0 replicas → ${r.replicas}`;
  const ratio = `ratio ${fmt(r.ratio)} at ${current}`;
  if (r.withinTolerance) return `${head} (${ratio}, within ${fmt(1 - tolerance.down)}..${fmt(1 + tolerance.up)}) → ${r.replicas}`;
  return `${head} (${ratio}) → ${r.replicas}`;
}

export const targetStrategy: Strategy = {
  propose(input: DecisionInput): Proposal {
    const current = input.current_replicas;
    const target = input.service.target;
    if (target === undefined) return { replicas: current, reason: 'no target configured', details: { metrics: [] } };
    const tolerance = target.tolerance;
    const missing: string[] = [];
    const perMetric: Json[] = [];
    const parts: string[] = [];
    let best: number | undefined;
    for (const m of target.metrics) {
      const value = input.observations[m.metric];
      if (value === undefined) {
        if (!missing.includes(m.metric)) missing.push(m.metric);
        perMetric.push({ metric: m.metric, type: m.type, target: m.value, value: null, ratio: null, replicas: null, within_tolerance: null });
        parts.push(`${m.metric} missing`);
        continue;
      }
      const computed = metricReplicas(m.type, value, m.value, current, tolerance);
      const r = computed.replicas > MAX_PROPOSAL ? { ...computed, replicas: MAX_PROPOSAL } : computed;
      perMetric.push({
        metric: m.metric,
        type: m.type,
        target: m.value,
        value,
        ratio: r.ratio === null ? null : r4(r.ratio),
        replicas: r.replicas,
        within_tolerance: r.withinTolerance,
      });
      parts.push(describe(m, value, r, current, tolerance));
      if (best === undefined || r.replicas > best) best = r.replicas;
    }
    const details = { metrics: perMetric, tolerance: { up: tolerance.up, down: tolerance.down } };
    // Every metric missing: the HPA reports an error and keeps the current size.
    if (best === undefined) return { replicas: current, reason: `no target metric available (${parts.join(' | ')})`, details, missing };
    return { replicas: best, reason: parts.join(' | '), details, missing };
  },
};
