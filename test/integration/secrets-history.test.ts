// Issue 14.4: no secret in Temporal. A scaler whose config holds secrets in clear (a NATS URL
// password and token, an HTTP bearer token and API-key header, an event webhook's URL and header,
// a replica's environment) runs on a real dev server with its database on disk; the worker
// restores the secrets from its own config (the scaler scales on the authenticated source and the
// webhook gets its events, so they were used). Then every payload of the history, the status and
// explain outputs, and the dev server's database files are searched.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from '@temporalio/worker';
import { loadConfig } from '../../src/config/load';
import { connectClient } from '../../src/control/client';
import { startDevServer, type DevServer } from '../../src/dev/temporal-server';
import { closeQueueSources, queueSourceFor } from '../../src/queues/registry';
import { externalSourceFor } from '../../src/sources/external/registry';
import { SecretStore } from '../../src/sources/secrets';
import { scalerWorkflowId } from '../../src/workflows/definitions';
import { createScalerWorker } from '../../src/worker';
import { runCli } from '../harness/cli';
import { FakeRuntime } from '../harness/fake-plugins';
import { testNats } from '../harness/services';

const SECRETS = ['nats-pw-3141', 'nats-tok-2718', 'http-bearer-1618', 'hdr-key-1414', 'env-pw-1732', 'hook-path-1123', 'hook-tok-5813'];
const TASK_QUEUE = `secrets-${process.pid}`;

let dir = '';
let dev: DevServer;
let worker: Worker;
let running: Promise<void>;
let httpServer: http.Server;
const runtime = new FakeRuntime(1);
/** Events the webhook sink delivered with its secrets (URL path and header) restored. */
let hookPosts = 0;
let env: NodeJS.ProcessEnv = {};

/** Every string and byte array (as UTF-8) anywhere in a value: all a payload can hide text in. */
function texts(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'));
  else if (Array.isArray(v)) v.forEach((x) => texts(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => texts(x, out));
  return out;
}

before(async () => {
  const natsUrl = (await testNats()).url;
  httpServer = http.createServer((req, res) => {
    if (req.method === 'POST') {
      const ok = req.url === '/hook/hook-path-1123' && req.headers.authorization === 'Bearer hook-tok-5813';
      if (ok) hookPosts += 1;
      req.resume().on('end', () => res.writeHead(ok ? 204 : 401).end());
      return;
    }
    const ok = req.headers.authorization === 'Bearer http-bearer-1618' && req.headers['x-api-key'] === 'hdr-key-1414';
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(ok ? '{"pending": 500}' : '{}');
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  const port = (httpServer.address() as AddressInfo).port;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-secrets-'));
  dev = await startDevServer({ port: 0, ui: false, dbFilename: path.join(dir, 'temporal.db'), log: () => undefined });
  env = { DOCKTOR_TEMPORAL_ADDRESS: dev.address };
  fs.writeFileSync(
    path.join(dir, 'docktor.yaml'),
    `project: secrets${process.pid}
temporal: { namespace: ${dev.namespace}, task_queue: ${TASK_QUEUE} }
events: { sinks: [{ kind: webhook, url: "http://127.0.0.1:${port}/hook/hook-path-1123", headers: { Authorization: "Bearer hook-tok-5813" } }] }
services:
  - name: worker
    max_replicas: 3
    check_interval: 0.5
    rules:
      scale_up_when: [{ metric: external.pending, op: ">", value: 100 }]
      step: { up: 2 }
    queue:
      kind: nats
      url: "nats://alice:nats-pw-3141@${natsUrl.replace(/^nats:\/\//, '')}"
      stream: NOT_READ
      consumer: NOT_READ
      auth: { token: nats-tok-2718 }
    external:
      - name: pending
        kind: http
        url: "http://127.0.0.1:${port}/stats"
        value_path: pending
        bearer_token: http-bearer-1618
        headers: { X-Api-Key: hdr-key-1414 }
    runtime: { kind: compose }
`,
  );
  const config = loadConfig(undefined, dir, {});
  const w = await createScalerWorker({
    temporal: config.temporal,
    address: dev.address,
    // The queue is real but its stream does not exist: a failing source is fine here, its
    // error message must not carry the URL's password either.
    plugins: { runtimeFor: () => runtime, queueSourceFor, externalSourceFor },
    secrets: SecretStore.of(config.project, config.services, config.file),
  });
  worker = w.worker;
  running = worker.run().finally(() => w.connection.close());
});

after(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await closeQueueSources();
  await dev?.stop();
  httpServer?.closeAllConnections();
  httpServer?.close();
});

describe('secrets stay out of Temporal (real dev server with its database on disk)', () => {
  test('the scaler uses the secrets (restored on the worker) and no payload, output or database file holds one', async () => {
    // process runtime env is a secret too: checked through config show in metrics-cli.test.ts;
    // here the compose runtime keeps the fake runtime in charge.
    const up = await runCli(['up'], { cwd: dir, env });
    assert.equal(up.code, 0, up.err);
    for (let i = 0; i < 100 && runtime.replicas !== 3; i++) await sleep(100);
    assert.equal(runtime.replicas, 3, 'scaled on external.pending, read with the bearer token and header');
    for (let i = 0; i < 100 && hookPosts < 2; i++) await sleep(100);
    assert.ok(hookPosts >= 2, 'the scale-up\'s events reached the webhook, with its secret path and header');

    const c = await connectClient({ namespace: dev.namespace, task_queue: TASK_QUEUE }, dev.address);
    const handle = c.client.workflow.getHandle(scalerWorkflowId(`secrets${process.pid}`, 'worker'));
    const history = await handle.fetchHistory();
    await c.close();
    const all = texts(history).join('\n');
    assert.ok(all.includes('***'), 'the config is in the history, masked');
    assert.ok(all.includes('stream \'NOT_READ\' not found'), 'the failing queue is recorded');
    for (const s of SECRETS) assert.ok(!all.includes(s), `history holds ${s}`);

    for (const args of [['status', '--json'], ['explain', '--json', '--tail', '50']]) {
      const r = await runCli(args, { cwd: dir, env });
      assert.equal(r.code, 0, r.err);
      for (const s of SECRETS) assert.ok(!r.out.includes(s), `${args[0]} prints ${s}`);
    }
    assert.equal((await runCli(['down'], { cwd: dir, env })).code, 0);

    worker.shutdown();
    await running;
    await dev.stop();
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('temporal.db'));
    assert.ok(files.length > 0, 'the dev server wrote its database');
    for (const f of files) {
      const bytes = fs.readFileSync(path.join(dir, f));
      for (const s of SECRETS) assert.equal(bytes.indexOf(s), -1, `${f} holds ${s}`);
    }
  });
});
