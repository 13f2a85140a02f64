// The `status` query and the Temporal UI's current details, as an operator reads them: state
// first and config last, ISO-8601 beside every Unix time, `paused` a boolean, failures with when
// they happened and cleared, and absolute times only (a "40s ago" in a stored text goes stale).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detailsMarkdown, initialState, makePause, noteFailures, statusOf, type ScalerState } from '../../src/model/scaler-state';
import { staticDetailsMarkdown } from '../../src/control/static-details';
import { NOW, service } from './decide-fixtures';

const s = service({ rules: { scale_up_when: [], scale_down_when: [] } });
const iso = (t: number) => new Date(t * 1000).toISOString();
/** To the second, cut as the CLI cuts it. */
const sec = (t: number) => iso(Math.floor(t)).replace('.000Z', 'Z');
/** The lines of a panel's markdown (hard breaks), without the blank last one. */
const lines = (md: string) => md.split('  \n').slice(0, -1);

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

  it('current details: absolute times to the second, no relative ones', () => {
    const history = [{ at: NOW, action: 'scale_up' as const, from: 1, to: 3, reason: 'queue.backlog 500 > 100', limited_by: null, observations: {}, details: {}, applied: true }];
    const md = detailsMarkdown(statusOf({ project: 'shop', service: s }, state({ history, paused: makePause({}, NOW + 1) })));
    assert.match(md, new RegExp(`last decision \`scale_up\` 1→3, ${sec(NOW)}: queue`));
    assert.match(md, new RegExp(`next check at ${sec(NOW + 10.5)}`));
    assert.match(md, new RegExp(`\\*\\*paused\\*\\* since ${sec(NOW + 1)}`));
    assert.doesNotMatch(md, /\bago\b/);
  });

  it('reads first what an operator looks for: ISO times before observations, an apply in progress, as of when', () => {
    const history = [{ at: NOW, action: 'hold' as const, from: 3, to: 3, reason: 'no rule holds', limited_by: null, observations: { 'queue.backlog': 5 }, details: { x: 1 }, applied: false, checks: 4, last_at: NOW + 30 }];
    const st = statusOf({ project: 'shop', service: s }, state({ history, next_check_at: NOW + 35.5 }), { now: NOW + 31, applying: { from: 3, to: 5, since: NOW + 30.5 } });
    assert.deepEqual(Object.keys(st.last_decision ?? {}).slice(0, 3), ['at_iso', 'last_at_iso', 'at']);
    assert.equal(st.last_decision?.last_at_iso, iso(NOW + 30));
    assert.deepEqual(st.applying, { from: 3, to: 5, since: NOW + 30.5, since_iso: iso(NOW + 30.5) });
    assert.equal(st.as_of_iso, iso(NOW + 31));
    const keys = Object.keys(st);
    assert.ok(keys.indexOf('last_check_at_iso') < keys.indexOf('last_decision'), 'the times before the (long) last decision');
    const md = lines(detailsMarkdown(st));
    assert.match(md[0] ?? '', new RegExp(`^\\*\\*3 replica\\(s\\)\\*\\* \\(\\d+\\.\\.\\d+\\), active, applying 3→5 since ${sec(NOW + 30.5)}$`));
    assert.equal(md[1], `4 check(s) as of ${sec(NOW + 31)}; next check at ${sec(NOW + 35.5)}`);
    // A folded decision: its first and last check (the last without its date on the same day), and how many.
    assert.equal(md[2], `last decision \`hold\` 3→3 ×4, ${sec(NOW)}–${sec(NOW + 30).slice(11)}: no rule holds`);
    // A long reason is cut to about two lines of the panel.
    const long = statusOf({ project: 'shop', service: s }, state({ history: [{ ...history[0]!, reason: 'x'.repeat(400) }] }));
    assert.ok((lines(detailsMarkdown(long))[2] ?? '').length < 190);
  });

  it('current details show whole in the UI: one paragraph of short lines and a blank line last', () => {
    // Temporal UI 2.42 sizes the panel without the paragraph's margins (30 px, measured with
    // chromium): with a blank last line to take them, no line of the text is cut off.
    const history = [{ at: NOW, action: 'hold' as const, from: 3, to: 3, reason: 'queue.backlog 7993 > 300 | queue.oldest_age_s 127.9 > 30; capped at max_replicas 8 (wanted 10)', limited_by: 'max_replicas', observations: {}, details: {}, applied: false }];
    const md = detailsMarkdown(statusOf({ project: 'shop', service: s }, state({ history }), { now: NOW + 31, applying: null }));
    assert.doesNotMatch(md, /\n\n/, 'no second paragraph');
    const all = md.split('  \n');
    assert.equal(all[all.length - 1], '\u00a0');
    // Replicas and mode, as of when, the decision: no more than fit the panel's 100 px at ~85 characters a line.
    assert.equal(all.length - 1, 3);
    assert.ok(all.slice(0, 2).every((l) => l.length <= 80), md);
    assert.ok((all[2] ?? '').length <= 190, md);
  });
});

describe('static details', () => {
  it('say what the service is, in short lines of one paragraph', () => {
    const svc = service({ name: 'consumer', max_replicas: 8, check_interval: 5, queue: { kind: 'nats', stream: 'EVENTS', consumer: 'WEB_WORKERS' }, runtime: { kind: 'process', command: ['node', 'consumer.js'] }, rules: { scale_up_when: [], scale_down_when: [] } });
    const md = staticDetailsMarkdown('shop', svc);
    const all = md.split('  \n');
    assert.deepEqual(all, [
      '**shop/consumer**: 1..8 replicas, rules strategy, a check every 5 s',
      'queue: nats, stream EVENTS, consumer WEB_WORKERS',
      'runtime: process `node consumer.js`',
      'more: queries `status`, `history`; `docktor status`, `docktor explain`',
      '\u00a0',
    ]);
    assert.ok(all.every((l) => l.length <= 80));
  });
});
