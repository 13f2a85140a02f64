// Target tracking: the Kubernetes HPA replica calculator's test tables
// (pkg/controller/podautoscaler/replica_calculator_test.go, horizontal_test.go), reduced to the
// aggregated metric each case feeds the calculator. Per-pod readiness, missing pods and CPU
// warm-up cases do not map onto aggregated metrics (docs/decide.md) and are not ported.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../src/decide/index';
import { metricReplicas, targetStrategy } from '../../src/decide/strategies/target';
import { input, service } from './decide-fixtures';

const TOL = { up: 0.1, down: 0.1 };

interface Case {
  name: string;
  type: 'average' | 'value' | 'utilization';
  value: number;
  target: number;
  current: number;
  expected: number;
}

// HPA metric kinds → docktor target types:
//   resource utilization / pods metric (a per-pod average)     → utilization
//   object or external metric with Value                          → value
//   object or external metric with AverageValue (per pod)         → average
const cases: Case[] = [
  // TestReplicaCalcScaleUp: CPU 300+500+700 of 3×1000m requested = 50% vs 30%
  { name: 'ScaleUp (cpu utilization)', type: 'utilization', value: 50, target: 30, current: 3, expected: 5 },
  // TestReplicaCalcScaleUpCM: pod metric qps [20, 10, 30] average 20 vs 15
  { name: 'ScaleUpCM (pods average)', type: 'utilization', value: 20000, target: 15000, current: 3, expected: 4 },
  // TestReplicaCalcScaleUpCMObject: object metric 20000 vs 15000
  { name: 'ScaleUpCMObject (object value)', type: 'value', value: 20000, target: 15000, current: 3, expected: 4 },
  // TestReplicaCalcScaleUpCMPerPodObject: object 20000, per-pod target 5000
  { name: 'ScaleUpCMPerPodObject (object average)', type: 'average', value: 20000, target: 5000, current: 3, expected: 4 },
  // TestReplicaCalcScaleUpCMExternal: external 8600 vs 4400 from 1 replica
  { name: 'ScaleUpCMExternal (external value)', type: 'value', value: 8600, target: 4400, current: 1, expected: 2 },
  // TestReplicaCalcScaleUpCMExternalNoLabels
  { name: 'ScaleUpCMExternalNoLabels', type: 'value', value: 8600, target: 4400, current: 1, expected: 2 },
  // TestReplicaCalcScaleUpPerPodCMExternal: external 8600, per-pod target 2150
  { name: 'ScaleUpPerPodCMExternal (external average)', type: 'average', value: 8600, target: 2150, current: 3, expected: 4 },
  // TestReplicaCalcScaleDown: CPU (100+300+500+250+250)/5000 = 28% vs 50%
  { name: 'ScaleDown (cpu utilization)', type: 'utilization', value: 28, target: 50, current: 5, expected: 3 },
  // TestReplicaCalcScaleDownCM: 12000 average vs 20000
  { name: 'ScaleDownCM (pods average)', type: 'utilization', value: 12000, target: 20000, current: 5, expected: 3 },
  // TestReplicaCalcScaleDownPerPodCMObject: 6000 total, 2000 per pod
  { name: 'ScaleDownPerPodCMObject (object average)', type: 'average', value: 6000, target: 2000, current: 5, expected: 3 },
  // TestReplicaCalcScaleDownCMObject: 12000 vs 20000
  { name: 'ScaleDownCMObject (object value)', type: 'value', value: 12000, target: 20000, current: 5, expected: 3 },
  // TestReplicaCalcScaleDownCMExternal: 8600 vs 14334
  { name: 'ScaleDownCMExternal (external value)', type: 'value', value: 8600, target: 14334, current: 5, expected: 3 },
  // TestReplicaCalcScaleDownPerPodCMExternal: 8600 total, 2867 per pod
  { name: 'ScaleDownPerPodCMExternal (external average)', type: 'average', value: 8600, target: 2867, current: 5, expected: 3 },
  // TestReplicaCalcTolerance: (1010+1030+1020)/(900+1000+1100) = 102% vs 100%
  { name: 'Tolerance (cpu utilization)', type: 'utilization', value: 102, target: 100, current: 3, expected: 3 },
  // TestReplicaCalcToleranceCM: [20000, 21000, 21000] average 20666.67 vs 20000
  { name: 'ToleranceCM', type: 'utilization', value: 62000 / 3, target: 20000, current: 3, expected: 3 },
  // TestReplicaCalcToleranceCMObject: 20666 vs 20000
  { name: 'ToleranceCMObject', type: 'value', value: 20666, target: 20000, current: 3, expected: 3 },
  // TestReplicaCalcTolerancePerPodCMObject: 20166 over 4 pods, 5000 per pod
  { name: 'TolerancePerPodCMObject', type: 'average', value: 20166, target: 5000, current: 4, expected: 4 },
  // TestReplicaCalcToleranceCMExternal: 8600 vs 8888
  { name: 'ToleranceCMExternal', type: 'value', value: 8600, target: 8888, current: 3, expected: 3 },
  // TestReplicaCalcTolerancePerPodCMExternal: 8600 over 3 pods, 2900 per pod
  { name: 'TolerancePerPodCMExternal', type: 'average', value: 8600, target: 2900, current: 3, expected: 3 },
  // TestReplicaCalcSuperfluousMetrics: (4000+9500+3000+7000)/4000 = 587.5% vs 100%
  { name: 'SuperfluousMetrics (cpu utilization)', type: 'utilization', value: 587.5, target: 100, current: 4, expected: 24 },
  // TestReplicaCalcComputedToleranceAlgImplementation: 50% used vs target 56% (just outside tolerance)
  { name: 'ComputedTolerance: just outside', type: 'utilization', value: 50, target: 56, current: 10, expected: 9 },
  // ... and vs target 55% (just inside)
  { name: 'ComputedTolerance: just inside', type: 'utilization', value: 50, target: 55, current: 10, expected: 10 },
];

describe('target: HPA replica calculator tables', () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(metricReplicas(c.type, c.value, c.target, c.current, TOL).replicas, c.expected);
    });
  }
});

describe('target: scale from and to zero (HPA getUsageRatioReplicaCount)', () => {
  it('value type from 0 replicas: ceil(ratio), no tolerance', () => {
    assert.equal(metricReplicas('value', 1050, 1000, 0, TOL).replicas, 2);
    assert.equal(metricReplicas('value', 0, 1000, 0, TOL).replicas, 0);
  });
  it('average type from 0 replicas: ceil(metric / target)', () => {
    assert.equal(metricReplicas('average', 250, 100, 0, TOL).replicas, 3);
    assert.equal(metricReplicas('average', 0, 100, 0, TOL).replicas, 0);
  });
  it('value type to 0 when the metric is 0', () => {
    assert.equal(metricReplicas('value', 0, 1000, 4, TOL).replicas, 0);
  });
});

describe('target: separate up/down tolerance (HPA configurable tolerance)', () => {
  it('a 5% rise scales up with tolerance.up 0.01 but not with 0.1', () => {
    assert.equal(metricReplicas('utilization', 105, 100, 20, { up: 0.01, down: 0.1 }).replicas, 21);
    assert.equal(metricReplicas('utilization', 105, 100, 20, { up: 0.1, down: 0.1 }).replicas, 20);
  });
  it('a 15% fall holds with tolerance.down 0.2 and scales down with 0.1', () => {
    assert.equal(metricReplicas('utilization', 85, 100, 20, { up: 0.1, down: 0.2 }).replicas, 20);
    assert.equal(metricReplicas('utilization', 85, 100, 20, { up: 0.1, down: 0.1 }).replicas, 17);
  });
  it('the tolerance edges are inclusive (1 - down <= ratio <= 1 + up)', () => {
    assert.equal(metricReplicas('average', 1100, 100, 10, TOL).replicas, 10);
    assert.equal(metricReplicas('average', 1101, 100, 10, TOL).replicas, 12);
    assert.equal(metricReplicas('average', 900, 100, 10, TOL).replicas, 10);
    assert.equal(metricReplicas('average', 899, 100, 10, TOL).replicas, 9);
  });
  it('the config accepts { up, down }', () => {
    const s = service({ strategy: 'target', target: { metrics: [{ metric: 'cpu.avg_pct', type: 'utilization', value: 100 }], tolerance: { up: 0.01, down: 0.3 } } });
    assert.equal(decide(input({ service: s, current: 5, observations: { 'cpu.avg_pct': 103 } })).target_replicas, 6);
    assert.equal(decide(input({ service: s, current: 5, observations: { 'cpu.avg_pct': 75 } })).target_replicas, 5);
  });
});

describe('target: several metrics (HPA computeReplicasForMetrics)', () => {
  const s = service({
    min_replicas: 2,
    max_replicas: 6,
    strategy: 'target',
    target: {
      metrics: [
        { metric: 'cpu.avg_pct', type: 'utilization', value: 30 },
        { metric: 'queue.rate_in', type: 'value', value: 0.1 },
      ],
    },
  });

  it('the largest proposal wins', () => {
    const d = decide(input({ service: s, current: 3, observations: { 'cpu.avg_pct': 40, 'queue.rate_in': 0.25 } }));
    assert.equal(d.target_replicas, 6); // ceil(2.5 × 3) = 8, capped at max 6; cpu says 4
    assert.equal(d.limited_by, 'max_replicas');
    assert.match(d.reason, /cpu\.avg_pct 40 vs target 30 per replica/);
    assert.match(d.reason, / \| queue\.rate_in 0\.25 vs target 0\.1/);
  });

  // horizontal_test.go TestScaleUpOneMetricEmpty: CPU (300+400+500)/3000 = 40% vs 30% on 3 pods,
  // the external metric fails: a scale-up on partial data is allowed.
  it('TestScaleUpOneMetricEmpty: scales up with one metric missing', () => {
    const d = decide(input({ service: s, current: 3, observations: { 'cpu.avg_pct': 40 } }));
    assert.equal(d.target_replicas, 4);
    assert.equal(d.action, 'scale_up');
    assert.deepEqual((d.details.proposal as { missing: string[] }).missing, ['queue.rate_in']);
  });

  // horizontal_test.go TestNoScaleDownOneMetricEmpty / TestNoScaleDownOneMetricInvalid:
  // CPU 28% vs 50% on 5 pods would give 3, but another metric is missing: no scale-down.
  it('TestNoScaleDownOneMetricEmpty: never scales down while a metric is missing', () => {
    const s2 = service({
      min_replicas: 2,
      max_replicas: 6,
      strategy: 'target',
      target: {
        metrics: [
          { metric: 'cpu.avg_pct', type: 'utilization', value: 50 },
          { metric: 'queue.rate_in', type: 'value', value: 1 },
        ],
      },
    });
    const d = decide(input({ service: s2, current: 5, observations: { 'cpu.avg_pct': 28 } }));
    assert.equal(d.target_replicas, 5);
    assert.equal(d.action, 'hold');
    assert.equal(d.limited_by, 'missing_metrics');
    assert.match(d.reason, /no scale-down to 3: queue\.rate_in missing/);
  });

  it('every metric missing: hold', () => {
    const p = targetStrategy.propose(input({ service: s, current: 4, observations: {} }));
    assert.equal(p.replicas, 4);
    assert.deepEqual(p.missing, ['cpu.avg_pct', 'queue.rate_in']);
    assert.equal(decide(input({ service: s, current: 4, observations: {} })).action, 'hold');
  });
});

describe('target: CONTRACT §2 average type on queue.backlog', () => {
  const s = service({ max_replicas: 50, strategy: 'target', target: { metrics: [{ metric: 'queue.backlog', type: 'average', value: 100 }] } });
  it('desired = ceil(backlog / value) outside the tolerance', () => {
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 2400 } }));
    assert.equal(d.target_replicas, 24);
    assert.equal(d.action, 'scale_up');
    assert.match(d.reason, /^queue\.backlog 2400 vs target 100\/replica \(ratio 8 at 3\) → 24$/);
  });
  it('within tolerance: stays', () => {
    const d = decide(input({ service: s, current: 24, observations: { 'queue.backlog': 2500 } }));
    assert.equal(d.target_replicas, 24);
    assert.equal(d.action, 'hold');
    assert.match(d.reason, /within 0\.9\.\.1\.1/);
  });
});
