// A full worker (issue 27): each running scaler holds one activity slot for its watch. A worker
// whose slots are taken logs a warning and stops taking watches; another worker of the task
// queue with room takes the next scaler's watch; with none, that watch waits (and the warning is
// what says why its checks are late).
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ServiceSchema } from '../../src/config/service';
import { startDevServer, type DevServer } from '../../src/dev/temporal-server';
import type { ScalerInput } from '../../src/model/scaler-state';
import { WORKFLOW_TYPE, scalerWorkflowId } from '../../src/workflows/definitions';
import { createScalerWorker } from '../../src/worker';
import { watchCapacity } from '../../src/worker-capacity';
import { FakeFleet } from '../harness/fake-plugins';
import { until } from '../harness/until';

const TASK_QUEUE = 'capacity-test';
const SLOTS = 3;
let server: DevServer;
let connection: Connection;

before(async () => {
  server = await startDevServer({ port: 0, ui: false });
  connection = await Connection.connect({ address: server.address });
});

after(async () => {
  await connection?.close();
  await server?.stop();
});

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

it(`a worker with ${SLOTS} activity slots and ${SLOTS + 1} scalers: warns that it is full, the last watch waits, and a second worker takes it`, async () => {
  const client = new Client({ connection });
  const a = new FakeFleet();
  const b = new FakeFleet();
  const full = await createScalerWorker({ temporal: { namespace: 'default', task_queue: TASK_QUEUE }, address: server.address, plugins: a, maxConcurrentActivities: SLOTS });
  const warnings: string[] = [];
  const stopWatching = watchCapacity(full.worker, SLOTS, { pollMs: 100, log: { warn: (m) => warnings.push(m), info: () => undefined } });
  const runningA = full.worker.run();
  const names = Array.from({ length: SLOTS + 1 }, (_, i) => `svc-${i}`);
  let second: Awaited<ReturnType<typeof createScalerWorker>> | undefined;
  let runningB: Promise<void> | undefined;
  try {
    const handles = [];
    for (const name of names) {
      a.runtime(name, 2);
      b.runtime(name, 2);
      const service = ServiceSchema.parse({ name, max_replicas: 4, check_interval: 1, rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 1000 }], scale_down_when: [{ metric: 'queue.backlog', op: '<', value: -1 }] }, queue: { kind: 'nats', stream: 'S', consumer: name } });
      // Long stretches: a watch keeps its slot for the whole test.
      const input: ScalerInput = { project: 'cap', service, watch: { quiet_seconds: 600, heartbeat_seconds: 60 } };
      handles.push(await client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId('cap', name), taskQueue: TASK_QUEUE, args: [input] }));
      // One at a time, so the first SLOTS take A's slots and the last is the one left over.
      if (handles.length <= SLOTS) await until(`${name} checked on A`, () => a.queue(name).reads, (n) => n > 0);
    }
    await until('the full worker warns', () => warnings.length, (n) => n > 0, 10_000);
    assert.match(warnings[0]!, new RegExp(`nearly full: \\d of ${SLOTS} activity slots in use`));
    const last = handles[SLOTS]!;
    const lastName = names[SLOTS]!;
    // The leftover watch waits in the task queue: scheduled, not started, its scaler unchecked.
    await new Promise((r) => setTimeout(r, 3_000));
    const pending = (await last.describe()).raw.pendingActivities ?? [];
    assert.equal(pending.length, 1, 'the leftover scaler has its watch scheduled');
    assert.notEqual(pending[0]!.state, STARTED, 'no worker has room: it waits');
    assert.equal(a.queue(lastName).reads, 0, 'and it has not checked');
    // A worker with room: the waiting watch goes there, the full worker keeps its own.
    second = await createScalerWorker({ temporal: { namespace: 'default', task_queue: TASK_QUEUE }, address: server.address, plugins: b, maxConcurrentActivities: SLOTS });
    runningB = second.worker.run();
    await until('the second worker checks the leftover scaler', () => b.queue(lastName).reads, (n) => n > 0);
    assert.equal(a.queue(lastName).reads, 0, 'the full worker never took it');
    for (const name of names.slice(0, SLOTS)) assert.equal(b.queue(name).reads, 0, `${name} stays on its worker`);
    await Promise.all(handles.map((h) => h.terminate('test done')));
  } finally {
    stopWatching();
    full.worker.shutdown();
    second?.worker.shutdown();
    await Promise.allSettled([runningA, runningB]);
    await full.connection.close();
    await second?.connection.close();
  }
});
