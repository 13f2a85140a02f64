// Decision input validation (CONTRACT §4, issue 3 `docktor decide`): every bad field by path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../src/decide/index';
import { parseDecisionInput } from '../../src/decide/input';
import { InputError } from '../../src/errors';

const SERVICE = {
  name: 'worker',
  min_replicas: 1,
  max_replicas: 10,
  strategy: 'rules',
  rules: {
    scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 1000 }],
    scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 50 }],
    step: { up: 2, down: 1 },
  },
};

const CONTRACT_EXAMPLE = {
  now: 1700000000,
  service: SERVICE,
  current_replicas: 3,
  observations: { 'queue.backlog': 2400, 'cpu.avg_pct': 82.5 },
  state: {
    recommendations: [{ at: 1699999940, replicas: 4 }],
    scale_events: [{ at: 1699999900, delta: 2 }],
    last_scale_up_at: 1699999900,
    last_scale_down_at: null,
  },
};

function issues(json: unknown): string[] {
  try {
    parseDecisionInput(json);
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.exitCode, 2);
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected the input to be rejected');
}

const withField = (patch: Record<string, unknown>) => ({ ...CONTRACT_EXAMPLE, ...patch });

describe('decision input', () => {
  it('accepts the CONTRACT §4 example and decides as it shows', () => {
    const d = decide(parseDecisionInput(CONTRACT_EXAMPLE));
    assert.deepEqual([d.action, d.current_replicas, d.target_replicas, d.reason, d.limited_by], ['scale_up', 3, 5, 'queue.backlog 2400 > 1000', null]);
  });

  it('state may be omitted; extra caller fields are accepted', () => {
    const { state: _state, ...rest } = CONTRACT_EXAMPLE;
    void _state;
    const parsed = parseDecisionInput({ ...rest, paused: false, override: { replicas: 2, reason: 'x' }, metric_failures: 0 });
    assert.equal(parsed.state, undefined);
    assert.equal(parsed.override?.replicas, 2);
  });

  it('min > max names the field and the fix', () => {
    assert.deepEqual(issues(withField({ service: { ...SERVICE, min_replicas: 5, max_replicas: 2 } })), ['service.max_replicas: must be >= min_replicas (5)']);
  });

  it('an unknown operator', () => {
    const bad = { ...SERVICE, rules: { scale_up_when: [{ metric: 'queue.backlog', op: '=>', value: 1 }] } };
    assert.deepEqual(issues(withField({ service: bad })), ['service.rules.scale_up_when[0].op: must be one of ">" ">=" "<" "<=" "==" "!=" (quote it in YAML)']);
  });

  it('a non-numeric observation', () => {
    assert.deepEqual(issues(withField({ observations: { 'queue.backlog': '2400' } })), ['observations.queue.backlog: must be a number, got the string "2400"']);
    assert.deepEqual(issues(withField({ observations: { 'queue.backlog': null } })), ['observations.queue.backlog: must be a number, got null']);
  });

  it('negative or fractional replicas', () => {
    assert.deepEqual(issues(withField({ current_replicas: -1 })), ['current_replicas: must be >= 0']);
    assert.deepEqual(issues(withField({ current_replicas: 1.5 })), ['current_replicas: must be a whole number, got number 1.5']);
  });

  it('a field of the wrong type, a missing field, an unknown field', () => {
    assert.deepEqual(issues(withField({ now: '2024-01-01' })), ['now: must be a number, got the string "2024-01-01"']);
    const { now: _now, ...noNow } = CONTRACT_EXAMPLE;
    void _now;
    assert.deepEqual(issues(noNow), ['now: required']);
    assert.deepEqual(issues(withField({ curent_replicas: 3 })), ['curent_replicas: unknown field (check the spelling; see `docktor config schema`)']);
  });

  it('bad state entries', () => {
    const bad = { ...CONTRACT_EXAMPLE.state, scale_events: [{ at: 'yesterday', delta: 2 }] };
    assert.deepEqual(issues(withField({ state: bad })), ['state.scale_events[0].at: must be a number, got the string "yesterday"']);
  });

  it('not an object at all', () => {
    assert.deepEqual(issues([1, 2]), [': must be a mapping, got a list']);
  });
});
