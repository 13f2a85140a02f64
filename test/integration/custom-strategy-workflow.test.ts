// Custom strategy modules in the real scaler workflow (real dev server, real worker, the module in
// a real worker thread; the FAKE runtime and queue of test/harness/fake-plugins.ts): a good
// module scales, one that throws or never returns holds with the module's path and error in the
// history and the status, and a module stuck in a loop does not stall the worker's other scalers.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { parseConfig, type Config } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { historyQuery, scalerWorkflowId, statusQuery } from '../../src/workflows/definitions';
import type { HistoryEntry } from '../../src/model/scaler-state';
import { createScalerWorker } from '../../src/worker';
import { FakeFleet } from '../harness/fake-plugins';
import { testTemporal } from '../harness/services';
import { until } from '../harness/until';

const TASK_QUEUE = `custom-strategy-test-${process.pid}`;
const MODULES = path.resolve(process.cwd(), 'test', 'fixtures', 'modules');
let project = '';

/** The config file sits in the fixtures folder, so `./x.mjs` is a fixture module. */
function configFor(name: string, module: string, extra = ''): Config {
  return parseConfig(
    `project: ${project}
temporal: { task_queue: ${TASK_QUEUE} }
services:
  - name: ${name}
    min_replicas: 1
    max_replicas: 8
    check_interval: 0.3
    cooldown: { down: 0 }
    strategy: custom
    custom: { module: ${module}, options: { per_replica: 100 }, timeout_seconds: 0.5 }
    queue: { kind: nats, stream: S, consumer: ${name} }
${extra}`,
    path.join(MODULES, 'docktor.yaml'),
  );
}

describe('custom strategy modules in the scaler workflow (real dev server, fake plugins)', () => {
  let c: ControlClient;
  const fleet = new FakeFleet();
  let worker: Worker;
  let running: Promise<void>;
  const handles: WorkflowHandle[] = [];

  before(async () => {
    project = `c${Date.now().toString(36)}`;
    const t = await testTemporal();
    c = await connectClient({ namespace: t.namespace, task_queue: TASK_QUEUE }, t.address);
    const w = await createScalerWorker({ temporal: { namespace: t.namespace, task_queue: TASK_QUEUE }, address: t.address, plugins: fleet });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
  });

  after(async () => {
    await Promise.all(handles.map((h) => h.terminate().catch(() => undefined)));
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await c.close();
  });

  const start = async (config: Config, name: string) => {
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(project, name));
    handles.push(h);
    return h;
  };

  it('a good module scales; a module stuck in a loop holds, reports its error, and does not stall the other scaler', async () => {
    const goodRuntime = fleet.runtime('good');
    goodRuntime.replicas = 1;
    fleet.queue('good').observations = { 'queue.backlog': 100 };
    fleet.runtime('spins').replicas = 2;
    fleet.queue('spins').observations = { 'queue.backlog': 700 };
    const spins = await start(configFor('spins', './spins.mjs'), 'spins');
    await until('the stuck module to time out', () => spins.query(historyQuery, {}), (hs) => hs.some((e) => e.limited_by === 'module_error'));
    const good = await start(configFor('good', './per-backlog.cjs'), 'good');

    // While the other scaler's module keeps timing out, this one follows its module.
    fleet.queue('good').observations = { 'queue.backlog': 450 };
    await until('a scale-up to 5', async () => goodRuntime.replicas, (n) => n === 5);
    fleet.queue('good').observations = { 'queue.backlog': 150 };
    await until('a scale-down to 2', async () => goodRuntime.replicas, (n) => n === 2);
    const ups = (await good.query(historyQuery, {})).filter((e: HistoryEntry) => e.action === 'scale_up');
    assert.equal(ups[0]?.reason, 'cjs: backlog 450 / 100 per replica');

    // Identical holds fold into one entry (CONTRACT §6), and a running watch reports the checks it
    // folded at its heartbeats: read them as `docktor explain` does.
    const stuckChecks = (hs: HistoryEntry[]) => hs.filter((e) => e.limited_by === 'module_error').reduce((n, e) => n + (e.checks ?? 1), 0);
    const hist = await until('two stuck checks explained', () => scalers.explain(c, configFor('spins', './spins.mjs'), 'spins', 1000), (hs) => stuckChecks(hs) >= 2);
    const held = hist.filter((e) => e.limited_by === 'module_error');
    assert.ok(stuckChecks(hist) >= 2, `the stuck module timed out at every check: ${JSON.stringify(hist.map((e) => [e.limited_by, e.checks ?? 1]))}`);
    const error = `custom strategy ${path.join(MODULES, 'spins.mjs')}: decide() did not answer within 0.5 s (timeout_seconds); its thread was stopped`;
    for (const e of held) {
      assert.deepEqual([e.action, e.from, e.to, e.applied], ['hold', 2, 2, false]);
      assert.deepEqual(e.errors, [`module: ${error}`]);
    }
    assert.equal(fleet.runtime('spins').changes.length, 0, 'never scaled');
    const st = await spins.query(statusQuery);
    assert.equal(st.failures.last_error, `module: ${error}`);
    assert.equal(st.failures.consecutive, 0, 'a module failure is not a metric failure (no fallback)');
  });

  it('a module that throws holds with its path and error; fixing the config (set_config) scales', async () => {
    const runtime = fleet.runtime('throws');
    runtime.replicas = 2;
    fleet.queue('throws').observations = { 'queue.backlog': 600 };
    const h = await start(configFor('throws', './throws.mjs'), 'throws');
    const hist = await until('a module_error hold', () => h.query(historyQuery, {}), (hs) => hs.some((e) => e.limited_by === 'module_error'));
    const e = hist.find((x) => x.limited_by === 'module_error')!;
    assert.equal(e.reason, `custom strategy ${path.join(MODULES, 'throws.mjs')} failed: decide() threw Error: boom from the strategy`);
    assert.equal(runtime.changes.length, 0);

    // The new config also has a schedule window, which set_config validates in the workflow
    // sandbox (cron expressions and time zone). It never opens (it ends as it starts), whatever
    // the day the test runs.
    const fixed = configFor('throws', './per-backlog.mjs', '    schedule: [{ start: "0 0 1 1 *", end: "0 0 1 1 *", timezone: Europe/Copenhagen, max_replicas: 1 }]\n');
    assert.equal((await scalers.up(c, fixed))[0]?.outcome, 'updated');
    await until('a scale-up to 6', async () => runtime.replicas, (n) => n === 6);
  });
});
