// HPA `behavior`: the tables of kubernetes horizontal_test.go (TestScalingWithRules,
// TestNormalizeDesiredReplicasWithBehavior, TestCalculateScale{Up,Down}Limit*,
// TestStoreScaleEvents) with time as Unix seconds. Where a case relies on the HPA's default
// policies, the defaults are written out: docktor has no hidden defaults.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScalingRules } from '../../src/config/policy';
import { decide } from '../../src/decide/index';
import type { ScaleEvent, TimedReplicas } from '../../src/decide/input';
import { limitRate, replicasChangePerPeriod, scaleDownLimit, scaleUpLimit, stabilizeRecommendation } from '../../src/decide/safety/behavior';
import type { LimitedBy } from '../../src/decide/types';
import { input, NOW, service } from './decide-fixtures';

/** horizontal_test.go generateScalingRules(pods, podsPeriod, percent, percentPeriod, window), select Max. */
function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): ScalingRules {
  const policies: NonNullable<ScalingRules['policies']> = [];
  if (pods !== 0) policies.push({ type: 'pods', value: pods, period_seconds: podsPeriod });
  if (percent !== 0) policies.push({ type: 'percent', value: percent, period_seconds: percentPeriod });
  return { stabilization_window_seconds: window, select_policy: 'max', policies };
}

/** The HPA's defaults (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules), spelled out. */
const HPA_DEFAULT_UP: ScalingRules = {
  stabilization_window_seconds: 0,
  select_policy: 'max',
  policies: [
    { type: 'pods', value: 4, period_seconds: 15 },
    { type: 'percent', value: 100, period_seconds: 15 },
  ],
};
const HPA_DEFAULT_DOWN: ScalingRules = { stabilization_window_seconds: 300, select_policy: 'max', policies: [{ type: 'percent', value: 100, period_seconds: 15 }] };

/**
 * horizontal_test.go generateEventsUniformDistribution: events spread over the last
 * `period` seconds, each in the middle of its segment.
 */
function uniform(raw: number[], period: number): ScaleEvent[] {
  const segment = period / raw.length;
  return raw.map((change, idx) => ({ at: NOW - (period - segment * (idx + 1) + segment / 2), delta: change }));
}

type Condition = 'DesiredWithinRange' | 'TooFewReplicas' | 'TooManyReplicas' | 'ScaleUpLimit' | 'ScaleDownLimit';
const CONDITION: Record<Condition, LimitedBy | null> = {
  DesiredWithinRange: null,
  TooFewReplicas: 'min_replicas',
  TooManyReplicas: 'max_replicas',
  ScaleUpLimit: 'scale_up_limit',
  ScaleDownLimit: 'scale_down_limit',
};

interface RulesCase {
  name: string;
  scaleUpEvents?: ScaleEvent[];
  scaleDownEvents?: ScaleEvent[];
  min: number;
  max: number;
  up?: ScalingRules;
  down?: ScalingRules;
  current: number;
  desired: number;
  expected: number;
  condition: Condition;
}

const scalingWithRules: RulesCase[] = [
  { name: 'prenormalized desired replicas within range', current: 5, desired: 7, min: 3, max: 8, expected: 7, condition: 'DesiredWithinRange' },
  { name: 'prenormalized desired replicas < minReplicas', current: 3, desired: 1, min: 2, max: 8, expected: 2, condition: 'TooFewReplicas' },
  { name: 'prenormalized desired replicas within range when minReplicas is 0', current: 1, desired: 0, min: 0, max: 10, expected: 0, condition: 'DesiredWithinRange' },
  { name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit', current: 20, desired: 1000, min: 1, max: 10, up: HPA_DEFAULT_UP, expected: 10, condition: 'TooManyReplicas' },
  { name: 'desired replica count is more than the maximum replica count', current: 100, desired: 1000, min: 100, max: 150, up: HPA_DEFAULT_UP, expected: 150, condition: 'TooManyReplicas' },
  { name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies', current: 3, desired: 1000, min: 1, max: 2000, up: rules(0, 0, 1, 60, 0), expected: 4, condition: 'ScaleUpLimit' },
  { name: 'scaleDownLimit is the limit because scaleDownLimit > minReplicas with user defined policies', current: 1000, desired: 3, min: 3, max: 2000, down: rules(20, 60, 0, 0, 0), expected: 980, condition: 'ScaleDownLimit' },
  { name: 'scaleUp with default behavior (HPA defaults written out)', min: 1, max: 1000, up: HPA_DEFAULT_UP, current: 10, desired: 50, expected: 20, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with pods policy larger than percent policy', min: 1, max: 1000, up: rules(100, 60, 100, 60, 0), current: 10, desired: 500, expected: 110, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy larger than pods policy', min: 1, max: 1000, up: rules(2, 60, 100, 60, 0), current: 10, desired: 500, expected: 20, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with spec MaxReplicas limitation with large pod policy', min: 1, max: 1000, up: rules(100, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, condition: 'DesiredWithinRange' },
  { name: 'scaleUp with spec MaxReplicas limitation with large percent policy', min: 1, max: 1000, up: rules(10000, 60, 0, 0, 0), current: 10, desired: 50, expected: 50, condition: 'DesiredWithinRange' },
  { name: 'scaleUp with pod policy limitation', min: 1, max: 1000, up: rules(30, 60, 0, 0, 0), current: 10, desired: 50, expected: 40, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy limitation', min: 1, max: 1000, up: rules(0, 0, 200, 60, 0), current: 10, desired: 50, expected: 30, condition: 'ScaleUpLimit' },
  { name: 'scaleDown with percent policy larger than pod policy', min: 1, max: 1000, down: rules(20, 60, 1, 60, 300), current: 100, desired: 2, expected: 80, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with pod policy larger than percent policy', min: 1, max: 1000, down: rules(2, 60, 1, 60, 300), current: 100, desired: 2, expected: 98, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy', min: 1, max: 1000, down: rules(100, 60, 0, 0, 300), current: 10, desired: 0, expected: 1, condition: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large pod policy', min: 1, max: 1000, down: rules(100, 60, 0, 0, 300), current: 10, desired: 0, expected: 1, condition: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large percent policy', min: 5, max: 1000, down: rules(0, 0, 100, 60, 300), current: 10, desired: 2, expected: 5, condition: 'TooFewReplicas' },
  { name: 'scaleDown with pod policy limitation', min: 1, max: 1000, down: rules(5, 60, 0, 0, 300), current: 10, desired: 2, expected: 5, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy limitation', min: 1, max: 1000, down: rules(0, 0, 50, 60, 300), current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: 'scaleUp with spec MaxReplicas limitation with large pod policy and events', scaleUpEvents: uniform([1, 5, 9], 120), min: 1, max: 200, up: rules(300, 60, 0, 0, 0), current: 100, desired: 500, expected: 200, condition: 'TooManyReplicas' },
  { name: 'scaleUp with spec MaxReplicas limitation with large percent policy and events', scaleUpEvents: uniform([1, 5, 9], 120), min: 1, max: 200, up: rules(0, 0, 10000, 60, 0), current: 100, desired: 500, expected: 200, condition: 'TooManyReplicas' },
  { name: 'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events', scaleUpEvents: uniform([1, 5, 9], 120), min: 1, max: 1000, up: rules(5, 120, 0, 0, 0), current: 100, desired: 500, expected: 100, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with pod policy and previous scale up events', scaleUpEvents: uniform([1, 5, 9], 120), min: 1, max: 1000, up: rules(150, 120, 0, 0, 0), current: 100, desired: 500, expected: 235, condition: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy and previous scale up events', scaleUpEvents: uniform([1, 5, 9], 120), min: 1, max: 1000, up: rules(0, 0, 200, 120, 0), current: 100, desired: 500, expected: 255, condition: 'ScaleUpLimit' },
  // HPA default down policy is 100%/15s; docktor without policies is not limited: same result.
  { name: 'scaleDown with default policy and previous events (no policies)', scaleDownEvents: uniform([1, 5, 9], 120), min: 1, max: 1000, current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: 'scaleDown with default policy and previous events (HPA default written out)', scaleDownEvents: uniform([1, 5, 9], 120), min: 1, max: 1000, down: HPA_DEFAULT_DOWN, current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events', scaleDownEvents: uniform([1, 5, 9], 120), min: 1, max: 1000, down: rules(115, 120, 0, 0, 300), current: 100, desired: 0, expected: 1, condition: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large pod policy and previous events', scaleDownEvents: uniform([1, 5, 9], 120), min: 5, max: 1000, down: rules(130, 120, 0, 0, 300), current: 100, desired: 0, expected: 5, condition: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large percent policy and previous events', scaleDownEvents: uniform([1, 5, 9], 120), min: 5, max: 1000, down: rules(0, 0, 100, 120, 300), current: 100, desired: 2, expected: 5, condition: 'TooFewReplicas' },
  { name: 'scaleDown with pod policy limitation and previous events', scaleDownEvents: uniform([1, 5, 9], 120), min: 1, max: 1000, down: rules(5, 120, 0, 0, 300), current: 100, desired: 2, expected: 100, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy limitation and previous events', scaleDownEvents: uniform([2, 4, 6], 120), min: 1, max: 1000, down: rules(0, 0, 50, 120, 300), current: 100, desired: 0, expected: 56, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with previous events preventing further scale down', scaleDownEvents: uniform([10, 10, 10], 120), min: 1, max: 1000, down: rules(0, 0, 10, 120, 300), current: 100, desired: 0, expected: 100, condition: 'ScaleDownLimit' },
  { name: 'scaleDown with with previous events still allowing more scale down', scaleDownEvents: uniform([10, 10, 10], 120), min: 1, max: 1000, down: rules(0, 0, 1000, 120, 300), current: 10, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: "check 'outdated' flag for events for one behavior for up", scaleUpEvents: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, up: rules(1000, 60, 0, 0, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
  { name: "check that events were not marked 'outdated' for two different policies in the behavior for up", scaleUpEvents: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, up: rules(1000, 120, 100, 60, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
  { name: "check that events were marked 'outdated' for two different policies in the behavior for up", scaleUpEvents: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, up: rules(1000, 30, 100, 60, 0), current: 100, desired: 200, expected: 200, condition: 'DesiredWithinRange' },
  { name: "check 'outdated' flag for events for one behavior for down", scaleDownEvents: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, down: rules(1000, 60, 0, 0, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: "check that events were not marked 'outdated' for two different policies in the behavior for down", scaleDownEvents: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, down: rules(1000, 120, 100, 60, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
  { name: "check that events were marked 'outdated' for two different policies in the behavior for down", scaleDownEvents: uniform([8, 12, 9, 11], 120), min: 1, max: 1000, down: rules(1000, 30, 100, 60, 300), current: 100, desired: 5, expected: 5, condition: 'DesiredWithinRange' },
];

describe('behavior: TestScalingWithRules (convertDesiredReplicasWithBehaviorRate)', () => {
  for (const c of scalingWithRules) {
    it(c.name, () => {
      // The HPA keeps two lists of positive changes; docktor one list of signed deltas.
      const events = [...(c.scaleUpEvents ?? []), ...(c.scaleDownEvents ?? []).map((e) => ({ at: e.at, delta: -e.delta }))];
      const behavior: { scale_up?: ScalingRules; scale_down?: ScalingRules } = {};
      if (c.up) behavior.scale_up = c.up;
      if (c.down) behavior.scale_down = c.down;
      const r = limitRate(c.desired, c.current, c.min, c.max, events, NOW, behavior);
      assert.equal(r.replicas, c.expected);
      assert.equal(r.limited_by, CONDITION[c.condition]);
    });
  }
});

describe('behavior: TestCalculateScaleUpLimitWithScalingRules / TestCalculateScaleDownLimitWithBehaviors', () => {
  const minPolicy: ScalingRules = {
    stabilization_window_seconds: 300,
    select_policy: 'min',
    policies: [
      { type: 'pods', value: 2, period_seconds: 60 },
      { type: 'percent', value: 50, period_seconds: 60 },
    ],
  };
  it('scale-up limit with select_policy min', () => assert.equal(scaleUpLimit(1, [], NOW, minPolicy), 2));
  it('scale-down limit with select_policy min', () => assert.equal(scaleDownLimit(5, [], NOW, minPolicy), 3));
  it('select_policy disabled: no change in that direction', () => {
    const disabled: ScalingRules = { stabilization_window_seconds: 0, select_policy: 'disabled' };
    assert.equal(scaleUpLimit(7, [], NOW, disabled), 7);
    assert.equal(scaleDownLimit(7, [], NOW, disabled), 7);
    const r = limitRate(20, 7, 1, 50, [], NOW, { scale_up: disabled });
    assert.deepEqual([r.replicas, r.limited_by], [7, 'scale_up_limit']);
  });
  it('no policies: not rate-limited (docktor has no hidden defaults)', () => {
    assert.equal(scaleUpLimit(7, [], NOW, { stabilization_window_seconds: 0, select_policy: 'max' }), Infinity);
    assert.equal(scaleDownLimit(7, [], NOW, undefined), -Infinity);
  });
});

describe('behavior: TestStoreScaleEvents (getReplicasChangePerPeriod over 60 s)', () => {
  const table: { name: string; events: [number, number][]; expected: number }[] = [
    { name: 'empty entries', events: [], expected: 0 },
    { name: 'one outdated entry', events: [[7, 61]], expected: 0 },
    { name: 'one actual entry', events: [[7, 58]], expected: 7 },
    { name: 'two entries, one outdated', events: [[7, 61], [6, 59]], expected: 6 },
    { name: 'policies with different periods', events: [[8, 29], [6, 59], [7, 61], [9, 61]], expected: 14 },
    { name: 'two entries, both actual', events: [[7, 58], [6, 59]], expected: 13 },
  ];
  for (const c of table) {
    it(c.name, () => {
      const up = c.events.map(([change, ago]) => ({ at: NOW - ago, delta: change }));
      const down = c.events.map(([change, ago]) => ({ at: NOW - ago, delta: -change }));
      assert.equal(replicasChangePerPeriod(60, up, NOW, 'up'), c.expected);
      assert.equal(replicasChangePerPeriod(60, down, NOW, 'down'), c.expected);
      assert.equal(replicasChangePerPeriod(60, up, NOW, 'down'), 0);
    });
  }
});

interface StabCase {
  name: string;
  recs: [number, number][]; // [replicas, seconds ago]
  current: number;
  desired: number;
  expected: number;
  up?: number;
  down?: number;
}

const stabilization: StabCase[] = [
  { name: 'empty recommendations for scaling down', recs: [], current: 100, desired: 5, expected: 5 },
  { name: 'simple scale down stabilization', recs: [[4, 120], [5, 60]], current: 100, desired: 3, expected: 5, down: 180 },
  { name: 'simple scale up stabilization', recs: [[4, 120], [5, 60]], current: 1, desired: 7, expected: 4, up: 300 },
  { name: 'no scale down stabilization', recs: [[1, 120], [2, 60]], current: 100, desired: 3, expected: 3, up: 300 },
  { name: 'no scale up stabilization', recs: [[4, 120], [5, 60]], current: 1, desired: 3, expected: 3, down: 300 },
  { name: 'no scale down stabilization, reuse recommendation element', recs: [[10, 600], [9, 540]], current: 100, desired: 3, expected: 3 },
  { name: 'no scale up stabilization, reuse recommendation element', recs: [[10, 600], [9, 540]], current: 1, desired: 100, expected: 100 },
  { name: 'scale down stabilization, reuse one of obsolete recommendation element', recs: [[10, 600], [4, 60], [5, 120], [9, 540]], current: 100, desired: 3, expected: 5, down: 180 },
  { name: 'scale up stabilization, reuse one of obsolete recommendation element', recs: [[10, 6000], [6, 60], [5, 120], [9, 180]], current: 1, desired: 100, expected: 5, up: 300, down: 300 },
];

describe('behavior: TestNormalizeDesiredReplicasWithBehavior (stabilizeRecommendationWithBehaviors)', () => {
  for (const c of stabilization) {
    it(c.name, () => {
      const recs: TimedReplicas[] = c.recs.map(([replicas, ago]) => ({ at: NOW - ago, replicas }));
      assert.equal(stabilizeRecommendation(recs, NOW, c.current, c.desired, c.up ?? 0, c.down ?? 0).replicas, c.expected);
    });
  }
});

describe('behavior through decide()', () => {
  const target = { metrics: [{ metric: 'queue.backlog', type: 'average' as const, value: 10 }] };

  it('scale-down stabilization keeps the highest recent recommendation, and says so', () => {
    const s = service({ max_replicas: 100, strategy: 'target', target, behavior: { scale_down: { stabilization_window_seconds: 300 } } });
    let state = decide(input({ service: s, current: 10, observations: { 'queue.backlog': 100 }, now: NOW - 200 })).state;
    state = decide(input({ service: s, current: 10, observations: { 'queue.backlog': 80 }, now: NOW - 100, state })).state;
    const d = decide(input({ service: s, current: 10, observations: { 'queue.backlog': 20 }, now: NOW, state }));
    assert.equal(d.target_replicas, 10);
    assert.equal(d.limited_by, 'stabilization');
    assert.match(d.reason, /stabilized at 10: highest recommendation in the last 300s/);
    // 301 s after the high one, the next-highest (8) is the floor.
    const later = decide(input({ service: s, current: 10, observations: { 'queue.backlog': 20 }, now: NOW - 200 + 301, state: d.state }));
    assert.equal(later.target_replicas, 8);
  });

  it('rate limits count the scale events the engine recorded', () => {
    const s = service({ max_replicas: 100, strategy: 'target', target, behavior: { scale_up: { policies: [{ type: 'pods', value: 4, period_seconds: 60 }] } } });
    const first = decide(input({ service: s, current: 2, observations: { 'queue.backlog': 500 }, now: NOW }));
    assert.deepEqual([first.target_replicas, first.limited_by], [6, 'scale_up_limit']);
    assert.deepEqual(first.state.scale_events, [{ at: NOW, delta: 4 }]);
    const second = decide(input({ service: s, current: 6, observations: { 'queue.backlog': 500 }, now: NOW + 30, state: first.state }));
    assert.deepEqual([second.target_replicas, second.limited_by], [6, 'scale_up_limit']);
    const third = decide(input({ service: s, current: 6, observations: { 'queue.backlog': 500 }, now: NOW + 61, state: second.state }));
    assert.equal(third.target_replicas, 10);
  });
});
