// Folding identical consecutive decisions into one history entry (CONTRACT §6): what folds, what
// never does, and that a fold is exact (first and last time, count, latest observations).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CheckResult } from '../../src/activities/scaler-activities';
import { checkEntry, decisionKey, historyWithWatch, needsApply, recordEntry, watchIsNews, withWatchProgress } from '../../src/workflows/history-fold';
import { iso, timedEntry, type HistoryEntry } from '../../src/workflows/scaler-state';

const hold = (at: number, backlog = 0, o: Partial<HistoryEntry> = {}): HistoryEntry => ({
  at, action: 'hold', from: 2, to: 2, reason: 'no rule holds', limited_by: null, observations: { 'queue.backlog': backlog }, details: {}, applied: false, ...o,
});

describe('history fold', () => {
  it('folds identical decisions: first at, last_at, count, latest observations', () => {
    let h: HistoryEntry[] = [];
    h = recordEntry(h, hold(10, 1));
    h = recordEntry(h, hold(12, 2));
    h = recordEntry(h, { ...hold(14, 3), checks: 3, last_at: 18 });
    assert.deepEqual(h, [{ ...hold(10, 3), checks: 5, last_at: 18 }]);
  });

  it('never folds a different decision, different errors, or an applied change', () => {
    let h: HistoryEntry[] = [hold(10)];
    h = recordEntry(h, hold(12, 0, { reason: 'other' }));
    h = recordEntry(h, hold(14, 0, { reason: 'other', errors: ['queue: down'] }));
    h = recordEntry(h, hold(16, 0, { reason: 'other', errors: ['queue: down'] }));
    const up = { ...hold(18), action: 'scale_up' as const, to: 4, applied: true };
    h = recordEntry(h, up);
    h = recordEntry(h, { ...up, at: 20 });
    assert.deepEqual(h.map((e) => [e.at, e.checks ?? 1]), [[10, 1], [12, 1], [14, 2], [18, 1], [20, 1]]);
  });

  it('folds holds whose reasons differ only in the figures they quote, keeping the latest reason', () => {
    let h: HistoryEntry[] = [];
    h = recordEntry(h, hold(10, 1, { reason: 'no rule holds (queue.backlog 37)' }));
    h = recordEntry(h, hold(12, 2, { reason: 'no rule holds (queue.backlog 41.5)' }));
    h = recordEntry(h, hold(14, 3, { reason: 'no rule holds (queue.backlog 2e+3)' }));
    assert.equal(h.length, 1);
    assert.equal(h[0]?.checks, 3);
    assert.equal(h[0]?.reason, 'no rule holds (queue.backlog 2e+3)');
    h = recordEntry(h, hold(16, 4, { reason: 'no rule holds (cpu.avg_pct 37)' }));
    assert.equal(h.length, 2, 'another metric named is another decision');
  });

  it('keeps the newest `limit` entries', () => {
    let h: HistoryEntry[] = [];
    for (let i = 0; i < 6; i++) h = recordEntry(h, hold(i, 0, { reason: i % 2 ? 'odd' : 'even' }), 4);
    assert.deepEqual(h.map((e) => e.at), [2, 3, 4, 5]);
  });

  it('turns a check into its entry; the key ignores observations and details', () => {
    const base: CheckResult = { observations: { 'queue.backlog': 3 }, queue_state: null, failures: [], replicas: null, decision: null, metric_failures: 1, finished_at: 5 };
    const unknown = checkEntry(5, base, 3);
    assert.deepEqual([unknown.action, unknown.from, unknown.to, unknown.limited_by], ['hold', 3, 3, 'missing_metrics']);
    const failed = checkEntry(5, { ...base, failures: [{ source: 'queue', error: 'down', configuration: false }] }, 3);
    assert.deepEqual(failed.errors, ['queue: down']);
    assert.notEqual(decisionKey(unknown), decisionKey(failed));
    assert.equal(decisionKey(hold(1, 5)), decisionKey(hold(2, 9, { details: { x: 1 } })));
  });

  it('a change is to apply unless paused or in dry-run', () => {
    const decision = { action: 'scale_up' as const, current_replicas: 2, target_replicas: 4, reason: 'r', limited_by: null, details: {}, state: { recommendations: [], scale_events: [], last_scale_up_at: null, last_scale_down_at: null } };
    const c: CheckResult = { observations: {}, queue_state: null, failures: [], replicas: 2, decision, metric_failures: 0, finished_at: 1 };
    assert.deepEqual([needsApply(c, false, false), needsApply(c, true, false), needsApply(c, false, true)], [true, false, false]);
    assert.equal(needsApply({ ...c, decision: { ...decision, target_replicas: 2 } }, false, false), false);
  });

  it('a status brought up to a running watch\'s heartbeat counts its folded checks into the last decision', () => {
    const decision = { action: 'hold' as const, current_replicas: 2, target_replicas: 2, reason: 'no rule holds', limited_by: null, details: {}, state: { recommendations: [], scale_events: [], last_scale_up_at: null, last_scale_down_at: null } };
    const result: CheckResult = { observations: { 'queue.backlog': 7 }, queue_state: null, failures: [], replicas: 2, decision, metric_failures: 0, finished_at: 40 };
    const last = { ...hold(10), checks: 3, last_at: 14 };
    const status = { checks: 3, last_check_at: 14, last_check_at_iso: iso(14), next_check_at: 16, next_check_at_iso: iso(16), last_decision: timedEntry(last) };
    const watch = { checks: [{ at: 16, last_at: 40, checks: 13, result }], next_check_at: 42, base_checks: 3 };
    const now = withWatchProgress(status, watch);
    // Every time comes with its ISO form, derived from it (the folded entry's too).
    assert.deepEqual(now, {
      checks: 16,
      last_check_at: 40,
      last_check_at_iso: iso(40),
      next_check_at: 42,
      next_check_at_iso: iso(42),
      last_decision: { at_iso: iso(10), last_at_iso: iso(40), ...hold(10, 7), checks: 16, last_at: 40 },
    });
    assert.deepEqual(withWatchProgress(status, { checks: [], next_check_at: null, base_checks: 3 }), status);
    const hist = [hold(1, 0, { reason: 'older' }), last];
    assert.deepEqual(historyWithWatch(hist, 3, watch), [timedEntry(hist[0]!), { at_iso: iso(10), last_at_iso: iso(40), ...hold(10, 7), checks: 16, last_at: 40 }]);
  });

  it('a watch the workflow has already recorded (status and heartbeat read at two moments) is not counted again', () => {
    const decision = { action: 'hold' as const, current_replicas: 2, target_replicas: 2, reason: 'no rule holds', limited_by: null, details: {}, state: { recommendations: [], scale_events: [], last_scale_up_at: null, last_scale_down_at: null } };
    const result: CheckResult = { observations: {}, queue_state: null, failures: [], replicas: 2, decision, metric_failures: 0, finished_at: 40 };
    // The watch started when the workflow had 3 checks; the status already holds its 13 (16).
    const recorded = { checks: 16, last_check_at: 40, last_check_at_iso: iso(40), next_check_at: 42, next_check_at_iso: iso(42), last_decision: { ...hold(10), checks: 16, last_at: 40, at_iso: iso(10) } };
    const watch = { checks: [{ at: 16, last_at: 40, checks: 13, result }], next_check_at: 42, base_checks: 3 };
    assert.deepEqual(withWatchProgress(recorded, watch), recorded);
    assert.equal(watchIsNews(16, watch), false);
    const hist = [{ ...hold(10), checks: 16, last_at: 40 }];
    assert.deepEqual(historyWithWatch(hist, 16, watch), hist.map(timedEntry));
    // A heartbeat of a worker from before base_checks cannot be placed: left out, never guessed.
    assert.equal(watchIsNews(3, { checks: [], next_check_at: null }), false);
  });
});
