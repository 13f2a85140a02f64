// The redis queue source against a real Redis: list and stream figures (and their rates from
// counters kept in state), the failures an operator must be told about (Redis down, wrong key
// type, missing stream or group, refused credentials), ACL users with the password given inline,
// by environment variable or by file, and `config validate`'s ✓/✗ lines.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { startChild } from '../../src/dev/child-process';
import { freePort } from '../../src/dev/free-port';
import { ensureDebianPackages } from '../harness/apt';
import { RedisQueueSchema, type RedisQueueConfig } from '../../src/config/queue';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import { RedisQueueSource } from '../../src/queues/redis/source';
import { runCli } from '../harness/cli';
import { testRedis, type TestRedis } from '../harness/redis';

const DB = 10;
const id = randomBytes(4).toString('hex');
const key = (name: string) => `docktor-test:${id}:${name}`;
let redis: TestRedis;
let r: Redis;
const source = new RedisQueueSource();

function queue(fields: Record<string, unknown>): RedisQueueConfig {
  return RedisQueueSchema.parse({ kind: 'redis', url: redis.url(DB), ...fields });
}

before(async () => {
  redis = await testRedis();
  r = new Redis({ host: redis.host, port: redis.port, db: DB });
});

after(async () => {
  const keys = await r.keys(`docktor-test:${id}:*`);
  if (keys.length) await r.del(...keys);
  await r.call('ACL', 'DELUSER', `docktor-${id}`).catch(() => undefined);
  r.disconnect();
  await source.close();
});

describe('redis source: list', () => {
  it('backlog is the list length; no age, no rates', async () => {
    const q = queue({ format: 'list', queue: key('list') });
    assert.deepEqual((await source.read(q, { window_seconds: 5 })).observations, { 'queue.backlog': 0 });
    await r.lpush(key('list'), 'a', 'b', 'c');
    const reading = await source.read(q, { window_seconds: 5 });
    assert.deepEqual(reading.observations, { 'queue.backlog': 3 });
  });

  it('a key of another type is a configuration error naming the key, its type and the source', async () => {
    await r.set(key('string'), 'x');
    const q = queue({ format: 'list', queue: key('string') });
    await assert.rejects(source.read(q, { window_seconds: 5 }), (e: Error) => {
      assert.ok(e instanceof ConfigurationError, String(e));
      assert.match(e.message, new RegExp(`Redis at redis://.*\\(list queue '${key('string')}'\\): '${key('string')}' is a string, not a list`));
      return true;
    });
    const lines = await source.check(q);
    assert.deepEqual(lines.map((l) => l.ok), [true, false]);
    assert.match(lines[1]!.detail ?? '', /is a string, not a list/);
  });
});

describe('redis source: stream with a consumer group', () => {
  it('backlog is the group lag, ack_pending its pending entries, age from entry ids, rates from entries-added and acks', async () => {
    const s = key('stream');
    await r.xgroup('CREATE', s, 'workers', '$', 'MKSTREAM');
    const q = queue({ format: 'stream', queue: s, group: 'workers' });
    const t0 = Date.now();
    const first = await source.read(q, { window_seconds: 10, now_ms: t0 });
    assert.deepEqual(first.observations, { 'queue.ack_pending': 0, 'queue.backlog': 0, 'queue.oldest_age_s': 0, 'queue.lag': 0 });
    for (let i = 0; i < 10; i++) await r.xadd(s, `${t0 - 60_000 + i}-0`, 'n', String(i));
    // Undelivered only: the age is the first undelivered entry's.
    let o = (await source.read(q, { window_seconds: 10, now_ms: t0 + 1000, state: first.state })).observations;
    assert.equal(o['queue.backlog'], 10);
    assert.equal(o['queue.ack_pending'], 0);
    assert.equal(o['queue.oldest_age_s'], 61);
    assert.equal(o['queue.rate_in'], 10, '10 entries added in 1 s');
    // 4 delivered, 1 of them acknowledged: the oldest pending one is entry 1.
    const got = (await r.xreadgroup('GROUP', 'workers', 'c1', 'COUNT', 4, 'STREAMS', s, '>')) as Array<[string, Array<[string, string[]]>]>;
    const ids = got[0]![1].map(([entryId]) => entryId);
    await r.xack(s, 'workers', ids[0]!);
    const second = await source.read(q, { window_seconds: 10, now_ms: t0 + 2000, state: first.state });
    o = second.observations;
    assert.equal(o['queue.backlog'], 6);
    assert.equal(o['queue.ack_pending'], 3);
    assert.equal(o['queue.lag'], 9);
    assert.equal(o['queue.oldest_age_s'], 61.999);
    assert.equal(o['queue.rate_in'], 5, '10 entries over 2 s');
    assert.equal(o['queue.rate_out'], 0.5, '1 acknowledged over 2 s');
    assert.equal(o['queue.rate_span_s'], 2);
  });

  it('a missing stream or group is a configuration error saying how to create it', async () => {
    await assert.rejects(source.read(queue({ format: 'stream', queue: key('nostream'), group: 'g' }), { window_seconds: 5 }), (e: Error) => {
      assert.ok(e instanceof ConfigurationError);
      assert.match(e.message, /stream '.*nostream' does not exist \(queue\.queue\): create it .*XGROUP CREATE/);
      return true;
    });
    await assert.rejects(source.read(queue({ format: 'stream', queue: key('stream'), group: 'nogroup' }), { window_seconds: 5 }), (e: Error) => {
      assert.ok(e instanceof ConfigurationError);
      assert.match(e.message, /^Redis at .*: consumer group 'nogroup' not found on stream .* \(queue\.group\)/);
      return true;
    });
  });
});

describe('redis source: connections and credentials', () => {
  it('Redis down is UnavailableError naming the source; check says ✗ twice', async () => {
    const q = RedisQueueSchema.parse({ kind: 'redis', url: 'redis://127.0.0.1:1/0', format: 'list', queue: 'x' });
    await assert.rejects(source.read(q, { window_seconds: 5 }), (e: Error) => {
      assert.ok(e instanceof UnavailableError, String(e));
      assert.match(e.message, /Redis at redis:\/\/127\.0\.0\.1:1\/0 \(list queue 'x'\) is unreachable: .*ECONNREFUSED/);
      return true;
    });
    assert.deepEqual((await source.check(q)).map((l) => l.ok), [false, false]);
  });

  it('an ACL user with its password inline, in the URL, from an env variable or a file; a wrong one is refused and never printed', async () => {
    const user = `docktor-${id}`;
    const password = `pw-${randomBytes(6).toString('hex')}`;
    await r.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '+@all');
    await r.rpush(key('acl'), 'job');
    const base = { format: 'list', queue: key('acl') };
    const url = `redis://${redis.host}:${redis.port}/${DB}`;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-redis-')), 'pw');
    fs.writeFileSync(file, `${password}\n`);
    process.env[`DOCKTOR_TEST_REDIS_PW_${id}`] = password;
    const ways = [
      { url, username: user, password },
      { url: `redis://${user}:${password}@${redis.host}:${redis.port}/${DB}` },
      { url, username: user, password_env: `DOCKTOR_TEST_REDIS_PW_${id}` },
      { url, username: user, password_file: file },
    ];
    for (const way of ways) {
      const o = (await source.read(queue({ ...base, ...way }), { window_seconds: 5 })).observations;
      assert.equal(o['queue.backlog'], 1, JSON.stringify(Object.keys(way)));
    }
    const wrong = queue({ ...base, url: `redis://${user}:not-${password}@${redis.host}:${redis.port}/${DB}` });
    await assert.rejects(source.read(wrong, { window_seconds: 5 }), (e: Error) => {
      assert.ok(e instanceof ConfigurationError, String(e));
      assert.match(e.message, /refused the credentials \(WRONGPASS/);
      assert.ok(!e.message.includes(password), 'the password is not printed');
      assert.match(e.message, new RegExp(`redis://${user}:\\*\\*\\*@`));
      return true;
    });
  });
});

describe('docktor config validate and metrics with redis queues', () => {
  it('one ✓/✗ line per check naming the problem; metrics prints the figures', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-redis-validate-'));
    await r.rpush(key('jobs'), 'a', 'b');
    await r.set(key('notalist'), 'x');
    const runtime = '{ kind: process, command: [node, -e, "0"] }';
    const svc = (name: string, q: string) => `  - { name: ${name}, max_replicas: 2, rules: {}, runtime: ${runtime}, queue: ${q} }\n`;
    const url = redis.url(DB);
    fs.writeFileSync(
      path.join(dir, 'docktor.yaml'),
      'services:\n' +
        svc('good', `{ kind: redis, url: "${url}", format: list, queue: "${key('jobs')}" }`) +
        svc('wrongtype', `{ kind: redis, url: "${url}", format: list, queue: "${key('notalist')}" }`) +
        svc('nogroup', `{ kind: redis, url: "${url}", format: stream, queue: "${key('stream')}", group: missing }`),
    );
    const v = await runCli(['config', 'validate'], { cwd: dir });
    assert.equal(v.code, 1, v.out + v.err);
    assert.match(v.out, /✓ Redis reachable: redis:\/\//);
    assert.match(v.out, new RegExp(`✓ list queue '${key('jobs')}' readable: backlog 2`));
    assert.match(v.out, new RegExp(`✗ list queue '${key('notalist')}' readable: .*is a string, not a list`));
    assert.match(v.out, /✗ stream queue '.*' \(group 'missing'\) readable: .*consumer group 'missing' not found/);

    const m = await runCli(['metrics', 'good', '--json'], { cwd: dir });
    assert.equal(m.code, 0, m.out + m.err);
    const [good] = JSON.parse(m.out) as Array<{ service: string; observations: Record<string, number> }>;
    assert.equal(good?.observations['queue.backlog'], 2);
  });
});

describe('redis source over TLS (rediss://)', () => {
  it('reads through a private TLS-only redis-server with the CA given; a certificate it cannot verify is a configuration error', async () => {
    await ensureDebianPackages(['openssl', 'redis-server'], 'the Redis TLS test');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-redis-tls-'));
    const [cert, keyFile] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const port = await freePort();
    const server = startChild('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert, '--tls-key-file', keyFile, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no'], { cwd: dir });
    const tlsSource = new RedisQueueSource();
    try {
      const q = (tls?: Record<string, string>) => RedisQueueSchema.parse({ kind: 'redis', url: `rediss://127.0.0.1:${port}/0`, format: 'list', queue: 'jobs', ...(tls ? { tls } : {}) });
      let o: Record<string, number> | undefined;
      for (let i = 0; i < 50 && !o; i++) {
        o = await tlsSource.read(q({ ca_file: cert }), { window_seconds: 5 }).then((x) => x.observations, () => undefined);
        if (!o) await sleep(100);
      }
      assert.deepEqual(o, { 'queue.backlog': 0 }, server.outputTail());
      await assert.rejects(tlsSource.read(q(), { window_seconds: 5 }), (e: Error) => {
        assert.ok(e instanceof ConfigurationError, String(e));
        assert.match(e.message, /^TLS with Redis at rediss:\/\/127\.0\.0\.1:\d+\/0 \(list queue 'jobs'\) failed .*self[- ]signed/i);
        return true;
      });
    } finally {
      await tlsSource.close();
      await server.stop(2000);
    }
  });
});
