// Payload encryption against a real Temporal dev server with its state in a SQLite file: a
// scaler run with `temporal.encryption` leaves no plaintext in any history payload (read with a
// client WITHOUT the codec) nor in the database file; the codec server decodes them for the UI;
// a wrong or missing key fails clearly; `docktor dev` hands the UI its codec server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { payloadToJson, startCodecServer, type JsonPayload } from '../../src/codec/codec-server';
import { ENCODING_ENCRYPTED, EncryptionCodec } from '../../src/codec/encryption-codec';
import { loadKeyRing } from '../../src/codec/keys';
import { connectClient } from '../../src/control/client';
import { down, up } from '../../src/control/scalers';
import { parseConfig, type Config } from '../../src/config/load';
import { SecretStore } from '../../src/sources/secrets';
import { startDevServer, type DevServer } from '../../src/dev/temporal-server';
import { overrideUpdate, scalerWorkflowId, statusQuery } from '../../src/workflows/definitions';
import { createScalerWorker } from '../../src/worker';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';
import { runCli } from '../harness/cli';
import { within } from '../harness/within';

const BIN = path.join(process.cwd(), 'bin', 'docktor.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-encryption-'));
const dbFile = path.join(dir, 'temporal.db');
// Strings of the service config that must never reach Temporal in clear. The token is masked
// anyway (src/sources/secrets.ts); the stream name is not a secret and only encryption hides it.
const STREAM = `stream-${randomBytes(6).toString('hex')}`;
const TOKEN = `token-${randomBytes(6).toString('hex')}`;
const KEY = randomBytes(32).toString('base64');
fs.writeFileSync(path.join(dir, 'payload.key'), `${KEY}\n`);
fs.writeFileSync(path.join(dir, 'wrong.key'), `${randomBytes(32).toString('base64')}\n`);

function configText(keyFile: string, taskQueue = `encryption-${process.pid}`): string {
  return `project: enc${process.pid}
temporal: { task_queue: ${taskQueue}, encryption: { key_file: ${keyFile} } }
services:
  - name: api
    max_replicas: 4
    check_interval: 0.5
    rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 100 }] }
    queue: { kind: nats, stream: ${STREAM}, consumer: C, auth: { token: ${TOKEN} } }
`;
}

/** Every Payload in a history event tree, with where it is. */
function payloadsIn(node: unknown, at = ''): Array<{ at: string; payload: Payload }> {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array) return [];
  if ('data' in node && 'metadata' in node && (node.data === null || node.data instanceof Uint8Array)) return [{ at, payload: node as Payload }];
  return Object.entries(node).flatMap(([k, v]) => payloadsIn(v, `${at}.${k}`));
}

const text = (u: Uint8Array | null | undefined): string => Buffer.from(u ?? new Uint8Array()).toString('utf8');

async function post(url: string, body: unknown, origin?: string): Promise<{ status: number; headers: Headers; json: { payloads?: JsonPayload[]; error?: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default', ...(origin ? { Origin: origin } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, json: (await res.json()) as { payloads?: JsonPayload[]; error?: string } };
}

describe('payload encryption (real dev server, SQLite file)', () => {
  let server: DevServer;
  let config: Config;
  let worker: Worker;
  let running: Promise<void>;
  let history: temporal.api.history.v1.IHistory;
  const runtime = new FakeRuntime(1);
  const queue = new FakeQueueSource();

  before(async () => {
    server = await startDevServer({ port: 0, ui: false, dbFilename: dbFile });
    config = parseConfig(configText('payload.key'), path.join(dir, 'docktor.yaml'));
    const w = await createScalerWorker({
      temporal: config.temporal,
      address: server.address,
      plugins: fakePlugins(runtime, queue),
      secrets: SecretStore.of(config.project, config.services, config.file),
    });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await server?.stop();
  });

  it('a scaler run leaves no plaintext in any history payload', async () => {
    queue.observations = { 'queue.backlog': 400 };
    const c = await connectClient(config.temporal, server.address);
    try {
      await up(c, config);
      for (let i = 0; i < 100 && runtime.replicas !== 4; i++) await sleep(100);
      assert.equal(runtime.replicas, 4);
      const h = c.client.workflow.getHandle(scalerWorkflowId(config.project, 'api'));
      // An update and a query with arguments and results, through the codec both ways.
      const st = await h.executeUpdate(overrideUpdate, { args: [{ replicas: 3, reason: `drain ${STREAM}` }] });
      assert.equal(st.override?.replicas, 3);
      const queue = (await h.query(statusQuery)).config.queue;
      assert.equal(queue?.kind === 'nats' ? queue.stream : undefined, STREAM, 'the right key reads everything back');
      await down(c, config);
    } finally {
      await c.close();
    }

    // Read as the Temporal UI or anyone with access to the server does: no codec.
    const connection = await Connection.connect({ address: server.address });
    try {
      history = await new Client({ connection }).workflow.getHandle(scalerWorkflowId(config.project, 'api')).fetchHistory();
    } finally {
      await connection.close();
    }
    const all = payloadsIn(history.events);
    assert.ok(all.length >= 10, `expected many payloads, found ${all.length}`);
    // Readable by design: search attributes only (the server indexes them; CONTRACT §3, no secret in them).
    const clear = all.filter((p) => text(p.payload.metadata?.encoding) !== ENCODING_ENCRYPTED && !/\.searchAttributes\./.test(p.at));
    assert.ok(all.some((p) => /activityTaskCompletedEventAttributes\.result\./.test(p.at)), 'the checks are in the history (the watch activity\'s result)');
    assert.deepEqual(clear.map((p) => `${p.at}: ${text(p.payload.metadata?.encoding)} ${text(p.payload.data)}`), []);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    assert.ok(bytes.includes('override'), 'the history is what we think it is (the update name is not a payload)');
    for (const s of [STREAM, TOKEN, 'queue.backlog', 'drain']) assert.ok(!bytes.includes(s), `"${s}" is in the history in clear`);
  });

  it('nor in the database file', async () => {
    await server.stop();
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('temporal.db'));
    const db = Buffer.concat(files.map((f) => fs.readFileSync(path.join(dir, f))));
    assert.ok(db.includes(scalerWorkflowId(config.project, 'api')), 'the workflow is in the file (the grep works)');
    for (const s of [STREAM, TOKEN]) assert.ok(!db.includes(s), `"${s}" is in ${files.join(', ')} in clear`);
  });

  it('the codec server decodes them for the UI, with CORS for its origin only', async () => {
    const codec = new EncryptionCodec(loadKeyRing({ key_file: path.join(dir, 'payload.key') }));
    const cs = await startCodecServer({ codec, port: 0, corsOrigins: ['http://localhost:8233'] });
    try {
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
      assert.equal(started.length, 1);
      const r = await post(`${cs.url}/api/namespaces/default/decode`, { payloads: started.map(payloadToJson) }, 'http://localhost:8233');
      assert.equal(r.status, 200, r.json.error);
      assert.equal(r.headers.get('access-control-allow-origin'), 'http://localhost:8233');
      const decoded = r.json.payloads?.[0];
      assert.equal(Buffer.from(decoded?.metadata?.encoding ?? '', 'base64').toString(), 'json/plain');
      const input = JSON.parse(Buffer.from(decoded?.data ?? '', 'base64').toString()) as { service: { queue: { stream: string } } };
      assert.equal(input.service.queue.stream, STREAM);

      const pre = await fetch(`${cs.url}/decode`, { method: 'OPTIONS', headers: { Origin: 'http://localhost:8233', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
      assert.equal(pre.status, 204);
      assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
      assert.equal((await post(`${cs.url}/decode`, { payloads: [] }, 'http://evil.example')).status, 403);

      const enc = await post(`${cs.url}/encode`, { payloads: r.json.payloads });
      assert.equal(enc.status, 200);
      assert.equal(Buffer.from(enc.json.payloads?.[0]?.metadata?.encoding ?? '', 'base64').toString(), ENCODING_ENCRYPTED);
      assert.equal((await post(`${cs.url}/decode`, { nope: 1 })).status, 400);
    } finally {
      await cs.close();
    }
  });

  it('a wrong key fails clearly: in the client, the codec server and the CLI', async () => {
    const wrongId = loadKeyRing({ key_file: path.join(dir, 'wrong.key') }).current.id;
    const rightId = loadKeyRing({ key_file: path.join(dir, 'payload.key') }).current.id;
    const wrong = new EncryptionCodec(loadKeyRing({ key_file: path.join(dir, 'wrong.key') }));
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
    await assert.rejects(wrong.decode(started), new RegExp(`encrypted with key ${rightId}, which is not among the keys of temporal\\.encryption \\(${wrongId}\\)`));
    const cs = await startCodecServer({ codec: wrong, port: 0 });
    try {
      const r = await post(`${cs.url}/decode`, { payloads: started.map(payloadToJson) });
      assert.equal(r.status, 400);
      assert.match(r.json.error ?? '', new RegExp(`encrypted with key ${rightId}`));
    } finally {
      await cs.close();
    }

    fs.writeFileSync(path.join(dir, 'docktor.yaml'), configText('short.key'));
    fs.writeFileSync(path.join(dir, 'short.key'), `${randomBytes(16).toString('base64')}\n`);
    for (const args of [['status'], ['codec-server'], ['up']]) {
      const r = await runCli(args, { cwd: dir, env: { DOCKTOR_TEMPORAL_ADDRESS: '127.0.0.1:1' } });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, /temporal\.encryption\.key_file: key 1 is not 32 bytes of base64/);
    }
  });
});

describe('docktor dev with encryption', () => {
  it('starts a codec server and gives the UI its endpoint', async () => {
    const devDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-encryption-dev-'));
    fs.writeFileSync(
      path.join(devDir, 'docktor.yaml'),
      `project: encdev${process.pid}
temporal: { encryption: { key_env: DOCKTOR_TEST_KEYS } }
services: [{ name: idle, min_replicas: 0, max_replicas: 1, rules: {}, runtime: { kind: process, command: [node, -e, "0"] } }]
`,
    );
    const env = { ...process.env, DOCKTOR_TEST_KEYS: KEY, DOCKTOR_DEV_PORT: '0', DOCKTOR_DEV_UI_PORT: '0', DOCKTOR_DEV_CODEC_PORT: '0', DOCKTOR_STATE_DIR: path.join(devDir, 'state') };
    const child = spawn(process.execPath, [BIN, 'dev'], { cwd: devDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    try {
      for (let i = 0; i < 600 && !/Watching 1 service/.test(out); i++) await sleep(100);
      const codecUrl = /Codec server \(payload encryption\): (\S+)/.exec(out)?.[1];
      const uiUrl = /UI (http:\S+)/.exec(out)?.[1];
      assert.ok(codecUrl && uiUrl, out);
      const settings = (await (await fetch(`${uiUrl}/api/v1/settings`, { signal: AbortSignal.timeout(10_000) })).json()) as { Codec?: { Endpoint?: string } };
      assert.equal(settings.Codec?.Endpoint, codecUrl, JSON.stringify(settings));
      const pre = await fetch(`${codecUrl}/decode`, { method: 'OPTIONS', headers: { Origin: uiUrl, 'Access-Control-Request-Method': 'POST' }, signal: AbortSignal.timeout(10_000) });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers.get('access-control-allow-origin'), uiUrl);
    } finally {
      child.kill('SIGINT');
      const code = await within(exited, 30_000, 'still running 30 s after SIGINT');
      if (code !== 0) child.kill('SIGKILL');
      assert.equal(code, 0, out);
    }
  });
});
