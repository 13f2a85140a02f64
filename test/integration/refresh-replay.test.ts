// What the chaos soak met when it SIGKILLed a scaler's worker, made on purpose: the running watch
// completes, the workflow task that holds its completion is taken by a worker that dies (here a
// bare poll that never answers), and reads (`docktor status`) come in while that task times out;
// the next worker, with no cached workflow, runs a task holding both the watch's completion and
// the reads. In the chaos run, reads carried as an update were accepted in that task after the
// next watch's schedule, but a replay orders the acceptance of an update before that completion:
// the history no longer replayed ([TMPRL1100] "Update machine does not handle this event") and
// the scaler stopped until a reset (docs/architecture.md, "Reading the present"). Here the SDK
// wrote the acceptances first, which replays: what guards the fix is that the reads are history
// events, met by a replay where they were written. And a run recorded while reads were an update
// still replays.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createScalerActivities } from '../../src/activities/scaler-activities';
import { parseConfig } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import type { ScalerInput } from '../../src/model/scaler-state';
import { WORKFLOW_TYPE, scalerWorkflowId, statusQuery } from '../../src/workflows/definitions';
import { workflowBundle } from '../../src/worker';
import { FakeFleet } from '../harness/fake-plugins';
import { testTemporal } from '../harness/services';
import { until } from '../harness/until';

const TASK_QUEUE = `refresh-replay-${process.pid}`;
/** The workflow task timeout: how long the dead worker holds its task. */
const TASK_TIMEOUT_S = 2;
const READS = 3;
let c: ControlClient;
let connection: NativeConnection;
const running: Array<{ worker: Worker; done: Promise<void> }> = [];

before(async () => {
  const t = await testTemporal();
  c = await connectClient({ namespace: t.namespace, task_queue: TASK_QUEUE }, t.address);
  connection = await NativeConnection.connect({ address: t.address });
});

after(async () => {
  for (const r of running) if (r.worker.getState() === 'RUNNING') r.worker.shutdown();
  await Promise.all(running.map((r) => r.done.catch(() => undefined)));
  await c?.close();
  await connection?.close();
});

function run(worker: Worker): { worker: Worker; done: Promise<void> } {
  const r = { worker, done: worker.run() };
  running.push(r);
  return r;
}

it('reads that come while a worker holding the watch\'s completion dies leave a history that replays, and the scaler checking', async () => {
  const t = await testTemporal();
  const project = `r${Date.now().toString(36)}`;
  const config = parseConfig(
    `project: ${project}
temporal: { task_queue: ${TASK_QUEUE} }
services:
  - name: reads
    min_replicas: 1
    max_replicas: 6
    check_interval: 0.2
    rules:
      scale_up_when: [{ metric: queue.backlog, op: ">", value: 100 }]
      scale_down_when: [{ metric: queue.backlog, op: "<=", value: 10 }]
    queue: { kind: nats, stream: S, consumer: reads }
`,
    '/tmp/docktor-refresh-replay-test/docktor.yaml',
  );
  const fleet = new FakeFleet();
  fleet.runtime('reads', 2);
  fleet.queue('reads').observations = { 'queue.backlog': 50 };
  const bundle = await workflowBundle();
  // Activities on a worker of their own, so that the workflow workers can come and go while the
  // watch runs on. No workflow cache: every workflow task is run by a worker that replays the
  // history first, as the one that took the scaler over after the kill did.
  run(await Worker.create({ connection, namespace: t.namespace, taskQueue: TASK_QUEUE, activities: createScalerActivities(fleet), maxHeartbeatThrottleInterval: '1s' }));
  const workflows = () => Worker.create({ connection, namespace: t.namespace, taskQueue: TASK_QUEUE, workflowBundle: bundle, maxCachedWorkflows: 0 });
  const first = run(await workflows());

  const service = config.services[0]!;
  // Watches of 1 s: one completes soon after the first workflow worker is gone.
  const input: ScalerInput = { project, service, watch: { quiet_seconds: 1, heartbeat_seconds: 0.5 }, reads_by_signal: true };
  const h = await c.client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId(project, 'reads'), taskQueue: TASK_QUEUE, args: [input], workflowTaskTimeout: `${TASK_TIMEOUT_S}s` });
  try {
    await until('two checks recorded', () => h.query(statusQuery), (st) => st.checks >= 2, 15_000, 100);
    first.worker.shutdown();
    await first.done;

    // The worker that dies: it takes the task holding the watch's completion and never answers.
    const task = await c.client.connection.withDeadline(Date.now() + 30_000, () =>
      c.client.workflowService.pollWorkflowTaskQueue({
        namespace: t.namespace,
        taskQueue: { name: TASK_QUEUE, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        identity: 'a worker about to be killed',
      }),
    );
    assert.equal(task.workflowExecution?.workflowId, h.workflowId);
    const completion = task.history?.events?.some((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED);
    assert.ok(completion, 'the dead worker\'s task holds the watch\'s completion');
    // Reads while its task times out; the next workflow worker gets them with that completion.
    const reads = Array.from({ length: READS }, () => scalers.status(c, config, 'reads'));
    await sleep(500);
    run(await workflows());
    const answered = await Promise.all(reads);
    for (const [st] of answered) assert.ok(st?.running && st.checks >= 2, `a read answered ${JSON.stringify(st)}`);

    // The reads are signals (an update's place in a replay is not its place in the history), and
    // the history as it stands replays: a nondeterminism error here is one every worker would hit.
    const history = await h.fetchHistory();
    const kinds = new Set(history.events?.map((e) => e.eventType));
    assert.ok(kinds.has(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED), 'the reads are in the history as signals');
    assert.ok(!kinds.has(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), 'no read is an update');
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, h.workflowId);
    // And the scaler is still recording checks (its workflow tasks replay that history).
    const { checks } = await h.query(statusQuery);
    await until('two more checks recorded', () => h.query(statusQuery), (st) => st.checks >= checks + 2, 10_000, 200);
  } finally {
    await h.terminate().catch(() => undefined);
  }
});

it('a run recorded while reads were the `refresh` update still replays (its handler is kept for such runs)', async () => {
  const file = path.resolve(process.cwd(), 'test', 'fixtures', 'histories', 'refresh-update-run.json');
  const history = temporal.api.history.v1.History.fromObject(JSON.parse(fs.readFileSync(file, 'utf8')));
  assert.ok(history.events.some((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), 'the fixture holds accepted reads');
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, 'docktor/legacy/reads');
});
