// The `status` query and the Temporal UI's current details, as an operator reads them: state
// first and config last, ISO-8601 beside every Unix time, `paused` a boolean, failures with when
// they happened and cleared, and absolute times only (a "40s ago" in a stored text goes stale).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detailsMarkdown, initialState, makePause, noteFailures, statusOf, type ScalerState } from '../../src/workflows/scaler-state';
import { NOW, service } from './decide-fixtures';

const s = service({ rules: { scale_up_when: [], scale_down_when: [] } });
const iso = (t: number) => new Date(t * 1000).toISOString();

function state(o: Partial<ScalerState> = {}): ScalerState {
  return { ...initialState(), replicas: 3, last_check_at: NOW + 0.5, next_check_at: NOW + 10.5, checks: 4, ...o };
}

describe('status', () => {
  it('state first, config last', () => {
    const keys = Object.keys(statusOf({ project: 'shop', service: s }, state()));
    assert.deepEqual(keys.slice(0, 4), ['service', 'project', 'replicas', 'paused']);
    assert.equal(keys[keys.length - 1], 'config');
  });

  it('ISO-8601 beside each Unix time; paused is false, not null, when not paused', () => {
    const st = statusOf({ project: 'shop', service: s }, state());
    assert.equal(st.paused, false);
    assert.equal(st.pause, null);
    assert.equal(st.last_check_at_iso, iso(NOW + 0.5));
    assert.equal(st.next_check_at_iso, iso(NOW + 10.5));
    const paused = statusOf({ project: 'shop', service: s }, state({ paused: makePause({ reason: 'deploy' }, NOW) }));
    assert.deepEqual([paused.paused, paused.pause], [true, { since: NOW, reason: 'deploy', since_iso: iso(NOW) }]);
  });

  it('failures: the last error with when it happened, and when it cleared', () => {
    let f = noteFailures(initialState().failures, ['queue: stream not found'], NOW);
    assert.deepEqual([f.total, f.last_error, f.last_error_at, f.cleared_at], [1, 'queue: stream not found', NOW, null]);
    f = noteFailures(f, [], NOW + 10);
    assert.equal(f.cleared_at, NOW + 10);
    assert.equal(noteFailures(f, [], NOW + 20).cleared_at, NOW + 10, 'cleared once, at the first good check');
    const st = statusOf({ project: 'shop', service: s }, state({ failures: f }));
    assert.deepEqual([st.failures.last_error_at_iso, st.failures.cleared_at_iso], [iso(NOW), iso(NOW + 10)]);
  });

  it('current details: absolute times, no relative ones', () => {
    const history = [{ at: NOW, action: 'scale_up' as const, from: 1, to: 3, reason: 'queue.backlog 500 > 100', limited_by: null, observations: {}, details: {}, applied: true }];
    const md = detailsMarkdown(statusOf({ project: 'shop', service: s }, state({ history, paused: makePause({}, NOW + 1) })));
    assert.match(md, new RegExp(`last decision at ${iso(NOW)}: \`scale_up\` 1→3`));
    assert.match(md, new RegExp(`next check at ${iso(NOW + 10.5)}`));
    assert.match(md, new RegExp(`\\*\\*paused\\*\\* since ${iso(NOW + 1)}`));
    assert.doesNotMatch(md, /\bago\b/);
  });

  it('reads first what an operator looks for: ISO times before observations, an apply in progress, as of when', () => {
    const history = [{ at: NOW, action: 'hold' as const, from: 3, to: 3, reason: 'no rule holds', limited_by: null, observations: { 'queue.backlog': 5 }, details: { x: 1 }, applied: false, checks: 4, last_at: NOW + 30 }];
    const st = statusOf({ project: 'shop', service: s }, state({ history }), { now: NOW + 31, applying: { from: 3, to: 5, since: NOW + 30.5 } });
    assert.deepEqual(Object.keys(st.last_decision ?? {}).slice(0, 3), ['at_iso', 'last_at_iso', 'at']);
    assert.equal(st.last_decision?.last_at_iso, iso(NOW + 30));
    assert.deepEqual(st.applying, { from: 3, to: 5, since: NOW + 30.5, since_iso: iso(NOW + 30.5) });
    assert.equal(st.as_of_iso, iso(NOW + 31));
    const keys = Object.keys(st);
    assert.ok(keys.indexOf('last_check_at_iso') < keys.indexOf('last_decision'), 'the times before the (long) last decision');
    const md = detailsMarkdown(st).split('\n\n');
    assert.match(md[0] ?? '', /^\*\*3 replica\(s\)\*\* \(\d+\.\.\d+\), active, applying 3→5 since /);
    assert.match(md[1] ?? '', new RegExp(`^next check at ${iso(NOW + 10.5)}; 4 check\\(s\\) as of ${iso(NOW + 31)}`));
    assert.match(md[2] ?? '', /`hold` 3→3 \(×4\): no rule holds$/);
    // A long reason is cut so the panel shows it whole.
    const long = statusOf({ project: 'shop', service: s }, state({ history: [{ ...history[0]!, reason: 'x'.repeat(400) }] }));
    assert.ok((detailsMarkdown(long).split('\n\n')[2] ?? '').length < 260);
  });
});
