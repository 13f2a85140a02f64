// examples/laravel-redis works as its README says: the config is the seed's scenario and passes
// `docktor config validate` (pointed at the test Redis), the producer pushes jobs in Laravel's
// format that docktor reads as backlog, the worker (Laravel's own Worker::daemon loop) consumes
// them all, and on SIGTERM it finishes the job in hand and leaves the rest queued. Runs against a
// private database and key prefix. (The scaling itself: test/e2e/redis-frameworks.test.ts and the
// predictive unit tests for a queue without counters.)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { ensureDebianPackages } from '../harness/apt';
import { testRedis, type TestRedis } from '../harness/redis';
import { docktor } from './cli';

const DIR = path.join(process.cwd(), 'examples', 'laravel-redis');
const PACKAGES = ['php-cli', 'php-redis', 'php-illuminate-queue', 'php-illuminate-redis', 'php-illuminate-events'];
const DB = 15;
const id = randomBytes(3).toString('hex');
const PREFIX = `docktor-laravel-example-${id}_`;

let redis: TestRedis;
let r: Redis;

function phpEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, REDIS_HOST: redis.host, REDIS_PORT: String(redis.port), REDIS_DB: String(DB), REDIS_PREFIX: PREFIX, DONE_KEY: 'done', ...extra };
}

/** `php SCRIPT` in the example's folder; resolves with its exit and output. */
function php(script: string, env: Record<string, string>, onStart?: (kill: (s: NodeJS.Signals) => void) => void): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('php', [script], { cwd: DIR, env: phpEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
    onStart?.((s) => child.kill(s));
  });
}

const key = (k: string) => PREFIX + k;
const queued = () => r.llen(key('queues:orders'));

before(async () => {
  await ensureDebianPackages(PACKAGES, 'the Laravel example (examples/laravel-redis)');
  redis = await testRedis();
  r = new Redis({ host: redis.host, port: redis.port, db: DB });
});

after(async () => {
  if (!r) return;
  const keys = await r.keys(`${PREFIX}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
});

describe('examples/laravel-redis', () => {
  it('its config is the seed\'s scenario and passes `docktor config validate`', async () => {
    const file = path.join(DIR, 'docktor.yaml');
    const [worker] = loadConfig(file).services;
    assert.ok(worker);
    assert.equal(worker.strategy, 'predictive');
    assert.equal(worker.sla?.max_pickup_seconds, 30);
    assert.ok(worker.sla?.service_time_seconds, 'service_time_seconds: the queue has no counters');
    assert.equal(worker.queue?.kind, 'redis');
    if (worker.queue?.kind !== 'redis' || worker.runtime.kind !== 'process') return assert.fail('a redis queue and a process runtime');
    assert.deepEqual([worker.queue.format, worker.queue.queue, worker.queue.prefix], ['laravel', 'orders', 'laravel_database_']);
    assert.deepEqual([worker.runtime.command, worker.runtime.cwd], [['php', 'worker.php'], DIR]);

    // The same file pointed at the test Redis, with jobs waiting: docktor reads them as backlog.
    assert.equal((await php('producer.php', { COUNT: '7' })).code, 0);
    const doc = parse(fs.readFileSync(file, 'utf8')) as { services: { queue: Record<string, unknown>; runtime: Record<string, unknown> }[] };
    doc.services[0]!.queue.url = redis.url(DB);
    doc.services[0]!.queue.prefix = PREFIX;
    doc.services[0]!.runtime.cwd = DIR;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-laravel-example-'));
    const copy = path.join(tmp, 'docktor.yaml');
    fs.writeFileSync(copy, stringify(doc));
    const v = await docktor(['config', 'validate', '-c', copy], { ...process.env, DOCKTOR_STATE_DIR: path.join(tmp, 'processes') });
    fs.rmSync(tmp, { recursive: true, force: true });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /✓ laravel queue 'orders' readable: backlog 7, ack_pending 0, delayed 0/);
    await r.del(key('queues:orders'), key('queues:orders:notify'));
  });

  it('the producer\'s jobs are all consumed by a worker', async () => {
    const p = await php('producer.php', { COUNT: '40', FIRST: '1000' });
    assert.equal(p.code, 0, p.out);
    assert.equal(await queued(), 40);
    // --stop-when-empty: the worker exits once the queue is empty.
    const w = await php('worker.php', { WORK_MS: '10', STOP_WHEN_EMPTY: '1' });
    assert.equal(w.code, 0, w.out);
    assert.equal(await r.scard(key('done')), 40, w.out);
    assert.deepEqual([await queued(), await r.zcard(key('queues:orders:reserved'))], [0, 0]);
  });

  it('the producer pushes its bursts, and stops on SIGTERM', async () => {
    await r.del(key('queues:orders'));
    const p = await php('producer.php', { RATE: '0', BURST: '25', BURST_AFTER: '0', BURST_EVERY: '3600' }, (kill) => void sleep(1500).then(() => kill('SIGTERM')));
    assert.equal(p.code, 0, p.out);
    assert.match(p.out, /burst 1: 25 jobs/);
    assert.equal(await queued(), 25);
    await r.del(key('queues:orders'), key('queues:orders:notify'));
  });

  it('on SIGTERM a worker finishes the job in hand and leaves the rest queued', async () => {
    await r.del(key('done'));
    assert.equal((await php('producer.php', { COUNT: '3' })).code, 0);
    let signalled = 0;
    const w = await php('worker.php', { WORK_MS: '1500' }, (kill) => {
      void (async () => {
        for (let i = 0; i < 100 && (await r.zcard(key('queues:orders:reserved'))) === 0; i++) await sleep(50);
        signalled = Date.now();
        kill('SIGTERM');
      })();
    });
    assert.ok(signalled > 0);
    assert.ok(Date.now() - signalled >= 1000, `the worker exited ${Date.now() - signalled} ms after SIGTERM, before its 1.5 s job could end`);
    assert.equal(w.code, 0, w.out);
    assert.match(w.out, /stopped/);
    assert.equal(await r.scard(key('done')), 1, `the job in hand was finished: ${w.out}`);
    assert.deepEqual([await queued(), await r.zcard(key('queues:orders:reserved'))], [2, 0]);
  });
});
