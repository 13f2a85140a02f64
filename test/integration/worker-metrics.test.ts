// `temporal.metrics_port`: the worker's SDK runtime serves Prometheus metrics.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../src/dev/free-port';
import { createScalerWorker } from '../../src/worker';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';
import { testTemporal } from '../harness/services';

it('serves Prometheus metrics of the SDK runtime on temporal.metrics_port', async () => {
  const t = await testTemporal();
  const port = await freePort();
  const { worker, connection } = await createScalerWorker({
    temporal: { namespace: t.namespace, task_queue: `metrics-${process.pid}`, metrics_port: port },
    address: t.address,
    plugins: fakePlugins(new FakeRuntime(1), new FakeQueueSource()),
  });
  await worker.runUntil(async () => {
    let body = '';
    for (let i = 0; i < 50 && !body.includes('temporal_'); i++) {
      body = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()).catch(() => '');
      if (!body.includes('temporal_')) await sleep(200);
    }
    assert.match(body, /^# (HELP|TYPE) temporal_/m);
  });
  await connection.close();
});
