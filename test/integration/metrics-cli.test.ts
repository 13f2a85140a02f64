// `docktor metrics` and `docktor config show` end to end: real NATS JetStream, a real local HTTP
// source, the process runtime; what a check would see, with every failing source named.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { freePort } from '../../src/dev/free-port';
import { runCli } from '../harness/cli';
import { testNats } from '../harness/services';

const stream = `METRICS_${process.pid}`;
let dir = '';
let nc: NatsConnection;
let server: http.Server;
let natsUrl = '';

before(async () => {
  natsUrl = (await testNats()).url;
  nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  await jsm.consumers.add(stream, { durable_name: 'WORKERS', ack_policy: AckPolicy.Explicit });
  const js = jetstream(nc);
  for (let i = 0; i < 5; i++) await js.publish(`${stream}.job`, `m${i}`);
  server = http.createServer((_req, res) => res.end(JSON.stringify({ queue: { pending: 17 } })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const closed = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-metrics-'));
  fs.writeFileSync(
    path.join(dir, 'docktor.yaml'),
    `project: metrics${process.pid}
services:
  - name: worker
    max_replicas: 3
    rules: {}
    queue: { kind: nats, url: "nats://alice:hunter2@${natsUrl.replace(/^nats:\/\//, '')}", stream: ${stream}, consumer: WORKERS }
    external:
      - { name: pending, kind: http, url: "http://127.0.0.1:${port}/stats", value_path: queue.pending, bearer_token: tok-secret }
    runtime: { kind: process, command: [node, -e, "setInterval(() => {}, 1000)"], env: { API_TOKEN: env-secret } }
  - name: broken
    max_replicas: 2
    rules: {}
    external:
      - { name: down, kind: http, url: "http://127.0.0.1:${closed}/x", timeout: 1 }
    runtime: { kind: process, command: [node, -e, "0"] }
`,
  );
});

after(async () => {
  await jetstreamManager(nc).then((jsm) => jsm.streams.delete(stream)).catch(() => undefined);
  await nc.close();
  server.close();
});

describe('docktor metrics (real NATS, HTTP, process runtime)', () => {
  test('--json: the observations a check sees, rates from two reads', async () => {
    const r = await runCli(['metrics', 'worker', '--json', '--gap', '0.5'], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    const [m] = JSON.parse(r.out) as Array<{ service: string; observations: Record<string, number>; failures: unknown[] }>;
    assert.equal(m?.service, 'worker');
    assert.deepEqual(m?.failures, []);
    const o = m!.observations;
    assert.equal(o['queue.backlog'], 5);
    assert.equal(o['queue.ack_pending'], 0);
    assert.equal(o['external.pending'], 17);
    assert.equal(o['replicas.current'], 0);
    assert.equal(o['queue.rate_in'], 0, 'rates come from the two reads');
    assert.equal(o['queue.rate_out'], 0);
  });

  test('a failing source is named, the others still read; exit 1', async () => {
    const r = await runCli(['metrics', '--gap', '0'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.out, /^worker +external\.pending +17$/m);
    assert.match(r.out, /^broken +replicas\.current +0$/m);
    assert.match(r.err, /^✗ broken external\.down: UnavailableError: external source 'down' \(GET http:\/\/127\.0\.0\.1:\d+\/x\) is unreachable/m);
  });

  test('an unknown service is bad usage (exit 2)', async () => {
    const r = await runCli(['metrics', 'nosuch'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown service 'nosuch'/);
  });
});

describe('docktor config show', () => {
  test('the effective config with defaults, paths resolved and every secret masked', async () => {
    const r = await runCli(['config', 'show', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    for (const secret of ['hunter2', 'tok-secret', 'env-secret']) assert.ok(!r.out.includes(secret), `${secret} masked`);
    const shown = JSON.parse(r.out) as { services: Array<{ check_interval: number; runtime: { cwd: string; env: Record<string, string> }; recording: { enabled: boolean; dir: string; retention: string } }> };
    assert.equal(shown.services[0]?.check_interval, 10, 'defaults applied');
    const recording = shown.services[0]?.recording;
    assert.deepEqual([recording?.enabled, recording?.retention, path.basename(recording?.dir ?? '')], [true, '14d', 'recordings'], 'the recording settings, defaults filled in');
    assert.equal(shown.services[0]?.runtime.cwd, dir, 'paths resolved');
    assert.equal(shown.services[0]?.runtime.env.API_TOKEN, '***');
    const yaml = await runCli(['config', 'show'], { cwd: dir });
    assert.equal(yaml.code, 0);
    assert.match(yaml.out, /url: nats:\/\/alice:\*\*\*@/);
  });
});
