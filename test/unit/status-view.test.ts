// `docktor status` and `docktor explain` as text: times in ISO-8601 UTC, and status lines that fit
// 100 columns (issue 26: status lines were about 215 characters, explain times had no date or zone).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoSpan, isoTime, wrap } from '../../src/cli/format';
import { EXPLAIN_WIDTH, renderExplain, type ExplainRow } from '../../src/cli/explain-view';
import { renderStatus, STATUS_WIDTH, type DiscoveryRow, type StatusRow } from '../../src/cli/status-view';

const NOW = Date.UTC(2026, 11, 7, 1, 2, 3) / 1000;

const REASON =
  'predictive: arrivals 41.2/s (trend +3.1/s over 120s), service time 0.84s (p90 1.12s), backlog 5,210 drains in 26s at 9 replicas; ' +
  'pickup p95 would be 31.5s > sla.max_pickup_seconds 30 → 10 replicas';

const FAILING = 'queue: nats://127.0.0.1:4222: stream ORDERS not found (services[0].queue.stream): create it or fix the name';

const worker: StatusRow = {
  service: 'worker',
  running: true,
  replicas: 9,
  min_replicas: 1,
  max_replicas: 40,
  strategy: 'predictive',
  dry_run: false,
  next_check_at: NOW + 4,
  pause: null,
  override: null,
  last_decision: { at: NOW - 1, action: 'scale_up', from: 9, to: 10, reason: REASON },
  failures: { consecutive: 2, last_error: FAILING },
  events: { sinks: { 'http-hooks': { dropped: 3, last_error: { at_iso: '2026-12-07T01:01:00.000Z', message: 'POST https://hooks.example.com/docktor/very/long/path/that/goes/on: 503 Service Unavailable', cleared_at: null } } } },
};

const paused: StatusRow = {
  ...worker,
  service: 'mailer-with-a-rather-long-name',
  discovered: { discovery: 'lists' },
  pause: { reason: 'maintenance window for the mail relay, back after the provider confirms the fix' },
  failures: { consecutive: 0 },
  events: { sinks: {} },
};

const pinned: StatusRow = { ...worker, service: 'web', strategy: 'rules', pause: null, override: { replicas: 3, until: NOW + 3600, reason: 'load test' }, failures: { consecutive: 0 }, last_decision: null };

const discovery: DiscoveryRow = {
  key: 'lists',
  kind: 'redis',
  match: 'jobs:*',
  matched: 2,
  last_listed_at: NOW - 30,
  last_error: null,
  grace_period: 300,
  scalers: [{ queue: 'jobs:a', missing_since: NOW - 60 }],
  skipped: [{ queue: 'jobs:taken', reason: 'a service in services: scales this queue (name it in discover.match to exclude it, or remove the service)' }],
};

describe('docktor status as text', () => {
  const text = renderStatus([worker, paused, pinned, { service: 'idle', running: false }], [discovery], NOW);
  const lines = text.trimEnd().split('\n');

  it(`fits every line in ${STATUS_WIDTH} columns and loses no word`, () => {
    for (const l of lines) assert.ok(l.length <= STATUS_WIDTH, `${l.length} columns: ${l}`);
    const words = (s: string) => s.split(/\s+/).filter(Boolean);
    const all = words(text).join(' ');
    for (const part of [REASON, FAILING, 'maintenance window for the mail relay, back after the provider confirms the fix']) {
      assert.ok(all.includes(words(part).join(' ')), `missing: ${part}`);
    }
  });

  it('keeps a short row per service and puts the rest on indented lines under it', () => {
    assert.match(lines[0] ?? '', /^SERVICE\s+REPLICAS\s+STRATEGY\s+MODE\s+NEXT CHECK$/);
    assert.match(lines[1] ?? '', /^worker\s+9 \(1\.\.40\)\s+predictive\s+active\s+in 4s$/);
    assert.match(lines[2] ?? '', /^ {2}last decision 2026-12-07T01:02:02Z: scale_up 9→10: predictive: arrivals/);
    assert.match(lines[3] ?? '', /^ {4}\S/, 'a wrapped line continues two columns further in');
    assert.ok(lines.some((l) => /^ {2}metrics failing \(2 check\(s\) in a row\): queue: /.test(l)), text);
    assert.ok(lines.some((l) => /^ {2}event sink http-hooks failing \(last error at 2026-12-07T01:01:00\.000Z, 3 event\(s\) dropped\)/.test(l)), text);
    assert.ok(lines.some((l) => /^mailer-with-a-rather-long-name \[discover lists\]\s+9 \(1\.\.40\)\s+predictive\s+paused\s+in 4s$/.test(l)), text);
    assert.ok(lines.some((l) => /^ {2}paused: maintenance window/.test(l)), text);
    assert.ok(lines.some((l) => /^web\s+9 \(1\.\.40\)\s+rules\s+override 3\s+in 4s$/.test(l)), text);
    assert.ok(lines.includes('  override to 3 until 2026-12-07T02:02:03Z: load test'), text);
    assert.ok(lines.some((l) => /^idle\s+-\s+-\s+not running\s+-$/.test(l)), text);
    assert.ok(lines.includes("discover lists: 1 scaler(s) for 2 redis queue(s) matching 'jobs:*', listed 30s ago"), text);
    assert.ok(lines.includes("discover lists: queue 'jobs:a' gone since 2026-12-07T01:01:03Z; its scaler stops in 4m"), text);
  });
});

describe('a folded last decision', () => {
  it('shows its first and last check and how many, as explain does', () => {
    const folded: StatusRow = { ...pinned, override: null, last_decision: { at: NOW - 490, last_at: NOW - 5, checks: 99, action: 'hold', from: 8, to: 8, reason: 'capped at max_replicas 8' } };
    const text = renderStatus([folded], [], NOW);
    assert.match(text, /\n {2}last decision 2026-12-07T00:53:53Z–01:01:58Z: hold ×99 8→8: capped at max_replicas 8\n/);
  });
});

describe('docktor explain as text', () => {
  const entry = (o: Partial<ExplainRow>): ExplainRow => ({ service: 'consumer', at: NOW, action: 'hold', from: 8, to: 8, reason: 'no rule holds', limited_by: null, ...o });
  const rows = [
    entry({ at: NOW - 60, last_at: NOW - 5, checks: 12, reason: REASON, limited_by: 'max_replicas' }),
    entry({ action: 'scale_up', from: 3, to: 5, reason: 'queue.backlog 628 > 300' }),
  ];

  it(`fits ${EXPLAIN_WIDTH} columns and loses no word: a long reason goes on under the row`, () => {
    const text = renderExplain(rows);
    const lines = text.trimEnd().split('\n');
    for (const l of lines) assert.ok(l.length <= EXPLAIN_WIDTH, `${l.length} columns: ${l}`);
    assert.match(lines[0] ?? '', /^SERVICE\s+TIME\s+ACTION\s+FROM→TO\s+REASON$/);
    assert.match(lines[1] ?? '', /^consumer\s+2026-12-07T01:01:03Z–01:01:58Z\s+hold ×12\s+8→8\s+predictive: /);
    // The REASON column starts 64 columns in: too narrow to continue in (36 columns).
    assert.ok(lines.length > 3, 'the long reason is continued');
    assert.match(lines[2] ?? '', /^ {4}\S/);
    assert.match(lines[lines.length - 1] ?? '', /^consumer\s+2026-12-07T01:02:03Z\s+scale_up\s+3→5\s+queue\.backlog 628 > 300$/);
    const words = (t: string) => t.split(/\s+/).filter(Boolean).join(' ');
    assert.ok(words(text).includes(words(`${REASON} [max_replicas]`)));
  });

  it('continues under the REASON column when it is wide enough', () => {
    const lines = renderExplain(rows, 120).trimEnd().split('\n');
    for (const l of lines) assert.ok(l.length <= 120, `${l.length} columns: ${l}`);
    const column = (lines[0] ?? '').indexOf('REASON');
    assert.match(lines[2] ?? '', new RegExp(`^ {${column}}\\S`));
  });
});

describe('times and wrapping', () => {
  it('writes ISO-8601 UTC to the second; a span drops the end date on the same day', () => {
    assert.equal(isoTime(NOW + 0.9), '2026-12-07T01:02:03Z');
    assert.equal(isoSpan(NOW, NOW + 125), '2026-12-07T01:02:03Z–01:04:08Z');
    assert.equal(isoSpan(NOW, NOW + 86_400), '2026-12-07T01:02:03Z–2026-12-08T01:02:03Z');
  });

  it('breaks at spaces, cuts a word wider than the line, and indents what follows', () => {
    assert.deepEqual(wrap('  aaa bbb ccc', 9), ['  aaa bbb', '    ccc']);
    assert.deepEqual(wrap('x'.repeat(12), 5), ['xxxxx', '  xxx', '  xxx', '  x']);
    assert.deepEqual(wrap('short', 100), ['short']);
    assert.deepEqual(wrap('ab cd ef gh', 6, 3), ['ab cd', '   ef', '   gh']);
  });
});
