// Traffic recording (issue 29, docs/recording.md): the config, the row, the counters each source
// keeps, the store (days, torn lines, retention, the size cap), the recorder's hook in the check
// activity, and the estimators of the reader on constructed rows.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createScalerActivities } from '../../src/activities/scaler-activities';
import { durationSeconds, effectiveRecording } from '../../src/config/recording';
import { parseConfig } from '../../src/config/load';
import { ServiceSchema } from '../../src/config/service';
import { InputError, OperationError } from '../../src/errors';
import type { CheckInput } from '../../src/model/check';
import { advanceRates } from '../../src/queues/nats/rates';
import { managementRates, ManagementQueueSchema } from '../../src/queues/rabbitmq/metrics';
import { countersOf } from '../../src/recording/counters';
import { readRecordedTraffic } from '../../src/recording/recorded-traffic';
import { TrafficRecorder } from '../../src/recording/recorder';
import { checkRow, CheckRowSchema, parseRow, type CheckRow } from '../../src/recording/row';
import { dayFileName, pruneRecordings, RecordingStore, serviceRecordingDir } from '../../src/recording/store';
import { arrivalsOf, serviceTimeOf, startupDelayOf, trafficModel } from '../../src/recording/traffic-model';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-recording-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(tmp, `d${++n}`);

const FILE = '/srv/shop/docktor.yaml';
const SERVICE = `
  - name: worker
    max_replicas: 4
    rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 10 }], scale_down_when: [{ metric: queue.backlog, op: "<", value: 1 }] }
    runtime: { kind: process, command: [node, w.js] }`;

function issuesOf(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.describe().split('\n');
  }
  assert.fail('expected the config to be rejected');
}

describe('recording config', () => {
  it('merges the top level under a service, field by field, dirs relative to the file', () => {
    const c = parseConfig(`version: "1"\nrecording: { dir: rec, retention: 7d }\nservices:${SERVICE}\n    recording: { retention: 12h }\n${SERVICE.replace('worker', 'other')}\n`, FILE);
    assert.deepEqual(c.recording, { dir: '/srv/shop/rec', retention: '7d' });
    assert.deepEqual(c.services[0]!.recording, { dir: '/srv/shop/rec', retention: '12h' });
    assert.deepEqual(c.services[1]!.recording, { dir: '/srv/shop/rec', retention: '7d' });
  });

  it('discovered services carry it too', () => {
    const c = parseConfig(
      `version: "1"\nrecording: { enabled: false }\ndiscover:\n  - queue: { kind: redis, url: "redis://127.0.0.1:6379", format: list }\n    template: { max_replicas: 3, recording: { dir: rec }, rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 1 }], scale_down_when: [{ metric: queue.backlog, op: "<", value: 1 }] }, runtime: { kind: process, command: [w, "{queue}"] } }\n`,
      FILE,
    );
    assert.deepEqual(c.discover?.[0]?.template.recording, { enabled: false, dir: '/srv/shop/rec' });
  });

  it('defaults on, in the state directory, 14 days', () => {
    const c = parseConfig(`version: "1"\nservices:${SERVICE}\n`, FILE);
    assert.equal(c.services[0]!.recording, undefined);
    assert.deepEqual(effectiveRecording(c.services[0]!.recording, '/state/recordings'), { enabled: true, dir: '/state/recordings', retention: '14d', retention_s: 14 * 86400 });
    assert.equal(effectiveRecording({ enabled: false }, '/x').enabled, false);
    assert.equal(durationSeconds('1d12h'), 1.5 * 86400);
  });

  it('names the field of a bad value', () => {
    assert.deepEqual(issuesOf(`version: "1"\nrecording: { retention: two weeks }\nservices:${SERVICE}\n`), ['docktor.yaml: recording.retention: a duration like 14d, 12h']);
    assert.deepEqual(issuesOf(`version: "1"\nservices:${SERVICE}\n    recording: { enabled: yes please }\n`).length, 1);
    assert.match(issuesOf(`version: "1"\nservices:${SERVICE}\n    recording: { enabled: yes please }\n`)[0]!, /^docktor\.yaml: services\[0\]\.recording\.enabled: /);
    assert.match(issuesOf(`version: "1"\nrecording: { keep: 3 }\nservices:${SERVICE}\n`)[0]!, /recording.*keep/);
  });
});

describe('recording rows', () => {
  it('keeps numbers and source names only, short keys, rounded', () => {
    const row = checkRow({
      t: 1_700_000_000.12345,
      dt: 10.0004,
      observations: { 'queue.backlog': 12, 'queue.ack_pending': 3, 'queue.rate_in': 4.123456, 'queue.oldest_age_s': 1.234, 'replicas.current': 3, 'replicas.ready': 2, 'cpu.avg_pct': 50 },
      counters: { in: 100, out: 90, identity: 'abcd1234' },
      decision: { action: 'scale_up', current_replicas: 3, target_replicas: 5, reason: 'queue.backlog 12 > 10 (password=secret)', limited_by: null, details: {}, state: { recommendations: [], scale_events: [], last_scale_up_at: null, last_scale_down_at: null } },
      not_applied: false,
      failed_sources: ['external.jobs'],
    });
    assert.deepEqual(row, { v: 1, t: 1_700_000_000.123, dt: 10, ci: 100, co: 90, cid: 'abcd1234', ri: 4.1235, b: 12, ip: 3, age: 1.23, rc: 3, rr: 2, a: 'u', to: 5, e: ['external.jobs'] });
    assert.doesNotMatch(JSON.stringify(row), /secret|reason/);
    assert.deepEqual(parseRow(JSON.stringify(row)), row);
    for (const bad of ['{"v":1,"t":17000', '{"v":2,"t":1}', '{"v":1,"t":"x"}', 'garbage', '{"v":1,"k":"apply","t":1}']) assert.equal(parseRow(bad), null, bad);
  });

  it('checks a line by hand exactly as CheckRowSchema does', () => {
    const good: Record<string, unknown> = { v: 1, t: 1e9, dt: 1, ci: 2, co: 3, cid: 'abc', ri: 0.5, ro: 0, rs: 5, b: 1, ip: 0, age: 0.5, rc: 2, rr: 2, a: 'h', to: 2, na: 1, e: ['queue'] };
    const variants: Array<Record<string, unknown>> = [good, { v: 1, t: 5 }, { ...good, later: 'ignored' }];
    const values: unknown[] = [-1, 'x', null, NaN, Infinity, 2, [], ['x'.repeat(81)], 'u', 1.5, 'z'.repeat(17), {}];
    for (const key of Object.keys(good)) for (const value of values) variants.push({ ...good, [key]: value });
    for (const key of Object.keys(good)) {
      const { [key]: _left, ...rest } = good;
      variants.push(rest);
    }
    for (const v of variants) {
      const line = JSON.stringify(v);
      const schema = CheckRowSchema.safeParse(JSON.parse(line));
      assert.deepEqual(parseRow(line), schema.success ? schema.data : null, line);
    }
  });

  it('reads the cumulative counters of the NATS and RabbitMQ sources from their kept state', () => {
    const a = advanceRates(undefined, 'S/c', { at_ms: 1000, last_seq: 50, acked_stream_seq: 40, acked_consumer_seq: 38 }, 30);
    const b = advanceRates(a.state, 'S/c', { at_ms: 11000, last_seq: 80, acked_stream_seq: 70, acked_consumer_seq: 66 }, 30);
    const c = countersOf('nats', b.state as never);
    assert.deepEqual([c?.in, c?.out, c?.identity.length], [80, 66, 8]);
    const q = ManagementQueueSchema.parse({ name: 'tasks', vhost: '/', message_stats: { publish: 400, ack: 350 } });
    const r = managementRates(q, undefined, 1000, 5);
    assert.deepEqual(countersOf('rabbitmq', r.state), { in: 400, out: 350, identity: countersOf('rabbitmq', r.state)!.identity });
    assert.equal(countersOf('sqs', r.state), undefined);
    assert.equal(countersOf('nats', { reads: 1 }), undefined);
    assert.notEqual(countersOf('rabbitmq', managementRates(ManagementQueueSchema.parse({ name: 'other', vhost: '/', message_stats: { publish: 1 } }), undefined, 1000, 5).state)!.identity, countersOf('rabbitmq', r.state)!.identity);
  });
});

const DAY = 86400;
const T0 = Date.UTC(2026, 0, 10, 23, 59, 30) / 1000; // 30 s before midnight UTC

function check(t: number, o: Partial<CheckRow> = {}): CheckRow {
  return { v: 1, t, ...o };
}

describe('recording store', () => {
  it('writes one file per UTC day, with the seconds since the previous check, across a restart', async () => {
    const dir = freshDir();
    const target = { dir, retention_s: 14 * DAY };
    const store = new RecordingStore();
    for (const t of [T0, T0 + 10, T0 + 20]) await store.appendCheck(target, t, (prev) => check(t, prev !== undefined ? { dt: t - prev } : {}));
    // A new worker process: it finds the previous check in yesterday's file.
    const next = new RecordingStore();
    await next.appendCheck(target, T0 + 40, (prev) => check(T0 + 40, prev !== undefined ? { dt: T0 + 40 - prev } : {}));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['2026-01-10.jsonl', '2026-01-11.jsonl']);
    const rows = fs.readFileSync(path.join(dir, '2026-01-11.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CheckRow);
    assert.deepEqual(rows.map((r) => r.dt), [20]);
    assert.deepEqual(dayFileName(T0), '2026-01-10.jsonl');
  });

  it('ends a torn last line before the next row; the reader skips and counts it', async () => {
    const root = freshDir();
    const dir = serviceRecordingDir(root, 'shop', 'worker');
    const target = { dir, retention_s: 14 * DAY };
    const t = T0 + 60;
    await new RecordingStore().appendCheck(target, t, () => check(t, { ci: 0, cid: 'a' }));
    fs.appendFileSync(path.join(dir, dayFileName(t)), '{"v":1,"t":17'); // a worker died mid-write
    await new RecordingStore().appendCheck(target, t + 10, (prev) => check(t + 10, { dt: t + 10 - prev!, ci: 5, cid: 'a' }));
    fs.appendFileSync(path.join(dir, dayFileName(t)), 'not json\n');
    await new RecordingStore().appendCheck(target, t + 20, () => check(t + 20, { ci: 9, cid: 'a' }));
    const r = readRecordedTraffic({ dir: root, project: 'shop', service: 'worker' });
    assert.deepEqual([r.rows, r.skipped_lines, r.trace.total, r.counted, r.from, r.to], [3, 2, 9, true, t, t + 20]);
    assert.deepEqual([...r.trace.counts], [5, 4]);
    assert.equal(r.trace.epoch, t);
    // A service's own directory works too.
    assert.equal(readRecordedTraffic({ dir, project: 'x', service: 'y' }).rows, 3);
    assert.throws(() => readRecordedTraffic({ dir: root, project: 'shop', service: 'none' }), (e) => e instanceof OperationError && /no recording of shop\/none/.test(e.message));
  });

  it('deletes days past the retention, then the oldest while over the size cap, never the newest', async () => {
    const dir = freshDir();
    fs.mkdirSync(dir);
    const day = (d: number) => dayFileName(T0 + d * DAY);
    for (let d = -20; d <= 0; d++) fs.writeFileSync(path.join(dir, day(d)), 'x'.repeat(1000));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'kept');
    const removed = await pruneRecordings(dir, T0, 14 * DAY, 5000);
    // 14 days back from T0 keeps the day files from T0 - 14 d on (whose day ends after it) ...
    const left = fs.readdirSync(dir).sort();
    assert.ok(removed.includes(day(-20)) && removed.includes(day(-15)));
    // ... and the size cap keeps the newest 5 of them.
    assert.deepEqual(left, [day(-4), day(-3), day(-2), day(-1), day(0), 'notes.txt'].sort());
    fs.writeFileSync(path.join(dir, day(0)), 'x'.repeat(9000));
    await pruneRecordings(dir, T0, 14 * DAY, 5000);
    assert.deepEqual(fs.readdirSync(dir).sort(), [day(0), 'notes.txt']);
  });

  it('stops writing a day whose file alone reached the cap, counted', async () => {
    const dir = freshDir();
    const store = new RecordingStore({ max_bytes: 100 });
    const target = { dir, retention_s: DAY };
    for (let i = 0; i < 10; i++) await store.appendCheck(target, T0 + 40 + i, () => check(T0 + 40 + i, { b: 1000 }));
    const size = fs.statSync(path.join(dir, dayFileName(T0 + 40))).size;
    assert.ok(size >= 100 && size < 150, `${size}`);
    assert.ok(store.dropped >= 5, `${store.dropped}`);
  });
});

describe('recorder in the check activity', () => {
  const service = ServiceSchema.parse({
    name: 'w',
    max_replicas: 10,
    queue: { kind: 'nats', stream: 'S', consumer: 'c' },
    rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }], scale_down_when: [{ metric: 'queue.backlog', op: '<', value: 5 }] },
  });
  // Now: an apply row is timed by the clock, and rows 14 days older would be pruned by it.
  const NOW = Math.floor(Date.now() / 1000);
  const input = (o: Partial<CheckInput> = {}): CheckInput => ({ project: 'p', service, now: NOW, queue_state: null, last_replicas: null, paused: false, metric_failures: 0, ...o });

  it('records each check after it, and an apply', async () => {
    const root = freshDir();
    const queue = new FakeQueueSource();
    queue.observations = { 'queue.backlog': 500, 'queue.ack_pending': 2 };
    const recorder = new TrafficRecorder({ root });
    const { checkService, applyReplicas } = createScalerActivities(fakePlugins(new FakeRuntime(2), queue), { recorder });
    await checkService(input());
    await checkService(input({ now: NOW + 10, paused: true }));
    await applyReplicas({ project: 'p', service, replicas: 4 });
    await recorder.flush();
    const dir = path.join(root, 'p', 'w');
    const text = fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f), 'utf8')).join('');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { v: 1, t: NOW, b: 500, ip: 2, rc: 2, rr: 2, a: 'u', to: 4 });
    assert.deepEqual(lines[1], { v: 1, t: NOW + 10, dt: 10, b: 500, ip: 2, rc: 2, rr: 2, a: 'h', to: 2, na: 1 });
    assert.deepEqual([lines[2]!.k, lines[2]!.from, lines[2]!.to, lines[2]!.ok], ['apply', 2, 4, 1]);
  });

  it('records nothing for a service with recording.enabled: false', async () => {
    const root = freshDir();
    const recorder = new TrafficRecorder({ root });
    const { checkService } = createScalerActivities(fakePlugins(new FakeRuntime(2), new FakeQueueSource()), { recorder });
    await checkService(input({ service: { ...service, recording: { enabled: false } } }));
    await recorder.flush();
    assert.equal(fs.existsSync(path.join(root, 'p')), false);
  });

  it('a failed write never fails the check: counted, warned at most once a minute', async () => {
    const root = freshDir();
    fs.writeFileSync(root, 'a file where the directory should be');
    const warnings: string[] = [];
    const recorder = new TrafficRecorder({ root, warn: (l) => warnings.push(l) });
    const { checkService } = createScalerActivities(fakePlugins(new FakeRuntime(2), new FakeQueueSource()), { recorder });
    for (let i = 0; i < 3; i++) {
      const r = await checkService(input({ now: NOW + i }));
      assert.equal(r.failures.length, 0);
    }
    await recorder.flush();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(recorder.failures, 3);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /recording p\/w: 1 row\(s\) not written .*the checks go on/);
  });
});

describe('recorded traffic: the estimators', () => {
  it('arrivals from counters, spread over a stretch where the source failed, reset by a new identity', () => {
    const rows = [
      check(0, { ci: 100, cid: 'a' }),
      check(10, { ci: 130, cid: 'a' }),
      check(20, { e: ['queue'] }), // the source failed: no counters
      check(30, { ci: 170, cid: 'a' }),
      check(40, { ci: 5, cid: 'b', ri: 0.5 }), // recreated: the rate fills in
      check(50, { ci: 25, cid: 'b' }),
    ];
    const { counts, counted } = arrivalsOf(rows);
    assert.deepEqual([...counts], [30, 20, 20, 5, 20]);
    assert.deepEqual(counted, [true, true, true, true, true]);
  });

  it('without counters: the rise of backlog + in service plus completions, marked estimated', () => {
    const rows = [check(0, { b: 10, ip: 2 }), check(10, { b: 30, ip: 2, ro: 1 }), check(20, { b: 5, ip: 2 }), check(30, { b: 8 })];
    const m = trafficModel(rows)!;
    assert.deepEqual([...m.trace.counts], [30, 0, 1]);
    assert.equal(m.counted, false);
    assert.deepEqual([...m.trace.times], [0, 10, 20]);
    assert.deepEqual([...m.trace.widths], [10, 10, 10]);
    assert.equal(m.trace.span, 30);
    assert.equal(m.trace.kind, 'counts');
  });

  it('service time by Little\'s law: in service over the completion rate', () => {
    // 4 jobs in service all along, 2 completions a second: each job takes 2 s.
    const rows = Array.from({ length: 31 }, (_, i) => check(i * 10, { ip: 4, co: 1000 + 20 * i, cid: 'x' }));
    assert.equal(serviceTimeOf(rows), 2);
    // Idle stretches add nothing to either side.
    const idle = [...rows, ...Array.from({ length: 10 }, (_, i) => check(310 + i * 10, { ip: 0, co: 1600, cid: 'x' }))];
    assert.ok(Math.abs(serviceTimeOf(idle)! - 2) < 0.05, String(serviceTimeOf(idle)));
    // From rates when there are no counters; null with too few completions or no in-service figure.
    assert.equal(serviceTimeOf([check(0, { ip: 1 }), check(10, { ip: 1, ro: 2 })]), 0.5);
    assert.equal(serviceTimeOf([check(0, { ip: 1, co: 0, cid: 'x' }), check(10, { ip: 1, co: 3, cid: 'x' })]), null);
    assert.equal(serviceTimeOf([check(0, { co: 0, cid: 'x' }), check(10, { co: 300, cid: 'x' })]), null);
  });

  it('start-up delay: the median of scale-ups seen through to ready', () => {
    const rows = [
      check(0, { rc: 1, rr: 1, a: 'u', to: 3 }),
      check(10, { rc: 3, rr: 1, a: 'h', to: 3 }),
      check(20, { rc: 3, rr: 3, a: 'h', to: 3 }), // ready between 10 and 20: 15 s
      check(30, { rc: 3, rr: 3, a: 'u', to: 5 }),
      check(40, { rc: 5, rr: 5, a: 'h', to: 5 }), // between 30 and 40: 5 s
      check(50, { rc: 5, rr: 5, a: 'u', to: 8 }),
      check(60, { rc: 8, rr: 5, a: 'h', to: 8 }),
      check(70, { rc: 8, rr: 5, a: 'h', to: 8 }),
      check(80, { rc: 8, rr: 8, a: 'h', to: 8 }), // between 70 and 80: 25 s
      check(90, { rc: 8, rr: 8, a: 'u', to: 9, na: 1 }), // paused: not applied
      check(100, { rc: 8, rr: 8, a: 'u', to: 10 }),
      check(110, { rc: 10, rr: 8, a: 'd', to: 9 }), // abandoned
    ];
    assert.equal(startupDelayOf(rows), 15);
    // The apply landed at 36: ready between it and 40.
    assert.equal(startupDelayOf(rows.slice(3, 5), [{ v: 1, k: 'apply', t: 36, from: 3, to: 5, ok: 1 }]), 8);
    assert.equal(startupDelayOf(rows.slice(9)), null);
    assert.equal(startupDelayOf([check(0, { rc: 1, a: 'u', to: 3 }), check(10, { rc: 3 })]), null);
  });

  it('duplicate checks (two workers) count once; fewer than two checks is no model', () => {
    const rows = [check(0, { ci: 0, cid: 'a' }), check(0, { ci: 0, cid: 'a' }), check(10, { ci: 10, cid: 'a' })];
    assert.equal(trafficModel(rows)!.trace.counts.length, 1);
    assert.equal(trafficModel([check(0)]), null);
  });
});
