// `docktor config validate` against the real systems: the schema, then one ✓/✗ line per live check
// (compose file and service, Docker, NATS, stream, consumer, process program); exit 1 if any fails.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { testDocker, testNats } from '../harness/services';
import { runCli, type CliRun } from '../harness/cli';

const suffix = `${process.pid}_${Date.now().toString(36)}`.toUpperCase();
const STREAM = `VALIDATE_${suffix}`;
const CONSUMER = `WORKERS_${suffix}`;
let nc: NatsConnection;
let dir = '';

function validate(config: string): Promise<CliRun> {
  fs.writeFileSync(path.join(dir, 'docktor.yaml'), config);
  return runCli(['config', 'validate'], { cwd: dir });
}

describe('docktor config validate (real NATS and dockerd)', () => {
  let natsUrl = '';

  before(async () => {
    natsUrl = (await testNats()).url;
    process.env.DOCKER_HOST = (await testDocker()).dockerHost;
    nc = await connect({ servers: natsUrl });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: [`validate.${suffix}`] });
    await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-validate-'));
    fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  web:\n    image: docktor-base:latest\n    command: ["node", "-e", "setInterval(() => {}, 1000)"]\n');
  });

  after(async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(STREAM).catch(() => undefined);
    await nc.close();
  });

  const good = () => `compose_file: compose.yaml
services:
  - name: web
    max_replicas: 3
    rules: {}
    queue: { kind: nats, url: "${natsUrl}", stream: ${STREAM}, consumer: ${CONSUMER} }
`;

  it('passes when every live check passes', async () => {
    const r = await validate(good());
    assert.equal(r.code, 0, r.out + r.err);
    const lines = r.out.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^✓ Config docktor\.yaml is valid \(1 service\(s\), project 'docktor-validate-[a-z0-9]+'\)$/);
    for (const expected of [/^✓ Docker reachable/, /^✓ Compose file defines service 'web'/, /^✓ NATS reachable: /, new RegExp(`^✓ Stream '${STREAM}' exists`), new RegExp(`^✓ Consumer '${CONSUMER}' exists`)]) {
      assert.ok(lines.some((l) => expected.test(l)), `${expected} in:\n${r.out}`);
    }
    assert.equal(lines[lines.length - 1], 'All checks passed!');
  });

  it('exits 1 with a ✗ line per failing check', async () => {
    const r = await validate(`${good()}  - name: worker
    max_replicas: 2
    rules: {}
    queue: { kind: nats, url: "${natsUrl}", stream: NO_SUCH_${suffix}, consumer: C }
    runtime: { kind: process, command: [no-such-program-${suffix}] }
  - name: api
    max_replicas: 2
    rules: {}
`);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, new RegExp(`^✗ Stream 'NO_SUCH_${suffix}' exists: .*queue\\.stream`, 'm'));
    assert.match(r.out, new RegExp(`^✗ Program 'no-such-program-${suffix}' is executable: .*runtime\\.command`, 'm'));
    assert.match(r.out, /^✗ Compose file defines service 'api'/m);
    assert.match(r.out, new RegExp(`^✓ Stream '${STREAM}' exists`, 'm'));
    assert.match(r.out, /^\d+ check\(s\) failed\.$/m);
  });

  it('exits 2 and runs no live check when the schema fails', async () => {
    const r = await validate('services: [{ name: web, max_replicas: -1, rules: {} }]\n');
    assert.equal(r.code, 2);
    assert.equal(r.out, '');
    assert.match(r.err, /services\[0\]\.max_replicas: must be >= 0/);
  });
});
