// The control commands against the real dev server: a scaler that is not running is a clear
// failure (exit 1), and the table/JSON outputs come from the workflow's queries.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from '@temporalio/worker';
import { connectClient } from '../../src/control/client';
import { scalerWorkflowId } from '../../src/workflows/definitions';
import { DocktorPaused, DocktorProject, DocktorReplicas, DocktorService } from '../../src/workflows/search-attributes';
import { createScalerWorker } from '../../src/worker';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';
import { testTemporal } from '../harness/services';
import { runCli, type CliRun } from '../harness/cli';

const TASK_QUEUE = `cli-control-${process.pid}`;
let dir = '';
let env: NodeJS.ProcessEnv = {};

function docktor(...args: string[]): Promise<CliRun> {
  return runCli(args, { cwd: dir, env });
}

describe('docktor control commands (real dev server)', () => {
  let worker: Worker;
  let running: Promise<void>;
  const runtime = new FakeRuntime(2);
  const queue = new FakeQueueSource();
  const replicas = (): number => runtime.replicas;

  before(async () => {
    const t = await testTemporal();
    env = { DOCKTOR_TEMPORAL_ADDRESS: t.address };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-cli-control-'));
    fs.writeFileSync(
      path.join(dir, 'docktor.yaml'),
      `project: cli${Date.now().toString(36)}
temporal: { namespace: ${t.namespace}, task_queue: ${TASK_QUEUE} }
services:
  - name: api
    max_replicas: 4
    check_interval: 0.5
    rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 100 }] }
    queue: { kind: nats, stream: S, consumer: C }
  - name: idle
    max_replicas: 2
    rules: {}
`,
    );
    const w = await createScalerWorker({ temporal: { namespace: t.namespace, task_queue: TASK_QUEUE }, address: t.address, plugins: fakePlugins(runtime, queue) });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
  });

  after(async () => {
    await docktor('down');
    worker.shutdown();
    await running;
  });

  it('exits 1 with a clear message for a scaler that is not running', async () => {
    for (const args of [['status', 'api'], ['explain', 'api'], ['pause', 'api'], ['resume', 'api'], ['override', 'api', '--replicas', '2']]) {
      const r = await docktor(...args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.err, /the scaler of 'api' is not running \(workflow docktor\/cli[a-z0-9]+\/api\); start it with `docktor up api`/);
    }
    assert.equal((await docktor('status', 'nosuch')).code, 2, 'an unknown service is bad usage');
  });

  it('up, status, explain, override, down', async () => {
    queue.observations = { 'queue.backlog': 400 };
    const up = await docktor('up', 'api');
    assert.equal(up.code, 0, up.err);
    assert.match(up.out, /^api: started \(docktor\/cli[a-z0-9]+\/api\)$/m);
    // Stream S does not exist on the test NATS: `up` still starts the scaler, and warns (issue 14).
    assert.match(up.err, /^docktor: warning: api: Stream 'S' exists: /m);
    for (let i = 0; i < 100 && replicas() !== 4; i++) await sleep(100);
    assert.equal(replicas(), 4, (await docktor('explain', '--json')).out);

    // The search attributes of CONTRACT §3 are kept current (the dev server has them registered).
    const t = await testTemporal();
    const c = await connectClient({ namespace: t.namespace, task_queue: TASK_QUEUE }, t.address);
    try {
      const project = /^project: (\S+)$/m.exec(fs.readFileSync(path.join(dir, 'docktor.yaml'), 'utf8'))?.[1] ?? '';
      const h = c.client.workflow.getHandle(scalerWorkflowId(project, 'api'));
      let attrs = (await h.describe()).typedSearchAttributes;
      for (let i = 0; i < 50 && attrs.get(DocktorReplicas) !== 4; i++) {
        await sleep(100);
        attrs = (await h.describe()).typedSearchAttributes;
      }
      assert.equal(attrs.get(DocktorService), 'api');
      assert.equal(attrs.get(DocktorProject), project);
      assert.equal(attrs.get(DocktorReplicas), 4);
      assert.equal(attrs.get(DocktorPaused), false);
    } finally {
      await c.close();
    }

    const st = await docktor('status');
    assert.equal(st.code, 0, st.err);
    assert.match(st.out, /^SERVICE\s+REPLICAS\s+STRATEGY\s+MODE\s+NEXT CHECK$/m);
    assert.match(st.out, /^api\s+4 \(1\.\.4\)\s+rules\s+active\s+/m);
    // A folded hold reads as explain's row: its first–last time and ×N.
    assert.match(st.out, /^ {2}last decision \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(–\S+)?: (scale_up|hold( ×\d+)?) \d+→\d+: /m);
    assert.match(st.out, /^idle\s+-\s+-\s+not running/m);
    for (const line of st.out.split('\n')) assert.ok(line.length <= 100, `status line of ${line.length} columns: ${line}`);

    // The scale-up, then the hold at max_replicas (identical holds fold into that one entry).
    for (let i = 0; i < 100 && (JSON.parse((await docktor('explain', 'api', '--json')).out) as unknown[]).length < 2; i++) await sleep(100);
    const ex = await docktor('explain', 'api', '--tail', '2');
    assert.equal(ex.code, 0, ex.err);
    const lines = ex.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^SERVICE\s+TIME\s+ACTION\s+FROM→TO\s+REASON$/);
    // Two rows; a long reason goes on under its row, within 100 columns.
    for (const line of lines) assert.ok(line.length <= 100, `explain line of ${line.length} columns: ${line}`);
    const rows = lines.filter((l) => l.startsWith('api'));
    assert.equal(rows.length, 2, ex.out);
    // Date and zone: ISO-8601 UTC, a folded entry as its first and last time.
    for (const line of rows) assert.match(line, /^api\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ(–(\d{4}-\d\d-\d\dT)?\d\d:\d\d:\d\dZ)?\s+(scale_up|hold)/);
    assert.ok(ex.out.includes('scale_up') || ex.out.includes('hold'));
    const json = JSON.parse((await docktor('explain', 'api', '--json', '--tail', '50')).out) as Array<{ service: string; action: string; reason: string; from: number; to: number }>;
    assert.ok(json.some((e) => e.service === 'api' && e.action === 'scale_up' && e.reason === 'queue.backlog 400 > 100' && e.from === 2 && e.to === 4));

    const bad = await docktor('override', 'api', '--replicas', '9');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /override rejected: replicas 9 is outside api's min_replicas\.\.max_replicas \(1\.\.4\)/);
    const ov = await docktor('override', 'api', '--replicas', '1', '--for', '1h', '--reason', 'drain');
    assert.equal(ov.code, 0, ov.err);
    for (let i = 0; i < 100 && replicas() !== 1; i++) await sleep(100);
    assert.equal(replicas(), 1);
    const stj = JSON.parse((await docktor('status', 'api', '--json')).out) as { override: { replicas: number; reason: string } };
    assert.deepEqual([stj.override.replicas, stj.override.reason], [1, 'drain']);

    const down = await docktor('down', 'api');
    assert.equal(down.code, 0, down.err);
    assert.equal(down.out, 'api: stopped\n');
    assert.equal((await docktor('status', 'api')).code, 1);
    assert.equal(runtime.replicas, 1, 'down leaves replicas as they are');
  });
});
