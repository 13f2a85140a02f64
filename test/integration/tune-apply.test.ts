// `docktor tune --apply` end to end on the real dev server: the recommendation goes to the running
// scaler through the validated set_config update, the scaler runs with it, and its history
// records the change with the tune's figures in the reason. The worker's runtime and queue are
// the fake plugins (in-process): what is tested is the control path, not the replicas.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Worker } from '@temporalio/worker';
import { spikyTrace } from '../../src/simulate/spiky';
import type { TuneResult } from '../../src/tune/types';
import { createScalerWorker } from '../../src/worker';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';
import { testTemporal } from '../harness/services';
import { runCli, type CliRun } from '../harness/cli';

const TASK_QUEUE = `tune-apply-${process.pid}`;
let dir = '';
let env: NodeJS.ProcessEnv = {};

function docktor(...args: string[]): Promise<CliRun> {
  return runCli(args, { cwd: dir, env });
}

describe('docktor tune --apply (real dev server)', () => {
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    const t = await testTemporal();
    env = { DOCKTOR_TEMPORAL_ADDRESS: t.address };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-tune-apply-'));
    fs.writeFileSync(
      path.join(dir, 'docktor.yaml'),
      `project: tune${Date.now().toString(36)}
temporal: { namespace: ${t.namespace}, task_queue: ${TASK_QUEUE} }
services:
  - name: worker
    max_replicas: 30
    rules:
      scale_up_when: [{ metric: queue.backlog, op: ">", value: 10 }]
      scale_down_when: [{ metric: queue.backlog, op: "<=", value: 1 }]
    sla: { max_pickup_seconds: 30 }
    queue: { kind: nats, stream: S, consumer: C }
`,
    );
    const trace = spikyTrace({ seed: 11, span: 1800, meanRate: 2 }).trace;
    fs.writeFileSync(path.join(dir, 'spiky.txt'), Array.from(trace.counts).join('\n') + '\n');
    const w = await createScalerWorker({ temporal: { namespace: t.namespace, task_queue: TASK_QUEUE }, address: t.address, plugins: fakePlugins(new FakeRuntime(1), new FakeQueueSource()) });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
  });

  after(async () => {
    await docktor('down');
    worker.shutdown();
    await running;
  });

  it('pushes the recommendation with set_config and records it with its figures', async () => {
    assert.equal((await docktor('up', 'worker')).code, 0);
    // What the recommendation is (the search is deterministic up to its budget; --apply pushes
    // the one it finds, whatever it is).
    const r = await docktor('tune', 'worker', '--trace', 'spiky.txt', '--service-time', '1', '--budget', '3', '--apply', '--json');
    assert.equal(r.code, 0, r.err);
    const result = JSON.parse(r.out) as TuneResult;
    assert.ok(result.recommended && !result.recommended.keeps_current, 'the rules config is not the cheapest');
    assert.match(r.err, /applied to the running scaler of worker: docktor tune: /);

    const st = JSON.parse((await docktor('status', 'worker', '--json')).out) as { config: { strategy: string; sla: unknown } };
    assert.equal(st.config.strategy, result.recommended.config.strategy);
    assert.deepEqual(st.config.sla, result.recommended.config.sla);

    const history = JSON.parse((await docktor('explain', 'worker', '--json', '--tail', '50')).out) as Array<{ action: string; reason: string; limited_by: string | null }>;
    const entry = history.find((e) => e.reason.startsWith('config changed: docktor tune: '));
    assert.ok(entry, JSON.stringify(history.map((e) => e.reason)));
    assert.equal(entry.action, 'hold');
    assert.equal(entry.limited_by, null);
    assert.match(entry.reason, /held-out 540 s: breach [\d.]+ s, p99 pickup [\d.]+ s, \d+ worker-s = [\d.]+× the clairvoyant \(current [\d.]+×/);
  });

  it('refuses a scaler that is not running before it searches (exit 1, nothing applied)', async () => {
    await docktor('down', 'worker');
    const r = await docktor('tune', 'worker', '--trace', 'spiky.txt', '--service-time', '1', '--budget', '60', '--apply');
    assert.equal(r.code, 1);
    assert.match(r.err, /the scaler of 'worker' is not running/);
    assert.equal(r.out, '', 'no search ran');
  });
});
