// The RabbitMQ queue source against the real RabbitMQ on this machine (127.0.0.1:5672, guest/guest,
// or $RABBITMQ_URL) with its management plugin (enabled by the harness). amqplib is the producer and
// consumer: a consumer with a prefetch holds deliveries unacknowledged, so ack_pending is real.
// Each test makes its own queues (and vhost) with unique names and deletes them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { RabbitmqQueueConfig } from '../../src/config/queue';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import type { Json } from '../../src/observations';
import { RabbitmqQueueSource } from '../../src/queues/rabbitmq/source';
import { freePort } from '../../src/dev/free-port';
import { runCli } from '../harness/cli';
import { managementCall, managementQueue, testRabbitmq, type TestRabbitmq } from '../harness/rabbitmq';
import { waitFor } from './process-fixtures';

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const VHOST = `docktor-test-${suffix}`;
let rabbit: TestRabbitmq;
let conn: ChannelModel;
let vhostConn: ChannelModel | undefined;
const source = new RabbitmqQueueSource();
const queues: Array<{ conn: () => ChannelModel; name: string }> = [];
let n = 0;

before(async () => {
  rabbit = await testRabbitmq();
  conn = await amqp.connect(rabbit.url);
  conn.on('error', () => undefined);
  await managementCall(rabbit.management_url, 'PUT', `vhosts/${encodeURIComponent(VHOST)}`, {});
  await managementCall(rabbit.management_url, 'PUT', `permissions/${encodeURIComponent(VHOST)}/guest`, { configure: '.*', write: '.*', read: '.*' });
});

after(async () => {
  await source.close();
  for (const q of queues) {
    const ch = await q.conn().createChannel().catch(() => undefined);
    await ch?.deleteQueue(q.name).catch(() => undefined);
  }
  await vhostConn?.close().catch(() => undefined);
  await conn?.close().catch(() => undefined);
  if (rabbit) await managementCall(rabbit.management_url, 'DELETE', `vhosts/${encodeURIComponent(VHOST)}`);
});

const vhostUrl = () => `${rabbit.url}/${encodeURIComponent(VHOST)}`;

/** A fresh queue on `c`, deleted after the run. */
async function makeQueue(c: ChannelModel, type: 'classic' | 'quorum' = 'classic'): Promise<{ name: string; ch: Channel }> {
  const name = `docktor-t-${suffix}-${++n}`;
  const ch = await c.createConfirmChannel();
  await ch.assertQueue(name, { durable: true, ...(type === 'quorum' ? { arguments: { 'x-queue-type': 'quorum' } } : {}) });
  queues.push({ conn: () => c, name });
  return { name, ch };
}

async function publish(ch: Channel, queue: string, count: number, o: { timestamp_s?: number } = {}): Promise<void> {
  for (let i = 0; i < count; i++) ch.sendToQueue(queue, Buffer.from(`m${i}`), { persistent: true, ...(o.timestamp_s !== undefined ? { timestamp: o.timestamp_s } : {}) });
  await (ch as amqp.ConfirmChannel).waitForConfirms();
}

/** A consumer on its own channel that takes `prefetch` deliveries and leaves them unacknowledged. */
async function holdUnacked(c: ChannelModel, queue: string, prefetch: number): Promise<{ ch: Channel; held: ConsumeMessage[] }> {
  const ch = await c.createChannel();
  await ch.prefetch(prefetch);
  const held: ConsumeMessage[] = [];
  await ch.consume(queue, (m) => m && held.push(m), { noAck: false });
  await waitFor(`${prefetch} deliveries`, () => held.length >= prefetch);
  return { ch, held };
}

/** Management statistics are refreshed every few seconds: wait until they show what the test did. */
function settled(vhost: string, queue: string, want: (q: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return waitFor(`the management API to show the queue's new state`, async () => {
    const q = await managementQueue(rabbit.management_url, vhost, queue);
    return want(q) ? q : undefined;
  }, 30_000);
}

const cfg = (queue: string, o: Partial<RabbitmqQueueConfig> = {}): RabbitmqQueueConfig => ({ kind: 'rabbitmq', url: rabbit.url, queue, management_url: rabbit.management_url, ...o });

describe('RabbitMQ source with the management API', () => {
  test('classic queue: backlog, ack_pending, lag, consumers and oldest age equal the management API\'s view', async () => {
    const { name, ch } = await makeQueue(conn);
    const sent_s = Math.floor(Date.now() / 1000) - 60;
    await publish(ch, name, 10, { timestamp_s: sent_s });
    const consumer = await holdUnacked(conn, name, 3);
    const view = await settled('/', name, (q) => q.messages_ready === 7 && q.messages_unacknowledged === 3 && q.consumers === 1);
    const now_ms = Date.now();
    const r = await source.read(cfg(name), { window_seconds: 30, now_ms });
    assert.equal(r.observations['queue.backlog'], view.messages_ready);
    assert.equal(r.observations['queue.ack_pending'], view.messages_unacknowledged);
    assert.equal(r.observations['queue.lag'], 10);
    assert.equal(r.observations['queue.consumers'], view.consumers);
    assert.equal(view.head_message_timestamp, sent_s, 'the head message\'s timestamp property');
    assert.equal(r.observations['queue.oldest_age_s'], (now_ms - sent_s * 1000) / 1000);
    assert.equal(r.observations['queue.rate_in'], undefined, 'no rates from a first read');
    assert.equal(r.observations['queue.delayed'], undefined, 'RabbitMQ has no delayed count');
    await consumer.ch.close();
  });

  test('rates: publish and consume totals between two reads, as the management API counts them', async () => {
    const { name, ch } = await makeQueue(conn);
    await publish(ch, name, 5);
    const before = await settled('/', name, (q) => (q.message_stats as { publish?: number } | undefined)?.publish === 5);
    const t0 = Date.now();
    const first = await source.read(cfg(name), { window_seconds: 30, now_ms: t0 });
    await publish(ch, name, 20);
    // basic.get, not a consumer: exactly 4 taken and acknowledged, nothing delivered after.
    const getter = await conn.createChannel();
    for (let i = 0; i < 4; i++) {
      const m = await getter.get(name, { noAck: false });
      assert.ok(m, 'a message to get');
      getter.ack(m);
    }
    const stats = (q: Record<string, unknown>) => (q.message_stats ?? {}) as { publish?: number; ack?: number };
    const afterView = await settled('/', name, (q) => stats(q).publish === 25 && (stats(q).ack ?? 0) >= 4);
    const second = await source.read(cfg(name), { window_seconds: 30, now_ms: t0 + 10_000, state: first.state });
    const published = (stats(afterView).publish ?? 0) - (stats(before).publish ?? 0);
    const acked = (stats(afterView).ack ?? 0) - (stats(before).ack ?? 0);
    assert.equal(second.observations['queue.rate_in'], published / 10);
    assert.equal(acked, 4);
    assert.equal(second.observations['queue.rate_out'], acked / 10);
    await getter.close();
  });

  test('quorum queue in its own vhost: counts equal the management API; no oldest age (quorum queues do not report one)', async () => {
    vhostConn = await amqp.connect(vhostUrl());
    vhostConn.on('error', () => undefined);
    const { name, ch } = await makeQueue(vhostConn, 'quorum');
    await publish(ch, name, 6, { timestamp_s: Math.floor(Date.now() / 1000) - 30 });
    const consumer = await holdUnacked(vhostConn, name, 2);
    // The consumer too: the management API reports it a moment after the counts (a CI run read it missing).
    const view = await settled(VHOST, name, (q) => q.messages_ready === 4 && q.messages_unacknowledged === 2 && q.consumers === 1);
    assert.equal(view.type, 'quorum');
    const r = await source.read(cfg(name, { url: vhostUrl() }), { window_seconds: 30 });
    assert.deepEqual(
      [r.observations['queue.backlog'], r.observations['queue.ack_pending'], r.observations['queue.lag'], r.observations['queue.consumers']],
      [view.messages_ready, view.messages_unacknowledged, 6, view.consumers],
    );
    assert.equal(r.observations['queue.oldest_age_s'], undefined);
    const noMgmt = await source.read(cfg(name, { url: vhostUrl(), management_url: undefined }), { window_seconds: 30 });
    assert.deepEqual(noMgmt.observations, { 'queue.backlog': 4, 'queue.consumers': 1 });
    await consumer.ch.close();
  });

  test('messages without a timestamp property: oldest age is absent while messages wait, 0 when none do', async () => {
    const { name, ch } = await makeQueue(conn);
    await publish(ch, name, 3);
    await settled('/', name, (q) => q.messages_ready === 3);
    const r = await source.read(cfg(name), { window_seconds: 30 });
    assert.equal(r.observations['queue.backlog'], 3);
    assert.equal(r.observations['queue.oldest_age_s'], undefined);
    await ch.purgeQueue(name);
    await settled('/', name, (q) => q.messages_ready === 0);
    const empty = await source.read(cfg(name), { window_seconds: 30 });
    assert.equal(empty.observations['queue.oldest_age_s'], 0);
  });

  test('credentials from user + password_env and password_file instead of the URL; never in messages', async () => {
    const { name } = await makeQueue(conn);
    await settled('/', name, (q) => q.messages_ready === 0);
    const bare = rabbit.url.replace(/\/\/[^@/]*@/, '//');
    const pass = decodeURIComponent(new URL(rabbit.url).password);
    const user = decodeURIComponent(new URL(rabbit.url).username);
    const bareMgmt = rabbit.management_url.replace(/\/\/[^@/]*@/, '//');
    process.env.DOCKTOR_TEST_RABBIT_PASSWORD = pass;
    const viaEnv = await source.read(cfg(name, { url: bare, management_url: bareMgmt, user, password_env: 'DOCKTOR_TEST_RABBIT_PASSWORD' }), { window_seconds: 30 });
    assert.equal(typeof viaEnv.observations['queue.backlog'], 'number');
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-rabbit-')), 'password');
    fs.writeFileSync(file, `${pass}\n`);
    const viaFile = await source.read(cfg(name, { url: bare, management_url: undefined, user, password_file: file }), { window_seconds: 30 });
    assert.equal(viaFile.observations['queue.backlog'], 0);
    const secret = 'not-the-password-s3cret';
    const wrong = { url: `amqp://${user}:${secret}@127.0.0.1:${new URL(rabbit.url).port || 5672}`, management_url: undefined };
    const err = await source.read(cfg(name, wrong), { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigurationError, `wrong credentials: ${String(err)}`);
    assert.equal(err.field, 'queue.url');
    assert.match(err.message, /refused the credentials/);
    assert.doesNotMatch(err.message, new RegExp(secret));
  });
});

describe('RabbitMQ source failures', () => {
  test('a missing queue is a ConfigurationError naming queue.queue, with and without the management API', async () => {
    for (const management_url of [rabbit.management_url, undefined]) {
      const err = await source.read(cfg(`docktor-missing-${suffix}`, { management_url }), { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ConfigurationError, `missing queue (management ${management_url ? 'on' : 'off'}): ${String(err)}`);
      assert.equal(err.field, 'queue.queue');
      assert.match(err.message, /queue 'docktor-missing-.*' not found in vhost '\/'/);
    }
  });

  test('a vhost that does not exist is a ConfigurationError naming queue.url', async () => {
    const err = await source.read(cfg('q', { url: `${rabbit.url}/no-such-vhost-${suffix}`, management_url: undefined }), { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigurationError, String(err));
    assert.equal(err.field, 'queue.url');
    assert.match(err.message, /vhost 'no-such-vhost-.*' does not exist/);
  });

  test('wrong management credentials are a ConfigurationError naming queue.management_url', async () => {
    const { name } = await makeQueue(conn);
    const u = new URL(rabbit.management_url);
    u.password = 'wrong-s3cret';
    const err = await source.read(cfg(name, { management_url: u.toString() }), { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigurationError, String(err));
    assert.equal(err.field, 'queue.management_url');
    assert.doesNotMatch(err.message, /wrong-s3cret/);
  });

  test('a broker or management API that is down is an UnavailableError naming the field', async () => {
    const port = await freePort();
    const down = await source.read(cfg('q', { url: `amqp://guest:guest@127.0.0.1:${port}`, management_url: undefined }), { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
    assert.ok(down instanceof UnavailableError, String(down));
    assert.match(down.message, /unreachable.*\(queue\.url\)/);
    const { name } = await makeQueue(conn);
    const mgmtDown = await source.read(cfg(name, { management_url: `http://guest:guest@127.0.0.1:${port}` }), { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
    assert.ok(mgmtDown instanceof UnavailableError, String(mgmtDown));
    assert.match(mgmtDown.message, /management API .* unreachable.*\(queue\.management_url\)/);
    assert.doesNotMatch(mgmtDown.message, /guest:guest/);
  });

  test('check(): ✓ broker, queue and management API; ✗ for a missing queue, never throwing', async () => {
    const { name } = await makeQueue(conn);
    await settled('/', name, (q) => q.messages_ready === 0);
    const good = await source.check(cfg(name));
    assert.deepEqual(good.map((c) => c.ok), [true, true, true], JSON.stringify(good));
    assert.match(good[1]!.label, new RegExp(`Queue '${name}' exists in vhost '/'`));
    assert.match(good[2]!.detail ?? '', /classic queue, 0 ready/);
    const missing = await source.check(cfg(`docktor-missing-${suffix}`));
    assert.deepEqual(missing.map((c) => c.ok), [true, false, false], JSON.stringify(missing));
    const port = await freePort();
    const down = await source.check(cfg(name, { url: `amqp://guest:guest@127.0.0.1:${port}`, management_url: undefined }));
    assert.deepEqual(down.map((c) => c.ok), [false, false]);
  });
});

/** A throwaway CA and a server certificate for rabbit.docktor.test (openssl). */
function makePki(dir: string): { ca: string; cert: string; key: string } {
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=docktor test CA');
  fs.writeFileSync(f('server.ext'), 'subjectAltName=DNS:rabbit.docktor.test\nextendedKeyUsage=serverAuth\n');
  ssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=rabbit.docktor.test');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '1', '-extfile', f('server.ext'));
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server.key') };
}

/** TLS in front of a local port (the test broker has no TLS listener of its own). */
async function tlsTerminator(pki: { cert: string; key: string }, target: number): Promise<{ port: number; close(): void }> {
  const server = tls.createServer({ cert: fs.readFileSync(pki.cert), key: fs.readFileSync(pki.key) }, (client) => {
    const upstream = net.connect(target, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe('RabbitMQ source over TLS (amqps:// and https:// through a local TLS terminator)', () => {
  test('reads with queue.tls (CA and server name); a certificate it cannot verify is a ConfigurationError', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-rabbit-tls-'));
    const pki = makePki(dir);
    const amqps = await tlsTerminator(pki, Number(new URL(rabbit.url).port || 5672));
    const https = await tlsTerminator(pki, Number(new URL(rabbit.management_url).port || 15672));
    const tlsSource = new RabbitmqQueueSource();
    try {
      const { name, ch } = await makeQueue(conn);
      await publish(ch, name, 2);
      await settled('/', name, (q) => q.messages_ready === 2);
      const config = cfg(name, {
        url: `amqps://guest:guest@127.0.0.1:${amqps.port}`,
        management_url: `https://guest:guest@127.0.0.1:${https.port}`,
        tls: { ca_file: pki.ca, server_name: 'rabbit.docktor.test' },
      });
      const r = await tlsSource.read(config, { window_seconds: 30 });
      assert.equal(r.observations['queue.backlog'], 2);
      const amqpOnly = await tlsSource.read({ ...config, management_url: undefined }, { window_seconds: 30 });
      assert.equal(amqpOnly.observations['queue.backlog'], 2);
      const untrusted = await tlsSource.read({ ...config, management_url: undefined, tls: { server_name: 'rabbit.docktor.test' } }, { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
      assert.ok(untrusted instanceof ConfigurationError, String(untrusted));
      assert.match(untrusted.message, /TLS with RabbitMQ .* failed/);
    } finally {
      await tlsSource.close();
      amqps.close();
      https.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('docktor config validate and docktor metrics with a RabbitMQ queue', () => {
  test('✓ lines in validate, the figures in metrics --json', async () => {
    const { name, ch } = await makeQueue(conn);
    await publish(ch, name, 4, { timestamp_s: Math.floor(Date.now() / 1000) - 5 });
    await settled('/', name, (q) => q.messages_ready === 4);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-rabbit-cli-'));
    fs.writeFileSync(
      path.join(dir, 'docktor.yaml'),
      `services:
  - name: worker
    max_replicas: 3
    rules: {}
    queue: { kind: rabbitmq, url: "${rabbit.url}", queue: ${name}, management_url: "${rabbit.management_url}" }
    runtime: { kind: process, command: ["${process.execPath}", "-e", "setInterval(() => {}, 1000)"] }
`,
    );
    const v = await runCli(['config', 'validate'], { cwd: dir });
    assert.equal(v.code, 0, v.out + v.err);
    for (const line of [/^✓ RabbitMQ reachable: amqp:\/\/guest:\*\*\*@/m, new RegExp(`^✓ Queue '${name}' exists in vhost '/'`, 'm'), /^✓ RabbitMQ management API answers: http:\/\/guest:\*\*\*@/m]) {
      assert.match(v.out, line);
    }
    assert.doesNotMatch(v.out + v.err, /guest:guest/);
    const m = await runCli(['metrics', '--json', '--gap', '0'], { cwd: dir });
    assert.equal(m.code, 0, m.out + m.err);
    const [worker] = JSON.parse(m.out) as Array<{ observations: Record<string, Json> }>;
    assert.equal(worker?.observations['queue.backlog'], 4);
    assert.equal(worker?.observations['queue.lag'], 4);
    assert.equal(typeof worker?.observations['queue.oldest_age_s'], 'number');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
