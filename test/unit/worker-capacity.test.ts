// When a worker's activity slots are (nearly) all taken, it says so, at most once a minute.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CAPACITY_WARN_EVERY_MS, FULL_SHARE, ROOMY, capacityNotice } from '../../src/worker-capacity';

describe('capacityNotice', () => {
  it('warns once the slots in use reach the full share, again only a minute later, and says when there is room again', () => {
    const max = 2000;
    const full = Math.floor(max * FULL_SHARE);
    assert.deepEqual(capacityNotice(full - 1, max, ROOMY, 0), { state: { full: false, warnedAt: -Infinity } }, 'below the share: nothing');
    const first = capacityNotice(full, max, ROOMY, 1_000);
    assert.match(first.warn ?? '', new RegExp(`nearly full: ${full} of ${max} activity slots`));
    const soon = capacityNotice(max, max, first.state, 1_000 + CAPACITY_WARN_EVERY_MS - 1);
    assert.equal(soon.warn, undefined, 'rate-limited while it stays full');
    const later = capacityNotice(max, max, soon.state, 1_000 + CAPACITY_WARN_EVERY_MS);
    assert.match(later.warn ?? '', /2000 of 2000/);
    const room = capacityNotice(10, max, later.state, 1_000 + CAPACITY_WARN_EVERY_MS + 5);
    assert.match(room.info ?? '', /room again: 10 of 2000/);
    assert.equal(capacityNotice(10, max, room.state, 1_000 + CAPACITY_WARN_EVERY_MS + 10).info, undefined, 'said once');
  });

  it('a worker of one slot is full with one', () => {
    assert.ok(capacityNotice(1, 1, ROOMY, 0).warn);
    assert.equal(capacityNotice(0, 1, ROOMY, 0).warn, undefined);
  });
});
