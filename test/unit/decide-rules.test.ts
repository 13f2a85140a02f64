// docktor's rules semantics (issue 3, CONTRACT §2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compare } from '../../src/decide/conditions';
import { decide } from '../../src/decide/index';
import { input, service } from './decide-fixtures';

const rules = {
  scale_up_when: [
    { metric: 'queue.backlog', op: '>' as const, value: 1000 },
    { metric: 'cpu.avg_pct', op: '>=' as const, value: 80 },
  ],
  scale_down_when: [
    { metric: 'queue.backlog', op: '<=' as const, value: 50 },
    { metric: 'cpu.avg_pct', op: '<' as const, value: 20 },
  ],
  step: { up: 2, down: 1 },
};
const s = service({ strategy: 'rules', rules });

describe('rules', () => {
  it('scales up by step.up when ANY scale_up_when holds, naming the metric and threshold', () => {
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 2400, 'cpu.avg_pct': 10 } }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['scale_up', 5, null]);
    assert.equal(d.reason, 'queue.backlog 2400 > 1000');
  });

  it('joins several matches with " | "', () => {
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 2400, 'cpu.avg_pct': 82.5 } }));
    assert.equal(d.reason, 'queue.backlog 2400 > 1000 | cpu.avg_pct 82.5 >= 80');
  });

  it('scales down by step.down only when ALL scale_down_when hold', () => {
    const all = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 10, 'cpu.avg_pct': 5 } }));
    assert.deepEqual([all.action, all.target_replicas], ['scale_down', 2]);
    assert.equal(all.reason, 'queue.backlog 10 <= 50 | cpu.avg_pct 5 < 20');
    const some = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 10, 'cpu.avg_pct': 50 } }));
    assert.deepEqual([some.action, some.target_replicas], ['hold', 3]);
    assert.match(some.reason, /^no rule holds \(queue\.backlog 10, cpu\.avg_pct 50\)$/);
  });

  it('an empty scale_down_when never scales down', () => {
    const up = service({ strategy: 'rules', rules: { scale_up_when: rules.scale_up_when } });
    const d = decide(input({ service: up, current: 3, observations: { 'queue.backlog': 0, 'cpu.avg_pct': 0 } }));
    assert.deepEqual([d.action, d.target_replicas], ['hold', 3]);
  });

  it('a condition on a missing metric never holds', () => {
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 10 } }));
    assert.equal(d.action, 'hold');
    assert.match(d.reason, /cpu\.avg_pct missing/);
    const up = decide(input({ service: s, current: 3, observations: { 'cpu.avg_pct': 90 } }));
    assert.deepEqual([up.action, up.target_replicas], ['scale_up', 5]);
  });

  it('no scale-down while a metric an up-condition reads is missing', () => {
    const downOnBacklog = service({
      strategy: 'rules',
      rules: { scale_up_when: [{ metric: 'cpu.avg_pct', op: '>', value: 80 }], scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 50 }] },
    });
    const d = decide(input({ service: downOnBacklog, current: 3, observations: { 'queue.backlog': 0 } }));
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['hold', 3, 'missing_metrics']);
    assert.match(d.reason, /no scale-down to 2: cpu\.avg_pct missing/);
  });

  it('below min goes to min, above max to max, whatever the rules say', () => {
    const low = decide(input({ service: service({ min_replicas: 2, strategy: 'rules', rules }), current: 0, observations: { 'queue.backlog': 0, 'cpu.avg_pct': 0 } }));
    assert.deepEqual([low.action, low.target_replicas, low.limited_by], ['scale_up', 2, 'min_replicas']);
    const high = decide(input({ service: s, current: 14, observations: { 'queue.backlog': 5000 } }));
    assert.deepEqual([high.action, high.target_replicas, high.limited_by], ['scale_down', 10, 'max_replicas']);
  });

  it('a step past max stops at max', () => {
    const d = decide(input({ service: s, current: 9, observations: { 'queue.backlog': 5000 } }));
    assert.deepEqual([d.target_replicas, d.limited_by], [10, 'max_replicas']);
    assert.match(d.reason, /capped at max_replicas 10 \(wanted 11\)/);
  });

  it('a step past min stops at min', () => {
    const d = decide(input({ service: service({ min_replicas: 1, strategy: 'rules', rules: { ...rules, step: { up: 1, down: 5 } } }), current: 3, observations: { 'queue.backlog': 0, 'cpu.avg_pct': 0 } }));
    assert.deepEqual([d.target_replicas, d.limited_by], [1, 'min_replicas']);
  });

  it('operators', () => {
    assert.equal(compare(2, '>', 1), true);
    assert.equal(compare(1, '>', 1), false);
    assert.equal(compare(1, '>=', 1), true);
    assert.equal(compare(0, '<', 1), true);
    assert.equal(compare(1, '<', 1), false);
    assert.equal(compare(1, '<=', 1), true);
    assert.equal(compare(1, '==', 1), true);
    assert.equal(compare(1, '==', 1.5), false);
    assert.equal(compare(1, '!=', 1.5), true);
    assert.equal(compare(1, '!=', 1), false);
  });
});
