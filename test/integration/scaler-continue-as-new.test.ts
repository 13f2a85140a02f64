// Continue-as-new on a dev server whose history limit is low, so Temporal suggests it after a few
// checks: the new run must carry the state (replicas, pause, engine state, history) on.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { parseConfig } from '../../src/config/load';
import { startDevServer, type DevServer } from '../../src/dev/temporal-server';
import { WORKFLOW_TYPE, historyQuery, pauseSignal, scalerWorkflowId, statusQuery } from '../../src/workflows/definitions';
import type { ScalerInput } from '../../src/model/scaler-state';
import { createScalerWorker } from '../../src/worker';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';

const TASK_QUEUE = 'can-test';
let server: DevServer;
let connection: Connection;

before(async () => {
  server = await startDevServer({ port: 0, ui: false, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 60 } });
  connection = await Connection.connect({ address: server.address });
});

after(async () => {
  await connection?.close();
  await server?.stop();
});

it('continues as new when Temporal suggests it, keeping state and history', async () => {
  const runtime = new FakeRuntime(1);
  const queue = new FakeQueueSource();
  queue.observations = { 'queue.backlog': 500 };
  const { worker, connection: wc } = await createScalerWorker({ temporal: { namespace: 'default', task_queue: TASK_QUEUE }, address: server.address, plugins: fakePlugins(runtime, queue) });
  const client = new Client({ connection });
  const service = parseConfig(
    `services:\n  - { name: can, min_replicas: 1, max_replicas: 3, check_interval: 0.1, rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 100 }] }, queue: { kind: nats, stream: S, consumer: C } }`,
    '/tmp/can/docktor.yaml',
  ).services[0];
  assert.ok(service);
  // Quiet stretches of 1 s: each ends with a few events, so the low limit is reached in seconds.
  const input: ScalerInput = { project: 'can', service, watch: { quiet_seconds: 1 } };
  await worker.runUntil(async () => {
    const h = await client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId('can', 'can'), taskQueue: TASK_QUEUE, args: [input] });
    const firstRun = h.firstExecutionRunId;
    // The scale-up first (on a loaded machine the first checks can take a while), then the pause.
    for (let i = 0; i < 100 && runtime.changes.length === 0; i++) await sleep(100);
    await h.signal(pauseSignal, { reason: 'kept across runs' });
    const deadline = Date.now() + 30_000;
    let runId = firstRun;
    while (runId === firstRun && Date.now() < deadline) {
      await sleep(200);
      runId = (await h.describe()).runId;
    }
    assert.notEqual(runId, firstRun, 'expected a continue-as-new within 30 s');
    const latest = client.workflow.getHandle(h.workflowId);
    // History first: checks keep running, so a later status can only count more.
    const hist = await latest.query(historyQuery, {});
    const st = await latest.query(statusQuery);
    assert.equal(st.pause?.reason, 'kept across runs');
    assert.equal(st.replicas, 3);
    // Every check is in exactly one entry (identical ones folded), across the runs.
    const folded = hist.reduce((n, e) => n + (e.checks ?? 1), 0);
    assert.ok(st.checks >= folded && folded >= 5, `checks counter carried over: ${st.checks} checks, ${folded} in ${hist.length} entries`);
    assert.ok(hist.some((e) => e.action === 'scale_up' && e.applied), 'entries from the first run are still there');
    assert.deepEqual(runtime.changes, [[1, 3]]);
    await latest.terminate();
  });
  await wc.close();
});

it('hands events still being delivered to the new run, which delivers them with the same ids', async () => {
  // A webhook that refuses everything until the scaler has continued as new: its first batch is
  // still pending then, and only the new run can deliver it.
  let continued = false;
  const accepted: string[] = [];
  let refused = 0;
  const hook = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      if (!continued) {
        refused += 1;
        res.writeHead(503).end();
        return;
      }
      accepted.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const port = (hook.address() as { port: number }).port;
  const runtime = new FakeRuntime(1);
  const queue = new FakeQueueSource();
  queue.observations = { 'queue.backlog': 500 };
  const { worker, connection: wc } = await createScalerWorker({ temporal: { namespace: 'default', task_queue: `${TASK_QUEUE}-events` }, address: server.address, plugins: fakePlugins(runtime, queue) });
  const client = new Client({ connection });
  const service = parseConfig(
    `events: { sinks: [{ kind: webhook, url: "http://127.0.0.1:${port}/" }] }\nservices:\n  - { name: ev, min_replicas: 1, max_replicas: 3, check_interval: 0.1, rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 100 }] }, queue: { kind: nats, stream: S, consumer: C } }`,
    '/tmp/can/docktor.yaml',
  ).services[0]!;
  try {
    await worker.runUntil(async () => {
      // Quiet stretches of 1 s, as above, so the low history limit is reached in seconds.
      const h = await client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId('can', 'ev'), taskQueue: `${TASK_QUEUE}-events`, args: [{ project: 'can', service, watch: { quiet_seconds: 1 } } satisfies ScalerInput] });
      const deadline = Date.now() + 40_000;
      while ((await h.describe()).runId === h.firstExecutionRunId && Date.now() < deadline) await sleep(200);
      assert.notEqual((await h.describe()).runId, h.firstExecutionRunId, 'expected a continue-as-new within 40 s');
      continued = true;
      while (new Set(accepted).size < 2 && Date.now() < deadline) await sleep(200);
      assert.ok(refused > 0, 'the webhook refused the first run\'s attempts');
      const ids = [...new Set(accepted)];
      assert.equal(ids.length, 2, accepted.join(', '));
      assert.ok(ids.every((id) => id.startsWith('docktor/can/ev/')), ids.join(', '));
      assert.deepEqual(ids.map((id) => id.split('/').pop()).sort(), ['docktor.ScalingDecisionMade', 'docktor.WorkersScaled']);
      const latest = client.workflow.getHandle(h.workflowId);
      let st = await latest.query(statusQuery);
      while (st.events.pending > 0 && Date.now() < deadline) {
        await sleep(200);
        st = await latest.query(statusQuery);
      }
      assert.equal(st.events.pending, 0);
      assert.ok(st.events.sinks['webhook-0']!.delivered >= 2, JSON.stringify(st.events));
      await latest.terminate();
    });
  } finally {
    await wc.close();
    hook.close();
  }
});

it('carries the forecast model (sla.forecast) into the new run', async () => {
  const runtime = new FakeRuntime(1);
  const queue = new FakeQueueSource();
  const quiet = { 'queue.backlog': 0, 'queue.ack_pending': 0, 'queue.rate_in': 0.1, 'queue.rate_out': 0.1 };
  queue.observations = { ...quiet };
  // A server of its own with room for a dozen bursts before it suggests continuing as new.
  const own = await startDevServer({ port: 0, ui: false, dynamicConfig: { 'limit.historyCount.suggestContinueAsNew': 200 } });
  const ownConnection = await Connection.connect({ address: own.address });
  const { worker, connection: wc } = await createScalerWorker({ temporal: { namespace: 'default', task_queue: TASK_QUEUE }, address: own.address, plugins: fakePlugins(runtime, queue) });
  const client = new Client({ connection: ownConnection });
  const service = parseConfig(
    `services:\n  - { name: fc, min_replicas: 1, max_replicas: 1, check_interval: 0.1, strategy: predictive, sla: { max_pickup_seconds: 30, service_time_seconds: 1, forecast: { mode: shadow } }, recording: { enabled: false }, queue: { kind: nats, stream: S, consumer: C } }`,
    '/tmp/can/docktor.yaml',
  ).services[0];
  assert.ok(service);
  const input: ScalerInput = { project: 'can', service, watch: { quiet_seconds: 1 } };
  await worker.runUntil(async () => {
    const h = await client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId('can', 'fc'), taskQueue: TASK_QUEUE, args: [input] });
    const firstRun = h.firstExecutionRunId;
    // A burst of arrivals (rate_in 500/s) for 500 ms in every second: several checks each, even
    // on a loaded machine. One replica at most: no scale-up ends a stretch early. No recording:
    // a model lost on the way would otherwise be learned again from it at the new run's first check.
    const burst = async () => {
      queue.observations = { ...quiet, 'queue.rate_in': 500 };
      await sleep(500);
      queue.observations = { ...quiet };
      await sleep(500);
    };
    const deadline = Date.now() + 90_000;
    let run = await h.describe();
    let sent = 0;
    while (run.runId === firstRun && Date.now() < deadline) {
      await burst();
      sent++;
      run = await h.describe();
    }
    assert.notEqual(run.runId, firstRun, 'expected a continue-as-new within 90 s');
    const latest = client.workflow.getHandle(h.workflowId);
    // What the first run's model held at its last check, from the history it handed on.
    const newRunFrom = run.startTime.getTime() / 1000;
    const seenBefore = Math.max(0, ...(await latest.query(historyQuery, {})).filter((e) => e.at < newRunFrom).map((e) => Number((e.details.proposal as { forecast?: { bursts_seen?: number } } | undefined)?.forecast?.bursts_seen ?? 0)));
    assert.ok(seenBefore >= 2, `the first run's model held ${seenBefore} bursts (${sent} sent)`);
    const first = await latest.query(statusQuery);
    assert.ok(first.forecast !== null, 'the status shows the forecast');
    // The new run starts from the model the old one handed on (a fresh one would hold fewer), and
    // goes on adding to it.
    assert.ok(first.forecast.bursts_seen >= seenBefore, `${first.forecast.bursts_seen} bursts in the new run's model, ${seenBefore} in the first run's`);
    assert.equal(first.forecast.mode, 'shadow');
    let grown = first.forecast.bursts_seen;
    for (let i = 0; i < 20 && grown <= first.forecast.bursts_seen; i++) {
      await burst();
      grown = (await latest.query(statusQuery)).forecast?.bursts_seen ?? 0;
    }
    assert.ok(grown > first.forecast.bursts_seen, `the new run adds bursts to it (${grown})`);
    await client.workflow.getHandle(h.workflowId).terminate();
  });
  await wc.close();
  await ownConnection.close();
  await own.stop();
});
