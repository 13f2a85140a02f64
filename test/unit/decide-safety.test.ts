// Safety shared by all strategies: cooldown, fallback, missing data, pause, override, dry run,
// and the engine state the caller passes back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeLanded } from '../../src/decide/change-landed';
import { decide } from '../../src/decide/index';
import { isoSeconds } from '../../src/decide/format';
import { MAX_RECOMMENDATIONS, MAX_SCALE_EVENTS, recordRecommendation, recordScaleEvent } from '../../src/decide/history';
import { stabilizeRecommendation } from '../../src/decide/safety/behavior';
import { input, NOW, service } from './decide-fixtures';

const rules = {
  scale_up_when: [{ metric: 'queue.backlog', op: '>' as const, value: 1000 }],
  scale_down_when: [{ metric: 'queue.backlog', op: '<=' as const, value: 50 }],
  step: { up: 2, down: 1 },
};
const UP = { 'queue.backlog': 2400 };
const DOWN = { 'queue.backlog': 0 };

describe('cooldown (CONTRACT §2)', () => {
  const s = service({ strategy: 'rules', rules, cooldown: { up: 30, down: 60 } });

  it('up: no scale-up within `up` seconds of a scale-up', () => {
    const d = decide(input({ service: s, current: 3, observations: UP, state: { last_scale_up_at: NOW - 10 } }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['hold', 3, 'cooldown']);
    // Absolute times: the reason is read long after the check (status, the Temporal UI).
    assert.equal(d.reason, `queue.backlog 2400 > 1000; held at 3 instead of 5 by cooldown.up 30s: last scale-up at ${isoSeconds(NOW - 10)}, until ${isoSeconds(NOW + 20)}`);
    assert.equal((d.details.cooldown as { remaining_s: number }).remaining_s, 20);
    const later = decide(input({ service: s, current: 3, observations: UP, state: { last_scale_up_at: NOW - 30 } }));
    assert.equal(later.action, 'scale_up');
  });

  it('up: a recent scale-down does not block a scale-up', () => {
    const d = decide(input({ service: s, current: 3, observations: UP, state: { last_scale_down_at: NOW - 1 } }));
    assert.equal(d.action, 'scale_up');
  });

  it('down: no scale-down within `down` seconds of any change', () => {
    for (const state of [{ last_scale_up_at: NOW - 59 }, { last_scale_down_at: NOW - 59 }, { last_scale_up_at: NOW - 500, last_scale_down_at: NOW - 20 }]) {
      const d = decide(input({ service: s, current: 3, observations: DOWN, state }));
      assert.deepEqual([d.action, d.limited_by], ['hold', 'cooldown']);
      assert.match(d.reason, /cooldown\.down 60s: last change at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
    }
    const ok = decide(input({ service: s, current: 3, observations: DOWN, state: { last_scale_up_at: NOW - 60, last_scale_down_at: NOW - 61 } }));
    assert.equal(ok.action, 'scale_down');
  });

  it('records applied changes for the next call', () => {
    const d = decide(input({ service: s, current: 3, observations: UP }));
    assert.equal(d.state.last_scale_up_at, NOW);
    const next = decide(input({ service: s, current: 5, observations: UP, now: NOW + 5, state: d.state }));
    assert.equal(next.limited_by, 'cooldown');
  });

  it('a change that landed later than it was decided is timed from when it landed', () => {
    const d = decide(input({ service: s, current: 3, observations: UP }));
    const landed = changeLanded(d.state, NOW, NOW + 15);
    assert.equal(landed.last_scale_up_at, NOW + 15);
    assert.equal(landed.last_scale_down_at, d.state.last_scale_down_at);
    // 60 s after the decision but only 45 s after it landed: still cooling down.
    const next = decide(input({ service: s, current: 5, observations: DOWN, now: NOW + 60, state: landed }));
    assert.deepEqual([next.action, next.limited_by], ['hold', 'cooldown']);
    assert.equal(decide(input({ service: s, current: 5, observations: DOWN, now: NOW + 75, state: landed })).action, 'scale_down');
    // No later landing time (an older worker's result): the decision's time stands.
    assert.deepEqual(changeLanded(d.state, NOW, NOW), d.state);
  });

  it('a bounds correction is not delayed by cooldown', () => {
    const d = decide(input({ service: s, current: 12, observations: UP, state: { last_scale_up_at: NOW - 1 } }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['scale_down', 10, 'max_replicas']);
  });
});

describe('metrics failures and fallback (KEDA semantics)', () => {
  const target = { metrics: [{ metric: 'queue.backlog', type: 'average' as const, value: 100 }] };

  it('without fallback: hold, never scale down on a failed collection', () => {
    const s = service({ strategy: 'target', target });
    const d = decide(input({ service: s, current: 5, observations: {}, metric_failures: 7 }));
    assert.deepEqual([d.action, d.target_replicas], ['hold', 5]);
    const partial = decide(input({ service: s, current: 5, observations: { 'queue.backlog': 10 }, metric_failures: 1 }));
    assert.deepEqual([partial.action, partial.limited_by], ['hold', 'missing_metrics']);
    assert.match(partial.reason, /metric collection failed 1 time/);
  });

  it('a failed source with no rule firing holds with limited_by missing_metrics (issue 14)', () => {
    const s = service({ strategy: 'rules', rules });
    // The runtime answered (replicas known), the queue failed: no rule can fire.
    const d = decide(input({ service: s, current: 3, observations: { 'replicas.current': 3 }, metric_failures: 2 }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['hold', 3, 'missing_metrics']);
    assert.match(d.reason, /metric collection failed 2 time/);
    // Without a failure, the same hold is no limit.
    assert.equal(decide(input({ service: s, current: 3, observations: { 'queue.backlog': 500 } })).limited_by, null);
  });

  it('fallback applies once failures > failure_threshold (KEDA NumberOfFailures > FailureThreshold)', () => {
    const s = service({ strategy: 'target', target, fallback: { failure_threshold: 3, replicas: 6 } });
    assert.equal(decide(input({ service: s, current: 2, observations: {}, metric_failures: 3 })).target_replicas, 2);
    const d = decide(input({ service: s, current: 2, observations: {}, metric_failures: 4 }));
    assert.deepEqual([d.action, d.target_replicas], ['scale_up', 6]);
    assert.match(d.reason, /^metrics failed 4 times > fallback\.failure_threshold 3: fallback\.replicas 6$/);
    // static: also down to the fallback (explicit configuration wins over "no scale-down on missing data")
    assert.equal(decide(input({ service: s, current: 9, observations: {}, metric_failures: 4 })).target_replicas, 6);
  });

  it('current_if_higher keeps a higher current size; current_if_lower a lower one', () => {
    const higher = service({ strategy: 'target', target, fallback: { failure_threshold: 1, replicas: 4, behavior: 'current_if_higher' } });
    assert.equal(decide(input({ service: higher, current: 7, observations: {}, metric_failures: 2 })).target_replicas, 7);
    assert.equal(decide(input({ service: higher, current: 2, observations: {}, metric_failures: 2 })).target_replicas, 4);
    const lower = service({ strategy: 'target', target, fallback: { failure_threshold: 1, replicas: 4, behavior: 'current_if_lower' } });
    assert.equal(decide(input({ service: lower, current: 2, observations: {}, metric_failures: 2 })).target_replicas, 2);
    assert.equal(decide(input({ service: lower, current: 7, observations: {}, metric_failures: 2 })).target_replicas, 4);
  });

  it('fallback still goes through behavior and bounds', () => {
    const s = service({
      strategy: 'target',
      target,
      fallback: { failure_threshold: 1, replicas: 9 },
      behavior: { scale_up: { policies: [{ type: 'pods', value: 2, period_seconds: 60 }] } },
    });
    const d = decide(input({ service: s, current: 3, observations: {}, metric_failures: 2 }));
    assert.deepEqual([d.target_replicas, d.limited_by], [5, 'scale_up_limit']);
  });
});

describe('pause, override, dry run', () => {
  const s = service({ strategy: 'rules', rules });

  it('paused: computed and recorded, target stays current', () => {
    const d = decide(input({ service: s, current: 3, observations: UP, paused: true }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['hold', 3, 'paused']);
    assert.equal(d.details.computed_target, 5);
    assert.match(d.reason, /paused: would go to 5/);
    assert.equal(d.state.last_scale_up_at, null);
  });

  it('override pins the target within bounds unless forced', () => {
    const d = decide(input({ service: s, current: 3, observations: UP, override: { replicas: 7, reason: 'load test' } }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['scale_up', 7, 'override']);
    assert.match(d.reason, /^override to 7: load test; the engine would go to 5$/);
    assert.equal(d.state.last_scale_up_at, NOW);
    assert.equal(decide(input({ service: s, current: 3, observations: UP, override: { replicas: 70 } })).target_replicas, 10);
    assert.equal(decide(input({ service: s, current: 3, observations: UP, override: { replicas: 70, force: true } })).target_replicas, 70);
  });

  it('pause wins over override', () => {
    const d = decide(input({ service: s, current: 3, observations: UP, paused: true, override: { replicas: 7 } }));
    assert.deepEqual([d.target_replicas, d.limited_by], [3, 'paused']);
  });

  it('dry_run: the decision is computed, nothing counts as applied', () => {
    const dry = service({ strategy: 'rules', rules, dry_run: true, cooldown: { up: 300, down: 300 } });
    const d = decide(input({ service: dry, current: 3, observations: UP }));
    assert.deepEqual([d.action, d.target_replicas], ['scale_up', 5]);
    assert.equal(d.details.applied, false);
    assert.match(d.reason, /dry run: not applied/);
    assert.equal(d.state.last_scale_up_at, null);
    // The next dry-run decision is not held by a cooldown that never started.
    assert.equal(decide(input({ service: dry, current: 3, observations: UP, now: NOW + 10, state: d.state })).action, 'scale_up');
  });
});

describe('engine state stays bounded and exact', () => {
  it('recommendations: dominance pruning keeps every window answer', () => {
    let recs: { at: number; replicas: number }[] = [];
    const all: { at: number; replicas: number }[] = [];
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const replicas = seed % 9;
      const now = NOW + i * 3;
      for (const [up, down] of [[0, 0], [30, 0], [0, 300], [120, 600], [600, 600]] as const) {
        const a = stabilizeRecommendation(recs, now, 4, replicas, up, down);
        const b = stabilizeRecommendation(all.filter((r) => r.at > now - 600), now, 4, replicas, up, down);
        assert.deepEqual(a, b);
      }
      recs = recordRecommendation(recs, now, replicas, 600);
      all.push({ at: now, replicas });
      assert.ok(recs.length <= MAX_RECOMMENDATIONS);
    }
  });

  it('scale events: merged past the cap, never under-counted', () => {
    let events: { at: number; delta: number }[] = [];
    for (let i = 0; i < 500; i++) events = recordScaleEvent(events, NOW + i * 0.01, i % 3 === 0 ? -1 : 1, 1800);
    assert.ok(events.length <= MAX_SCALE_EVENTS);
    const up = events.filter((e) => e.delta > 0).reduce((a, e) => a + e.delta, 0);
    const down = events.filter((e) => e.delta < 0).reduce((a, e) => a - e.delta, 0);
    assert.equal(up + down, 500);
  });

  it('unknown state keys are dropped; a missing state means no history', () => {
    const s = service({ strategy: 'rules', rules });
    const d = decide(input({ service: s, current: 3, observations: UP }));
    assert.deepEqual(Object.keys(d.state).sort(), ['last_scale_down_at', 'last_scale_up_at', 'recommendations', 'scale_events']);
  });
});
