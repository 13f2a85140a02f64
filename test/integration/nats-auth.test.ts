// Auth, TLS and reconnection of the NATS queue source against nats-server processes this file
// starts itself (/usr/sbin/nats-server, or $NATS_SERVER_BIN) on free ports, and stops after.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsQueueConfig } from '../../src/config/queue';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import { NatsQueueSource } from '../../src/queues/nats/source';
import { freePort } from '../../src/dev/free-port';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';
const STREAM = 'AUTH_EVENTS';
const CONSUMER = 'AUTH_WORKERS';
const TOKEN = `tok-${process.pid}-${Date.now()}`;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-nats-auth-'));
const servers: NatsServer[] = [];

before(() => {
  if (!fs.existsSync(NATS_SERVER)) {
    throw new Error(`nats-server not found at ${NATS_SERVER}: install it (apt-get install nats-server, or a release from github.com/nats-io/nats-server) or set NATS_SERVER_BIN`);
  }
});

after(async () => {
  for (const s of servers) await s.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('NATS queue source: auth, TLS, reconnect (own nats-server)', () => {
  test('token auth: reads with the token, one connection for many reads, reconnects after a restart', { timeout: 30_000 }, async () => {
    const server = await NatsServer.start('token', ['--auth', TOKEN], { monitor: true });
    await createStreamAndConsumer({ servers: server.url, token: TOKEN }, 5);
    const config: NatsQueueConfig = { kind: 'nats', url: server.url, stream: STREAM, consumer: CONSUMER, auth: { token: TOKEN } };
    const source = new NatsQueueSource({ request_timeout_ms: 1000, reconnect_wait_ms: 200 });
    try {
      const r1 = await source.read(config, { window_seconds: 30 });
      assert.equal(r1.observations['queue.backlog'], 5);
      await source.read(config, { window_seconds: 30, state: r1.state });
      await source.check(config);
      // The server's own view: exactly one client connection, named docktor.
      const connz = await server.connz();
      assert.deepEqual(connz.connections.map((c) => c.name), ['docktor']);

      // Wrong or missing token: a configuration error naming queue.auth, not a retryable one.
      for (const auth of [{ token: 'wrong' }, undefined]) {
        await assert.rejects(source.read({ ...config, auth }, { window_seconds: 30 }), (err: unknown) => {
          assert.ok(err instanceof ConfigurationError, String(err));
          assert.equal(err.field, 'queue.auth');
          return true;
        });
      }

      // Server down under an established connection: retryable, then the same connection comes back.
      const nc = await source.pool.get(config);
      await server.stop();
      await assert.rejects(source.read(config, { window_seconds: 30 }), UnavailableError);
      await server.restart();
      const r2 = await eventually(() => source.read(config, { window_seconds: 30 }), 15_000);
      assert.equal(r2.observations['queue.backlog'], 5);
      assert.equal(await source.pool.get(config), nc, 'the pooled connection reconnected, not replaced');
      assert.equal(source.pool.size, 1);
    } finally {
      await source.close();
    }
  });

  test('user/password auth', { timeout: 20_000 }, async () => {
    const server = await NatsServer.start('userpass', ['--user', 'docktor', '--pass', 's3cret']);
    await createStreamAndConsumer({ servers: server.url, user: 'docktor', pass: 's3cret' }, 2);
    const config: NatsQueueConfig = { kind: 'nats', url: server.url, stream: STREAM, consumer: CONSUMER, auth: { user: 'docktor', password: 's3cret' } };
    const source = new NatsQueueSource();
    try {
      assert.equal((await source.read(config, { window_seconds: 30 })).observations['queue.backlog'], 2);
      const bad = { ...config, auth: { user: 'docktor', password: 'nope' } };
      await assert.rejects(source.read(bad, { window_seconds: 30 }), (err: unknown) => err instanceof ConfigurationError && err.field === 'queue.auth');
      const checks = await source.check(bad);
      assert.equal(checks[0]!.ok, false);
      assert.match(checks[0]!.detail ?? '', /queue\.auth/);
      assert.equal(source.pool.size, 1, 'different credentials, different pool entries; failed ones are not kept');
    } finally {
      await source.close();
    }
  });

  test('TLS with a private CA, server name and client certificate', { timeout: 20_000 }, async () => {
    const pki = makePki(path.join(tmp, 'pki'));
    const server = await NatsServer.start('tls', ['--tlsverify', '--tlscert', pki.serverCert, '--tlskey', pki.serverKey, '--tlscacert', pki.ca]);
    const tls = { ca_file: pki.ca, cert_file: pki.clientCert, key_file: pki.clientKey, server_name: 'nats.docktor.test' };
    await createStreamAndConsumer(
      { servers: server.url, tls: { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey, servername: tls.server_name } as NodeConnectionOptions['tls'] },
      3,
    );
    const config: NatsQueueConfig = { kind: 'nats', url: server.url, stream: STREAM, consumer: CONSUMER, tls };
    const source = new NatsQueueSource({ connect_timeout_ms: 3000 });
    try {
      assert.equal((await source.read(config, { window_seconds: 30 })).observations['queue.backlog'], 3);

      // The certificate is for nats.docktor.test, not 127.0.0.1: without server_name it is refused.
      const { server_name: _omit, ...noName } = tls;
      await assert.rejects(source.read({ ...config, tls: noName }, { window_seconds: 30 }), (err: unknown) => {
        assert.ok(err instanceof ConfigurationError, String(err));
        assert.equal(err.field, 'queue.tls');
        return true;
      });
      // Without our CA the server's certificate is not trusted.
      await assert.rejects(source.read({ ...config, tls: { server_name: tls.server_name } }, { window_seconds: 30 }), (err: unknown) => err instanceof ConfigurationError && err.field === 'queue.tls');
      // A missing file is named before any connect.
      await assert.rejects(source.read({ ...config, tls: { ...tls, ca_file: path.join(tmp, 'nope.pem') } }, { window_seconds: 30 }), (err: unknown) => {
        assert.ok(err instanceof ConfigurationError, String(err));
        assert.equal(err.field, 'queue.tls.ca_file');
        return true;
      });
    } finally {
      await source.close();
    }
  });

  test('a creds file that does not exist is a configuration error naming queue.auth.creds_file', async () => {
    const source = new NatsQueueSource();
    const config: NatsQueueConfig = { kind: 'nats', url: 'nats://127.0.0.1:4222', stream: STREAM, consumer: CONSUMER, auth: { creds_file: path.join(tmp, 'missing.creds') } };
    await assert.rejects(source.read(config, { window_seconds: 30 }), (err: unknown) => {
      assert.ok(err instanceof ConfigurationError, String(err));
      assert.equal(err.field, 'queue.auth.creds_file');
      assert.match(err.message, /missing\.creds/);
      return true;
    });
    const checks = await source.check(config);
    assert.equal(checks[0]!.ok, false);
    await source.close();
  });
});

async function createStreamAndConsumer(options: NodeConnectionOptions, messages: number): Promise<void> {
  const nc = await connect({ ...options, timeout: 3000 });
  try {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: ['auth.>'] });
    await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    for (let i = 0; i < messages; i++) await js.publish('auth.work', `m${i}`);
  } finally {
    await nc.close();
  }
}

async function eventually<T>(attempt: () => Promise<T>, within_ms: number): Promise<T> {
  const deadline = Date.now() + within_ms;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A nats-server child process with JetStream, on a free port, with its own store directory. */
class NatsServer {
  private child?: ChildProcess;
  private constructor(
    private readonly name: string,
    private readonly args: string[],
    readonly port: number,
    readonly monitorPort: number | undefined,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(name: string, extra: string[], options: { monitor?: boolean } = {}): Promise<NatsServer> {
    const port = await freePort();
    const monitorPort = options.monitor ? await freePort() : undefined;
    const store = path.join(tmp, name);
    fs.mkdirSync(store, { recursive: true });
    const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store, ...(monitorPort ? ['-m', String(monitorPort)] : []), ...extra];
    const server = new NatsServer(name, args, port, monitorPort);
    servers.push(server);
    await server.restart();
    return server;
  }

  /** Starts the process (again, same port and store) and waits until it accepts clients. */
  async restart(): Promise<void> {
    const child = spawn(NATS_SERVER, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server (${this.name}) not ready in 10 s:\n${log}`)), 10_000);
      child.stderr!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
        if (log.includes('Server is ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server (${this.name}) exited with ${code}:\n${log}`));
      });
    });
    child.stderr!.resume();
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = undefined;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }

  async connz(): Promise<{ connections: { name?: string }[] }> {
    const res = await fetch(`http://127.0.0.1:${this.monitorPort}/connz`);
    return (await res.json()) as { connections: { name?: string }[] };
  }
}


/** A throwaway CA, a server certificate for nats.docktor.test and a client certificate (openssl). */
function makePki(dir: string) {
  fs.mkdirSync(dir, { recursive: true });
  const f = (name: string) => path.join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=docktor test CA');
  fs.writeFileSync(f('server.ext'), 'subjectAltName=DNS:nats.docktor.test\nextendedKeyUsage=serverAuth\n');
  fs.writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', ...ec, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=docktor test ${who}`);
    ssl('x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.pem`), '-days', '1', '-extfile', f(`${who}.ext`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}
