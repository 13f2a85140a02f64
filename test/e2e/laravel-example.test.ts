// examples/laravel-redis works as its README says: the config is the seed's scenario and passes
// `docktor config validate` (pointed at the test Redis), the producer pushes jobs in Laravel's
// format that docktor reads as backlog, the worker (Laravel's own Worker::daemon loop) consumes
// them all, and on SIGTERM it finishes the job in hand and leaves the rest queued. And the scaling
// itself (issue 28): the example's own config, with the real `docktor worker` on the test Temporal
// server, scales the real PHP workers to at most 4 on each burst of 120 jobs and no job waits more
// than 30 s. Runs against a private database and key prefix.
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
import type { ProcessRuntimeConfig } from '../../src/config/runtime';
import { connectClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { ProcessRuntime } from '../../src/runtimes/process';
import { parseTrace } from '../../src/simulate/trace';
import type { HistoryEntry } from '../../src/model/scaler-state';
import { ensureDebianPackages } from '../harness/apt';
import { testRedis, type TestRedis } from '../harness/redis';
import { stopTestServices, testTemporal } from '../harness/services';
import { docktor, docktorArgv, startBackground } from './cli';

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
function php(script: string, env: Record<string, string>, onStart?: (kill: (s: NodeJS.Signals) => void) => void, timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('php', [script], { cwd: DIR, env: phpEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
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
  await stopTestServices();
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

  it('the producer logs every push to ARRIVALS_LOG, a trace `docktor tune --trace` reads', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-laravel-arrivals-'));
    const log = path.join(tmp, 'arrivals.csv');
    try {
      const before = Date.now() / 1000;
      assert.equal((await php('producer.php', { COUNT: '4', ARRIVALS_LOG: log })).code, 0);
      assert.equal((await php('producer.php', { COUNT: '3', ARRIVALS_LOG: log })).code, 0);
      const lines = fs.readFileSync(log, 'utf8').trimEnd().split('\n');
      assert.equal(lines[0], 'time,order', 'one header, the second run appends');
      assert.equal(lines.length, 8);
      for (const l of lines.slice(1)) {
        const at = Number(l.split(',')[0]);
        assert.ok(at >= before - 1 && at <= Date.now() / 1000 + 1, l);
      }
      const trace = parseTrace(fs.readFileSync(log, 'utf8'), 'auto', log);
      assert.deepEqual([trace.kind, trace.total], ['requests', 7]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
      await r.del(key('queues:orders'), key('queues:orders:notify'));
    }
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

  it('docktor scales the PHP workers to at most 4 on each burst of 120 jobs, and no job waits more than 30 s', { timeout: 420_000 }, async () => {
    // The example's own docktor.yaml, pointed at the test Redis and Temporal server. Steady 1 job/s
    // and a burst of 120 jobs every 60 s, the first 20 s after the producer starts (run.sh's
    // scenario, with the bursts closer together): two bursts.
    await r.del(key('queues:orders'), key('queues:orders:notify'), key('done'), key('waits'));
    const temporal = await testTemporal();
    const file = path.join(DIR, 'docktor.yaml');
    const doc = parse(fs.readFileSync(file, 'utf8')) as { project: string; temporal?: unknown; services: { queue: Record<string, unknown>; runtime: { env: Record<string, string> } & Record<string, unknown> }[] };
    const project = `e2e-laravel-${id}`;
    doc.project = project;
    doc.temporal = { namespace: temporal.namespace, task_queue: project };
    const [svc] = doc.services;
    svc!.queue.url = redis.url(DB);
    svc!.queue.prefix = PREFIX;
    svc!.runtime.cwd = DIR;
    svc!.runtime.env = { ...svc!.runtime.env, REDIS_HOST: redis.host, REDIS_PORT: String(redis.port), REDIS_DB: String(DB), REDIS_PREFIX: PREFIX, DONE_KEY: 'done', WAITS_KEY: 'waits' };
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-laravel-scaling-'));
    const copy = path.join(tmp, 'docktor.yaml');
    fs.writeFileSync(copy, stringify(doc));
    const config = loadConfig(copy);
    const stateDir = path.join(tmp, 'processes');
    const env = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: temporal.address, DOCKTOR_STATE_DIR: stateDir };
    const worker = startBackground(docktorArgv(['worker', '-c', copy]), env);
    const client = await connectClient(config.temporal, temporal.address);
    const t0 = Date.now();
    const say = (line: string) => process.stderr.write(`e2e[laravel example] +${((Date.now() - t0) / 1000).toFixed(1)}s ${line}\n`);
    let history: HistoryEntry[] = [];
    const context = () => `history:\n${history.map((e) => `  ${e.action} ${e.from}→${e.to}${e.applied ? '' : ' (not applied)'}: ${e.reason}`).join('\n')}\nworker:\n${worker.output().slice(-3000)}`;
    let stopProducer: ((s: NodeJS.Signals) => void) | undefined;
    try {
      const up = await docktor(['up', '-c', copy], env);
      assert.equal(up.code, 0, up.stderr);
      const replicas = async () => {
        const [st] = await scalers.status(client, config, 'worker');
        return st?.running ? st.replicas : null;
      };
      for (let i = 0; i < 240 && (await replicas().catch(() => null)) !== 1; i++) await sleep(250);
      assert.equal(await replicas(), 1, `docktor runs min_replicas (1) worker\n${context()}`);
      say('1 worker runs; producer starts');

      const producer = php('producer.php', { RATE: '1', BURST: '120', BURST_AFTER: '20', BURST_EVERY: '60' }, (kill) => (stopProducer = kill), 300_000);
      // Both bursts (at 20 s and 80 s) and the second one's drain.
      let peak = 1;
      const until = Date.now() + 110_000;
      while (Date.now() < until) {
        peak = Math.max(peak, (await replicas().catch(() => null)) ?? 0);
        await sleep(1000);
      }
      stopProducer!('SIGTERM');
      const produced = await producer;
      assert.equal(produced.code, 0, produced.out);
      assert.match(produced.out, /burst 2: 120 jobs/);
      const pushed = Number(/stopped after (\d+) jobs/.exec(produced.out)?.[1]);
      for (let i = 0; i < 120 && (await r.scard(key('done'))) < pushed; i++) await sleep(500);
      say(`${pushed} jobs pushed, ${await r.scard(key('done'))} done`);
      // Back to one worker once the burst has left the window and cooldown.down (30 s) has passed.
      for (let i = 0; i < 120 && (await replicas().catch(() => null)) !== 1; i++) await sleep(500);
      assert.equal(await replicas(), 1, `back to 1 worker after the bursts\n${context()}`);
      history = await scalers.explain(client, config, 'worker', 500);
      const explained = await docktor(['explain', '-c', copy, 'worker', '--tail', '40'], env);
      say(`docktor explain:\n${explained.stdout}`);

      assert.equal(await r.scard(key('done')), pushed, `every job done\n${context()}`);
      // The scaler's targets and the replicas it reported: never more than 4 workers.
      const applied = history.filter((e) => e.applied);
      const targets = Math.max(...applied.map((e) => e.to));
      assert.ok(targets <= 4 && peak <= 4, `at most 4 workers (targets up to ${targets}, replicas seen up to ${peak})\n${context()}`);
      const ups = applied.filter((e) => e.action === 'scale_up' && /^backlog drain: queue\.backlog \d+/.test(e.reason));
      assert.ok(ups.length >= 2, `a scale-up on each burst\n${context()}`);
      const [, worst] = await r.zrevrange(key('waits'), 0, 0, 'WITHSCORES');
      assert.equal(await r.zcard(key('waits')), pushed);
      assert.ok(Number(worst) <= 30, `the longest wait ${worst} s, SLA 30 s\n${context()}`);
      say(`peak ${Math.max(targets, peak)} workers, longest wait ${Number(worst).toFixed(1)} s`);
    } finally {
      stopProducer?.('SIGTERM');
      await docktor(['down', '-c', copy], env).catch(() => undefined);
      await worker.stop();
      const rt = new ProcessRuntime({ stateDir });
      for (const service of config.services) await rt.ensure({ project, service, runtime: service.runtime as ProcessRuntimeConfig }, 0).catch(() => undefined);
      await rt.close();
      await client.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
