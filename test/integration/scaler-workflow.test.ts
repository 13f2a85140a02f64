// The scaler workflow on the real Temporal dev server and a real worker, with the in-memory
// FAKE runtime and queue source of test/harness/fake-plugins.ts (real Docker/NATS have their own tests).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { parseConfig, type Config } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { checkPhase } from '../../src/model/check-schedule';
import { WORKFLOW_TYPE, historyQuery, scalerWorkflowId, setConfigUpdate, statusQuery } from '../../src/workflows/definitions';
import { iso, type HistoryEntry, type ScalerInput, type ScalerStatus } from '../../src/model/scaler-state';
import { createScalerWorker, workflowBundle } from '../../src/worker';
import { FakeFleet } from '../harness/fake-plugins';
import { testTemporal } from '../harness/services';
import { until } from '../harness/until';

const TASK_QUEUE = `scaler-test-${process.pid}`;
let project = '';

function configFor(serviceYaml: string): Config {
  return parseConfig(
    `project: ${project}\ntemporal: { task_queue: ${TASK_QUEUE} }\nservices:\n${serviceYaml}`,
    '/tmp/docktor-scaler-test/docktor.yaml',
  );
}

const RULES_SERVICE = (name: string, extra = '') => `  - name: ${name}
    min_replicas: 1
    max_replicas: 6
    check_interval: 0.3
    rules:
      scale_up_when: [{ metric: queue.backlog, op: ">", value: 100 }]
      scale_down_when: [{ metric: queue.backlog, op: "<=", value: 10 }]
      step: { up: 2, down: 1 }
    queue: { kind: nats, stream: S, consumer: ${name} }
${extra}`;


describe('serviceScaler workflow (real dev server, fake plugins)', () => {
  let c: ControlClient;
  const fleet = new FakeFleet();
  let worker: Worker;
  let running: Promise<void>;
  const handles: WorkflowHandle[] = [];

  async function startWorker(): Promise<void> {
    const t = await testTemporal();
    const w = await createScalerWorker({ temporal: { namespace: t.namespace, task_queue: TASK_QUEUE }, address: t.address, plugins: fleet });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
  }

  before(async () => {
    project = `t${Date.now().toString(36)}`;
    const t = await testTemporal();
    c = await connectClient({ namespace: t.namespace, task_queue: TASK_QUEUE }, t.address);
    await startWorker();
  });

  after(async () => {
    await Promise.all(handles.map((h) => h.terminate().catch(() => undefined)));
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await c.close();
  });

  async function history(h: WorkflowHandle): Promise<HistoryEntry[]> {
    return h.query(historyQuery, {});
  }

  it('scales up on the rule, holds at max, honours the scale-down cooldown', async () => {
    const runtime = fleet.runtime('up');
    const queue = fleet.queue('up');
    const config = configFor(RULES_SERVICE('up', '    cooldown: { up: 0, down: 3600 }'));
    runtime.replicas = 1;
    queue.observations = { 'queue.backlog': 500 };
    const [res] = await scalers.up(c, config);
    assert.equal(res?.outcome, 'started');
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'up'));
    handles.push(h);
    await until('replicas at max', async () => runtime.replicas, (n) => n === 6);
    assert.deepEqual(runtime.changes.slice(0, 3), [[1, 3], [3, 5], [5, 6]]);
    const hist = await history(h);
    const ups = hist.filter((e) => e.action === 'scale_up');
    assert.equal(ups[0]?.reason, 'queue.backlog 500 > 100');
    assert.equal(ups[0]?.applied, true);
    assert.deepEqual(ups[0]?.observations, { 'queue.backlog': 500, 'replicas.current': 1, 'replicas.ready': 1 });

    queue.observations = { 'queue.backlog': 0 };
    const held = await until('a cooldown hold', () => history(h), (hs) => hs.some((e) => e.limited_by === 'cooldown'));
    assert.equal(runtime.replicas, 6, 'no scale-down during the cooldown');
    assert.ok(held.every((e) => e.action !== 'scale_down' || !e.applied));
    assert.equal((await scalers.up(c, config))[0]?.outcome, 'unchanged');
    // The UI's Details panel says what the service is (docktor up set it).
    const details = await (await h.describe()).staticDetails();
    assert.match(details ?? '', /^\*\*t\w+\/up\*\*: 1\.\.6 replicas, rules strategy, a check every 0\.3 s {2}\nqueue: nats, stream S, consumer up {2}\n/);
  });

  it('checks on its own grid: every interval at the phase of its id, timed from when a check ended', async () => {
    fleet.runtime('grid').replicas = 2;
    const queue = fleet.queue('grid');
    queue.observations = { 'queue.backlog': 50 };
    const service = configFor(RULES_SERVICE('grid').replace('check_interval: 0.3', 'check_interval: 1')).services[0];
    assert.ok(service);
    // Quiet stretches of 3 s: the watch returns (and the workflow records) within the test.
    const input: ScalerInput = { project, service, watch: { quiet_seconds: 3 } };
    const h = await c.client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId(project, 'grid'), taskQueue: TASK_QUEUE, args: [input] });
    handles.push(h);
    const offset = checkPhase(h.workflowId);
    const status = await until('eight checks recorded', () => h.query(statusQuery), (st) => st.checks >= 8, 30_000);
    const cycles = status.next_check_at! - offset;
    assert.ok(Math.abs(cycles - Math.round(cycles)) < 0.001, `next_check_at ${status.next_check_at} is not on the grid (offset ${offset} s of 1 s)`);
    // After the first (at once on start), every check begins at a grid point, give or take the
    // machine's load, across the ends of the watches; none is pushed back by the ones before it.
    const reads = queue.readAt.slice(1, status.checks);
    assert.ok(reads.length >= 7);
    for (const at of reads) {
      const late = (((at - offset) % 1) + 1) % 1;
      assert.ok(late < 0.4, `check at ${at} is ${late.toFixed(3)} s after its grid point`);
    }
    // Identical decisions are one entry: the first check, the last one, and how many.
    const hist = await history(h);
    assert.equal(hist.length, 1);
    assert.equal(hist[0]?.checks, status.checks);
    assert.equal(hist[0]?.last_at, status.last_check_at);
    // The UI's current details name the next check of the watch that runs now, not the one
    // before the checks they list (a whole stretch, 3 s here, before their "as of").
    const { currentDetails } = await h.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    const [, asOf, next] = /check\(s\) as of (\S+); next check at (\S+)/.exec(currentDetails) ?? [];
    assert.ok(asOf && next, currentDetails);
    assert.ok(Date.parse(next) >= Date.parse(asOf) - 1000, `next check at ${next}, as of ${asOf}`);
  });

  it('records but does not act while paused; resume acts again', async () => {
    const runtime = fleet.runtime('pause');
    const queue = fleet.queue('pause');
    runtime.replicas = 1;
    queue.observations = { 'queue.backlog': 0 };
    const config = configFor(RULES_SERVICE('pause'));
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'pause'));
    handles.push(h);
    await until('a first check', () => history(h), (hs) => hs.length > 0);
    await scalers.pause(c, config, 'pause', 'maintenance');
    queue.observations = { 'queue.backlog': 1000 };
    const paused = await until('a paused decision', () => history(h), (hs) => hs.some((e) => e.limited_by === 'paused'));
    assert.equal(runtime.changes.length, 0, 'nothing applied while paused');
    assert.ok(paused.filter((e) => e.limited_by === 'paused').every((e) => !e.applied));
    const st = await h.query(statusQuery);
    assert.equal(st.pause?.reason, 'maintenance');
    await scalers.resume(c, config, 'pause');
    await until('a scale-up after resume', async () => runtime.changes.length, (n) => n > 0);
    assert.deepEqual(runtime.changes[0], [1, 3]);
  });

  it('applies an override at once, validates it, and lets it expire', async () => {
    const runtime = fleet.runtime('ovr');
    const queue = fleet.queue('ovr');
    runtime.replicas = 2;
    queue.observations = { 'queue.backlog': 50 }; // neither up nor down: hold
    const config = configFor(RULES_SERVICE('ovr', '    check_interval: 30').replace('    check_interval: 0.3\n', ''));
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'ovr'));
    handles.push(h);
    await until('a first check', () => history(h), (hs) => hs.length > 0);

    await assert.rejects(scalers.override(c, config, 'ovr', { replicas: 9 }), /outside ovr's min_replicas\.\.max_replicas \(1\.\.6\); use --force/);
    await assert.rejects(scalers.override(c, config, 'ovr', { replicas: -1 }), /replicas must be a whole number >= 0/);

    const started = Date.now();
    const st = await scalers.override(c, config, 'ovr', { replicas: 5, duration_seconds: 2, reason: 'load test' });
    assert.equal(st.override?.replicas, 5);
    // check_interval is 30 s: only the wake-up of the update can explain a change within seconds.
    await until('the override applied', async () => runtime.replicas, (n) => n === 5, 10_000);
    assert.ok(Date.now() - started < 10_000);
    const hist = await until('the override to expire', () => history(h), (hs) => hs.some((e) => e.limited_by !== 'override' && e.at * 1000 > started + 2000), 15_000);
    assert.ok(hist.some((e) => e.limited_by === 'override' && e.applied));

    // A forced override may leave min..max.
    await scalers.override(c, config, 'ovr', { replicas: 9, force: true });
    await until('the forced override applied', async () => runtime.replicas, (n) => n === 9);
    await scalers.resume(c, config, 'ovr');
    assert.equal((await h.query(statusQuery)).override, null);
  });

  it('validates set_config and takes a valid one', async () => {
    const config = configFor(RULES_SERVICE('cfg'));
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'cfg'));
    handles.push(h);
    const service = config.services[0];
    assert.ok(service);
    const reject = async (raw: unknown, pattern: RegExp) => {
      await assert.rejects(h.executeUpdate(setConfigUpdate, { args: [raw] }), (e: unknown) => e instanceof WorkflowUpdateFailedError && pattern.test(String(e.cause?.message)));
    };
    await reject({ ...service, colour: 'blue' }, /colour: unknown field/);
    await reject({ ...service, max_replicas: 0 }, /max_replicas: must be >= min_replicas \(1\)/);
    await reject({ ...service, name: 'other' }, /this scaler is for "cfg"/);
    const changed = configFor(RULES_SERVICE('cfg').replace('max_replicas: 6', 'max_replicas: 4'));
    assert.equal((await scalers.up(c, changed))[0]?.outcome, 'updated');
    const st: ScalerStatus = await h.query(statusQuery);
    assert.equal(st.max_replicas, 4);
  });

  it('keeps a bounded history', async () => {
    const runtime = fleet.runtime('bounded');
    const queue = fleet.queue('bounded');
    runtime.replicas = 1;
    // A backlog that alternates between "scale down, but at min_replicas" and "no rule holds":
    // every check holds for another reason, so none folds into the one before.
    Object.defineProperty(queue, 'observations', { get: () => ({ 'queue.backlog': queue.reads % 2 ? 5 : 50 }) });
    const service = configFor(RULES_SERVICE('bounded').replace('check_interval: 0.3', 'check_interval: 0.05')).services[0];
    assert.ok(service);
    const input: ScalerInput = { project, service, history_limit: 5 };
    const h = await c.client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId(project, 'bounded'), taskQueue: TASK_QUEUE, args: [input] });
    handles.push(h);
    const st = await until('12 checks', () => h.query(statusQuery), (s) => s.checks >= 12);
    const hist = await history(h);
    assert.equal(hist.length, 5);
    assert.ok(hist.every((e) => e.checks === undefined), 'no entry folds');
    assert.ok(st.checks > 5);
    assert.equal((await h.query(historyQuery, { tail: 2 })).length, 2);
  });

  it('survives a worker restart: history continues and no scale is applied twice', async () => {
    const runtime = fleet.runtime('restart');
    const queue = fleet.queue('restart');
    runtime.replicas = 1;
    queue.observations = { 'queue.backlog': 500 };
    const config = configFor(RULES_SERVICE('restart', '    max_replicas: 20').replace('    max_replicas: 6\n', '').replace('check_interval: 0.3', 'check_interval: 1'));
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'restart'));
    handles.push(h);
    await until('two scale-ups', async () => runtime.changes.length, (n) => n >= 2);
    const before = (await history(h)).length;
    worker.shutdown();
    await running;
    // Checks fall due while no worker runs; they must run once, after the restart.
    await sleep(1500);
    await startWorker();
    await until('history to continue', () => history(h), (hs) => hs.length >= before + 3);
    // Pause, so that no scale is in flight while the two records are compared.
    await scalers.pause(c, config, 'restart');
    const hist = await until('a paused check', () => history(h), (hs) => hs[hs.length - 1]?.limited_by === 'paused');
    // Each applied decision matches exactly one change of the fake runtime, in order.
    const applied = hist.filter((e) => e.applied).map((e) => [e.from, e.to]);
    assert.deepEqual(runtime.changes, applied);
    for (let i = 1; i < runtime.changes.length; i++) assert.equal(runtime.changes[i]?.[0], runtime.changes[i - 1]?.[1]);
    const st = await h.query(statusQuery);
    assert.equal(st.scales_applied, runtime.changes.length);
    // Every apply's fence is above the one before, across the restart (EnsureOptions.seq).
    for (let i = 1; i < runtime.seqs.length; i++) assert.ok(runtime.seqs[i]! > runtime.seqs[i - 1]!, `fence ${runtime.seqs[i]} after ${runtime.seqs[i - 1]}`);
  });

  it('times the cooldown from when a change landed, not from when it was decided', async () => {
    const runtime = fleet.runtime('landed');
    const queue = fleet.queue('landed');
    runtime.replicas = 1;
    runtime.ensureDelayMs = 3000;
    queue.observations = { 'queue.backlog': 500 };
    const config = configFor(RULES_SERVICE('landed', '    cooldown: { up: 0, down: 2 }'));
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'landed'));
    handles.push(h);
    // Decided, then 3 s to land; the backlog is gone meanwhile: the next check wants to scale down.
    await until('the scale-up asked for', async () => runtime.ensureCalls, (n) => n > 0);
    queue.observations = { 'queue.backlog': 0 };
    runtime.ensureDelayMs = 0;
    await until('a scale-down', async () => runtime.landed.length, (n) => n >= 2, 20_000);
    const [up, down] = runtime.landed;
    assert.deepEqual([up?.from, up?.to, down?.from, down?.to], [1, 3, 3, 2]);
    // Timed from the decision, the scale-down came 0.3 s after the scale-up landed (3 s > 2 s).
    const after = down!.asked_at - up!.landed_at;
    assert.ok(after >= 1.9, `scale-down ${after.toFixed(2)} s after the scale-up landed; cooldown.down is 2 s`);
    const hist = await history(h);
    assert.ok(hist.some((e) => e.limited_by === 'cooldown' && /last change at/.test(e.reason)), 'a check held by the cooldown in between');
  });

  it('an apply on workers that do not own the replicas fails after a few attempts, and the checks go on', async () => {
    const runtime = fleet.runtime('owner');
    const queue = fleet.queue('owner');
    runtime.replicas = 1;
    runtime.notOwnerNext = 1000;
    queue.observations = { 'queue.backlog': 500 };
    const config = configFor(RULES_SERVICE('owner'));
    const started = Date.now();
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'owner'));
    handles.push(h);
    const hist = await until('a failed apply recorded', () => history(h), (hs) => hs.some((e) => e.errors?.some((x) => x.startsWith('apply: '))), 15_000);
    const failed = hist.find((e) => e.errors?.some((x) => x.startsWith('apply: ')));
    assert.match(failed!.errors!.join(' '), /supervised by another docktor worker \(attempt 5 of 5 on a worker that is not the owner\)/);
    // 5 attempts 0.25 s apart: recorded within seconds (5 attempts with the apply's back-off took 15 s).
    assert.ok(Date.now() - started < 8_000, `recorded after ${Date.now() - started} ms`);
    assert.equal(runtime.ensureCalls, 5);
    // The owner is back: the next check applies.
    runtime.notOwnerNext = 0;
    await until('the scale-up applied', async () => runtime.replicas, (n) => n > 1);
  });

  it('status counts each check once while watches end between its two reads', async () => {
    fleet.runtime('reads').replicas = 2;
    fleet.queue('reads').observations = { 'queue.backlog': 50 };
    const service = configFor(RULES_SERVICE('reads').replace('check_interval: 0.3', 'check_interval: 0.2')).services[0];
    assert.ok(service);
    // Watches of 1 s: many ends in the few seconds of reads below.
    const input: ScalerInput = { project, service, watch: { quiet_seconds: 1, heartbeat_seconds: 0.5 } };
    const h = await c.client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId(project, 'reads'), taskQueue: TASK_QUEUE, args: [input] });
    handles.push(h);
    const config = configFor(RULES_SERVICE('reads'));
    let last = 0;
    const end = Date.now() + 6000;
    while (Date.now() < end) {
      const [st] = await scalers.status(c, config, 'reads');
      assert.ok(st?.running);
      assert.ok(st.checks >= last, `checks went from ${last} to ${st.checks}`);
      assert.equal(st.last_check_at_iso, iso(st.last_check_at));
      assert.equal(st.next_check_at_iso, iso(st.next_check_at));
      if (st.last_decision) assert.equal(st.last_decision.at_iso, iso(st.last_decision.at));
      last = st.checks;
    }
    assert.ok(last >= 10, `only ${last} checks in 6 s`);
  });

  it('status and explain read the present: a read right after a check sees it, though the watch runs on', async () => {
    fleet.runtime('present').replicas = 2;
    const queue = fleet.queue('present');
    queue.observations = { 'queue.backlog': 50 };
    const config = configFor(RULES_SERVICE('present').replace('check_interval: 0.3', 'check_interval: 1'));
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'present'));
    handles.push(h);
    await until('a first watch running', () => h.query(statusQuery), (st) => st.checks >= 1);
    for (let i = 0; i < 5; i++) {
      // Right after a check: its queue read, then the read of docktor status and explain.
      const n = queue.reads;
      await until('the next check', async () => queue.reads, (r) => r > n, 5000, 20);
      const ranAt = queue.readAt[queue.readAt.length - 1]!;
      await sleep(100);
      const readAt = Date.now() / 1000;
      const [st] = await scalers.status(c, config, 'present');
      assert.ok(st?.running);
      assert.equal(st.checks, queue.reads, 'every check that ran is counted');
      // How old the newest check it shows was when the read began (not counting the read's own time).
      const lag = readAt - (st.last_check_at ?? 0);
      // last_check_at is when that check began, a moment before it read the queue.
      assert.ok(st.last_check_at! >= ranAt - 0.25, `status's last check began at ${st.last_check_at}, before the check that read the queue at ${ranAt}`);
      assert.ok(lag <= 1, `status's last check is ${lag.toFixed(2)} s old`);
      const [entry] = await scalers.explain(c, config, 'present', 1);
      assert.ok((entry?.last_at ?? entry?.at)! >= ranAt - 0.25, 'explain shows the newest check');
      // The raw query is as of the workflow's last update, and says when that was.
      assert.ok((await h.query(statusQuery)).as_of_iso !== null);
    }
  });

  it('replays every recorded history deterministically', async () => {
    const histories = await Promise.all(handles.map(async (h) => ({ workflowId: h.workflowId, history: await h.fetchHistory() })));
    const bundle = await workflowBundle();
    let replayed = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, histories)) {
      assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
      replayed += 1;
    }
    assert.equal(replayed, handles.length);
  });
});
