import assert from 'node:assert/strict';
import { test } from 'node:test';
import { numberAt } from '../../src/sources/external/value-path';

test('numberAt: dotted paths through objects and arrays; numeric strings; the answer itself', () => {
  const doc = { queue: { pending: 42, quoted: '7.5' }, items: [{ count: 3 }] };
  assert.deepEqual(numberAt(doc, 'queue.pending'), { ok: true, value: 42 });
  assert.deepEqual(numberAt(doc, 'queue.quoted'), { ok: true, value: 7.5 });
  assert.deepEqual(numberAt(doc, 'items.0.count'), { ok: true, value: 3 });
  assert.deepEqual(numberAt(12, ''), { ok: true, value: 12 });
});

test('numberAt: a missing path or a non-number says where and what came back', () => {
  const doc = { queue: { pending: null, name: 'jobs' }, items: [] };
  assert.deepEqual(numberAt(doc, 'queue.depth'), { ok: false, problem: "'queue.depth' is missing (keys there: pending, name)" });
  assert.deepEqual(numberAt(doc, 'queue.pending'), { ok: false, problem: "'queue.pending' is null, not a number" });
  assert.deepEqual(numberAt(doc, 'queue.name'), { ok: false, problem: `'queue.name' is the string "jobs", not a number` });
  assert.deepEqual(numberAt(doc, 'items.0'), { ok: false, problem: "'items.0' is missing: the array has 0 element(s)" });
  assert.deepEqual(numberAt(doc, 'queue.name.x'), { ok: false, problem: "'queue.name.x' is missing: 'queue.name' is the string \"jobs\", not an object" });
  assert.equal(numberAt({ v: Infinity }, 'v').ok, false);
});
