// The chaos soak's checkers (bench/chaos/invariants.ts, ledger.ts) on made-up lines and histories:
// each must report what it exists to catch, and nothing on a clean run.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkApplies, checkCounts, parseReplicaEvent, type ReplicaEvent } from '../../bench/chaos/invariants';
import { tally } from '../../bench/chaos/ledger';
import { Violations } from '../../bench/chaos/violations';
import type { HistoryEntry } from '../../src/model/scaler-state';

const entry = (at: number, from: number, to: number, applied = true): HistoryEntry => ({
  at,
  action: to > from ? 'scale_up' : to < from ? 'scale_down' : 'hold',
  from,
  to,
  reason: '',
  limited_by: null,
  observations: {},
  details: {},
  applied,
});

const ev = (at: number, type: 'started' | 'stopped', seq: number, worker = 'worker1'): ReplicaEvent => ({ at, worker, type, index: 1, pid: 100 + at, seq, restart: false });

describe('chaos checkers', () => {
  it('reads seq from a worker line', () => {
    const e = parseReplicaEvent({ at: 5, source: 'worker2', text: 'docktor process p-work-3: stopped {"index":3,"pid":42,"how":"pid 42, exit 0 after SIGTERM","seq":1796604544561}' });
    assert.deepEqual(e, { at: 5, worker: 'worker2', type: 'stopped', index: 3, pid: 42, seq: 1796604544561, restart: false });
    assert.equal(parseReplicaEvent({ at: 5, source: 'worker1', text: 'docktor process p-work-3: exited {"index":3}' }), undefined);
  });

  it('passes applies that follow the decisions in order', () => {
    const v = new Violations(() => undefined);
    const history = [entry(1, 1, 3), entry(3, 3, 3, false), entry(5, 3, 2)];
    checkApplies([ev(10, 'started', 100), ev(11, 'started', 100), ev(20, 'stopped', 200)], history, v);
    assert.deepEqual(v.list, []);
  });

  it('catches a stale apply acting after its successor', () => {
    const v = new Violations(() => undefined);
    checkApplies([ev(10, 'started', 100), ev(20, 'stopped', 200), ev(30, 'started', 100, 'worker2')], [entry(1, 1, 2), entry(5, 2, 1)], v);
    assert.equal(v.list.length, 1, JSON.stringify(v.list));
    assert.match(v.list[0]?.what ?? '', /stale apply: worker2 started .* seq 100 after seq 200/);
  });

  it('catches an apply with no decision left (applied twice)', () => {
    const v = new Violations(() => undefined);
    checkApplies([ev(10, 'started', 100), ev(20, 'started', 200)], [entry(1, 1, 2)], v);
    assert.equal(v.list.length, 1);
    assert.match(v.list[0]?.what ?? '', /apply seq 200 .* no decision left/);
  });

  it('catches status counts that do not add up to the history', () => {
    const v = new Violations(() => undefined);
    checkCounts({ checks: 4, scales_applied: 2 }, [{ ...entry(1, 1, 2), checks: 2 }, entry(3, 2, 2, false)], 500, v);
    assert.deepEqual(v.list.map((x) => x.invariant), [5, 4]);
  });

  it('counts lost messages and duplicates, and which duplicates a SIGKILL explains', () => {
    const t = tally(new Set(['a', 'b', 'c']), { seen: new Map([['a', 2], ['b', 3]]), twice: new Map([['a', [1, 2]], ['b', [3, 4, 4]]]), lines: 5 }, new Set([1]));
    assert.deepEqual(t, { published: 3, processed: 2, lost: ['c'], duplicates: 3, duplicatesAfterSigkill: 1 });
  });
});
