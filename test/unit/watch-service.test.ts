// The watch activity on its own (a plain function; the workflow tests run it inside Temporal):
// it runs real checks (checkService with the FAKE plugins) on the grid, folds the ones that repeat
// the scaler's newest entry, and returns at a change, at `until`, or when its workflow's history
// gets an event, dropping a check still in progress then.
import '../harness/temp-state-dir';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScalerActivities } from '../../src/activities/scaler-activities';
import type { CheckInput, CheckResult } from '../../src/model/check';
import { createWatchService } from '../../src/activities/watch-service';
import type { WatchInput, WatchProgress } from '../../src/model/watch';
import { ServiceSchema } from '../../src/config/service';
import { checkEntry, decisionKey } from '../../src/model/history-fold';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';

const service = ServiceSchema.parse({
  name: 'w',
  min_replicas: 1,
  max_replicas: 10,
  check_interval: 0.05,
  queue: { kind: 'nats', stream: 'S', consumer: 'c' },
  rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }], scale_down_when: [{ metric: 'queue.backlog', op: '<', value: 5 }] },
});

function setup(backlog: number) {
  const runtime = new FakeRuntime(2);
  const queue = new FakeQueueSource();
  queue.observations = { 'queue.backlog': backlog };
  const { checkService } = createScalerActivities(fakePlugins(runtime, queue));
  return { runtime, queue, checkService };
}

const watchInput = (o: Partial<WatchInput> = {}): WatchInput => ({
  project: 'p', service, queue_state: null, last_replicas: null, paused: false, metric_failures: 0,
  last_key: null, check_now: true, not_before: 0, next_at: null, phase: 0, until: Date.now() / 1000 + 0.6, heartbeat_seconds: 0.2, ...o,
});

/** The key of the decision a first check would record (what the workflow passes as last_key). */
async function keyOf(check: (i: CheckInput) => Promise<CheckResult>): Promise<string> {
  const r = await check({ project: 'p', service, now: Date.now() / 1000, queue_state: null, last_replicas: null, paused: false, metric_failures: 0 });
  return decisionKey(checkEntry(0, r, null));
}

describe('watch activity', () => {
  it('folds checks that repeat the newest entry and returns at `until` with the state after the last', async () => {
    const { queue, checkService } = setup(50);
    const beats: WatchProgress[] = [];
    const watch = createWatchService(checkService, { watch: () => new Promise(() => undefined), heartbeat: (p) => beats.push(structuredClone(p)) });
    const last_key = await keyOf(checkService);
    const readsBefore = queue.reads;
    const until = Date.now() / 1000 + 0.6;
    const r = await watch(watchInput({ last_key, until }));
    assert.equal(r.ended, 'until');
    assert.ok(r.next_check_at !== null && r.next_check_at >= until, 'the next check is the next watch\'s');
    assert.equal(r.checks.length, 1);
    const [fold] = r.checks;
    assert.ok(fold && fold.checks >= 8, `about 12 checks at 0.05 s in 0.6 s, got ${fold?.checks}`);
    assert.equal(fold.checks, queue.reads - readsBefore, 'every check is counted');
    assert.ok(fold.last_at > fold.at);
    assert.deepEqual(r.state.queue_state, { reads: queue.reads, previous_reads: queue.reads - 1 });
    assert.ok(beats.length >= 1 && beats.every((b) => b.ended === 'running'), 'heartbeats carry the progress');
  });

  it('returns at once with a change to apply, after the repeats folded before it', async () => {
    const { queue, checkService } = setup(50);
    const watch = createWatchService(checkService, { watch: () => new Promise(() => undefined) });
    const last_key = await keyOf(checkService);
    setTimeout(() => (queue.observations = { 'queue.backlog': 500 }), 200);
    const r = await watch(watchInput({ last_key, until: Date.now() / 1000 + 5 }));
    assert.equal(r.ended, 'change');
    assert.deepEqual(r.checks.map((c) => [c.result.decision?.action, c.result.decision?.target_replicas]), [['hold', 2], ['scale_up', 4]]);
    assert.equal(r.checks[1]?.checks, 1);
  });

  it('a first check that differs from the newest entry ends the watch', async () => {
    const { checkService } = setup(50);
    const watch = createWatchService(checkService, { watch: () => new Promise(() => undefined) });
    const r = await watch(watchInput({ last_key: 'something else', until: Date.now() / 1000 + 5 }));
    assert.deepEqual([r.ended, r.checks.length, r.checks[0]?.checks], ['change', 1, 1]);
  });

  it('returns within milliseconds of an event in its history, dropping the check in progress', async () => {
    const { checkService } = setup(50);
    let slow = false;
    const check = async (i: CheckInput) => (slow ? new Promise<CheckResult>(() => undefined) : checkService(i));
    let event: () => void = () => undefined;
    const watch = createWatchService(check, { watch: () => new Promise<'read' | 'event'>((resolve) => (event = () => resolve('event'))) });
    const last_key = await keyOf(checkService);
    const running = watch(watchInput({ last_key, until: Date.now() / 1000 + 30 }));
    await new Promise((r) => setTimeout(r, 200));
    slow = true;
    await new Promise((r) => setTimeout(r, 100));
    const at = Date.now();
    event();
    const r = await running;
    assert.ok(Date.now() - at < 50, `returned ${Date.now() - at} ms after the event`);
    assert.equal(r.ended, 'event');
    assert.ok((r.checks[0]?.checks ?? 0) >= 2, 'the checks before it are kept');
  });

  it('a read hands over at once when idle, and after the check in hand when one runs (it is not dropped)', async () => {
    const { checkService } = setup(50);
    let slowMs = 0;
    let started = 0;
    const check = async (i: CheckInput) => {
      started += 1;
      if (slowMs) await new Promise((r) => setTimeout(r, slowMs));
      return checkService(i);
    };
    let read: () => void = () => undefined;
    const watch = createWatchService(check, { watch: () => new Promise<'read' | 'event'>((resolve) => (read = () => resolve('read'))) });
    const last_key = await keyOf(checkService);
    // Idle: between checks 1 s apart, a read returns at once.
    const idle = watch(watchInput({ last_key, until: Date.now() / 1000 + 30, service: { ...service, check_interval: 1 } }));
    await new Promise((r) => setTimeout(r, 300));
    let at = Date.now();
    read();
    const r1 = await idle;
    assert.ok(Date.now() - at < 50, `returned ${Date.now() - at} ms after the read`);
    assert.equal(r1.ended, 'event');
    // In a check that takes 400 ms: the read waits for it and returns it.
    slowMs = 400;
    const fromBusy = started;
    const busy = watch(watchInput({ last_key, until: Date.now() / 1000 + 30 }));
    await new Promise((r) => setTimeout(r, 100));
    const before = started;
    at = Date.now();
    read();
    const r2 = await busy;
    assert.ok(Date.now() - at >= 250, `returned ${Date.now() - at} ms after the read, before the check in hand ended`);
    assert.equal(started, before, 'no check started after the read');
    assert.equal(r2.checks.reduce((n, c) => n + c.checks, 0), before - fromBusy, 'the check in hand is in the answer');
  });

  it('returns right after the last check before `until`, not at `until` (the next watch gets a whole interval to start)', async () => {
    const { checkService } = setup(50);
    const watch = createWatchService(checkService, { watch: () => new Promise(() => undefined) });
    const half = ServiceSchema.parse({ ...service, check_interval: 0.5 });
    const last_key = await keyOf(checkService);
    // `until` 0.4 s after a grid point (phase 0: multiples of 0.5 s), one more grid point before it.
    const until = Math.ceil(Date.now() / 1000 / 0.5) * 0.5 + 0.5 + 0.4;
    const r = await watch(watchInput({ service: half, last_key, check_now: false, not_before: Date.now() / 1000, until }));
    const returned = Date.now() / 1000;
    const last = r.checks[r.checks.length - 1]?.last_at ?? NaN;
    assert.equal(r.ended, 'until');
    assert.ok(returned - last < 0.25, `returned ${(returned - last).toFixed(3)} s after its last check (until was ${(until - last).toFixed(3)} s after it)`);
  });

  it('checks at the next grid point unless told to check now', async () => {
    const { queue, checkService } = setup(50);
    const watch = createWatchService(checkService, { watch: () => new Promise(() => undefined) });
    const slow = ServiceSchema.parse({ ...service, check_interval: 10 });
    const started = Date.now();
    const r = await watch(watchInput({ service: slow, check_now: false, not_before: Date.now() / 1000, until: Date.now() / 1000 + 0.3 }));
    assert.deepEqual([r.ended, r.checks.length, queue.reads], ['until', 0, 0]);
    assert.ok(Date.now() - started >= 250, 'a stretch without a check waits until `until` (it does not return at once, again and again)');
    assert.ok(r.next_check_at !== null && r.next_check_at > Date.now() / 1000 + 1);
  });

  it('runs the check the watch before planned, even a moment after the new one starts', async () => {
    const { queue, checkService } = setup(50);
    const watch = createWatchService(checkService, { watch: () => new Promise(() => undefined) });
    const slow = ServiceSchema.parse({ ...service, check_interval: 10 });
    const now = Date.now() / 1000;
    // The grid's minimum gap (a fifth of the interval) would skip a point 0.1 s away.
    const r = await watch(watchInput({ service: slow, check_now: false, not_before: now - 9.9, next_at: now + 0.1, until: now + 0.5 }));
    assert.deepEqual([r.checks.length, queue.reads], [1, 1]);
    assert.ok((r.checks[0]?.at ?? 0) >= now + 0.1);
  });
});
