// Each framework format's figures equal the framework's own view of the same queue: BullMQ's
// getJobCounts, Laravel's size(), kombu's queue size and Celery's `inspect reserved`, Sidekiq's
// Queue#size and #latency, with the frameworks' real producers and workers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import Redis from 'ioredis';
import { RedisQueueSchema } from '../../src/config/queue';
import type { Observations } from '../../src/observations';
import { RedisQueueSource } from '../../src/queues/redis/source';
import { ensureFramework, FRAMEWORKS, startWorker, type Framework, type FrameworkQueue } from '../harness/redis-frameworks';
import { testRedis } from '../harness/redis';
import { until as pollUntil } from '../harness/until';

const source = new RedisQueueSource();
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  await source.close();
});

/** A fresh queue of the framework in its own database (Celery's and Sidekiq's bookkeeping keys are per database). */
async function setup(f: Framework, db: number, work_ms = 0): Promise<{ q: FrameworkQueue; read: (now_ms?: number, state?: never) => Promise<Observations>; r: Redis }> {
  await ensureFramework(f);
  const redis = await testRedis();
  const id = randomBytes(3).toString('hex');
  const q: FrameworkQueue = { redis, db, queue: `docktor-${f.format}-${id}`, done_key: `docktor-test:${id}:done`, work_ms };
  const r = new Redis({ host: redis.host, port: redis.port, db });
  cleanups.push(async () => {
    const keys = [...(await r.keys(`*${q.queue}*`)), q.done_key];
    if (keys.length) await r.del(...keys);
    r.disconnect();
  });
  const config = RedisQueueSchema.parse({ kind: 'redis', url: redis.url(db), format: f.format, queue: q.queue });
  const read = async (now_ms?: number) => (await source.read(config, { window_seconds: 60, ...(now_ms ? { now_ms } : {}) })).observations;
  return { q, read, r };
}

/** Slower polls and a longer limit than the harness default: real frameworks. */
const until = <T>(what: string, probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000) => pollUntil(what, probe, done, timeoutMs, 200);

describe('redis formats against the real frameworks', () => {
  it('bullmq: backlog = waiting + prioritized, ack_pending = active, delayed = delayed (getJobCounts); age from job timestamps; rate_in from the id counter', async () => {
    const f = FRAMEWORKS.bullmq;
    const { q, read, r } = await setup(f, 14, 2000);
    await f.produce(q, 20);
    await f.produce(q, 5, { first: 100, delay: 60_000 });
    const counts = await f.figures(q);
    const o = await read();
    assert.equal(o['queue.backlog'], counts.waiting! + counts.prioritized!);
    assert.equal(o['queue.backlog'], 20);
    assert.equal(o['queue.delayed'], counts.delayed);
    assert.equal(o['queue.delayed'], 5);
    assert.equal(o['queue.ack_pending'], counts.active);
    assert.ok(o['queue.oldest_age_s']! >= 0 && o['queue.oldest_age_s']! < 30, `oldest_age_s ${o['queue.oldest_age_s']}`);

    const config = RedisQueueSchema.parse({ kind: 'redis', url: q.redis.url(q.db), format: 'bullmq', queue: q.queue });
    const t = Date.now();
    const a = await source.read(config, { window_seconds: 60, now_ms: t });
    await f.produce(q, 10, { first: 200 });
    const b = await source.read(config, { window_seconds: 60, now_ms: t + 2000, state: a.state });
    assert.equal(b.observations['queue.rate_in'], 5, '10 jobs added over 2 s');
    assert.equal(b.observations['queue.rate_out'], 0, 'none finished');

    const worker = startWorker(f, q);
    cleanups.push(() => worker.stop());
    const busy = await until('a job to be active', () => f.figures(q), (c) => c.active === 1);
    const during = await read();
    assert.equal(during['queue.ack_pending'], busy.active);
    assert.equal(during['queue.backlog'], busy.waiting! + busy.prioritized!);
    await until('the worker to finish a job', () => r.scard(q.done_key), (n) => n >= 1, 15_000);
    await worker.stop();
  });

  it('laravel: size() = backlog + ack_pending (reserved) + delayed; no age in Laravel 8 payloads', async () => {
    const f = FRAMEWORKS.laravel;
    const { q, read } = await setup(f, 13, 3000);
    await f.produce(q, 10);
    await f.produce(q, 3, { first: 100, delay: 60 });
    const { size } = await f.figures(q);
    const o = await read();
    assert.equal(size, 13);
    assert.deepEqual([o['queue.backlog'], o['queue.ack_pending'], o['queue.delayed']], [10, 0, 3]);
    assert.equal(o['queue.backlog']! + o['queue.ack_pending']! + o['queue.delayed']!, size);
    assert.equal(o['queue.oldest_age_s'], undefined, 'Laravel 8 payloads carry no push time');

    const worker = startWorker(f, q);
    cleanups.push(() => worker.stop());
    const during = await until('a job to be reserved', read, (x) => x['queue.ack_pending'] === 1);
    const now = await f.figures(q);
    assert.equal(during['queue.backlog']! + during['queue.ack_pending']! + during['queue.delayed']!, now.size, worker.output());
    await worker.stop();
  });

  it('celery: backlog = kombu queue size; ack_pending = the worker\'s reserved (prefetched) tasks', async () => {
    const f = FRAMEWORKS.celery;
    const { q, read } = await setup(f, 11, 4000);
    await f.produce(q, 10);
    const { size } = await f.figures(q);
    const o = await read();
    assert.equal(size, 10);
    assert.equal(o['queue.backlog'], size);
    assert.equal(o['queue.ack_pending'], 0);
    assert.equal(o['queue.oldest_age_s'], undefined, 'kombu messages carry no send time');

    const worker = startWorker(f, q, { PREFETCH: '4' });
    cleanups.push(() => worker.stop());
    // One task runs (acknowledged when it starts), the rest of the prefetch waits unacknowledged.
    const both = await until(
      'Celery to report reserved tasks',
      async () => ({ ours: await read(), theirs: await f.figures(q, 'inspect') }),
      (x) => (x.theirs.reserved ?? 0) > 0 && x.ours['queue.ack_pending'] === x.theirs.reserved,
      40_000,
    );
    assert.equal(both.ours['queue.backlog'], both.theirs.size);
    await worker.stop();
  });

  it('sidekiq: backlog = Queue#size, oldest_age_s = Queue#latency, ack_pending = Workers busy on the queue; rate_out from stat:processed', async () => {
    const f = FRAMEWORKS.sidekiq;
    const { q, read, r } = await setup(f, 12, 0);
    await f.produce(q, 10);
    await sleep(1100);
    const theirs = await f.figures(q);
    const o = await read();
    assert.equal(o['queue.backlog'], theirs.size);
    assert.equal(o['queue.backlog'], 10);
    assert.ok(Math.abs(o['queue.oldest_age_s']! - theirs.latency!) < 1, `ours ${o['queue.oldest_age_s']} vs latency ${theirs.latency}`);

    assert.equal(o['queue.ack_pending'], 0);
    assert.equal(theirs.busy, 0);

    // A slow job: Sidekiq::Workers (from the process's heartbeat) and ack_pending both show it.
    const slow = startWorker(f, q, { WORK_MS: '8000' });
    cleanups.push(() => slow.stop());
    const both = await until(
      'Sidekiq to report a busy job',
      async () => ({ ours: await read(), theirs: await f.figures(q) }),
      (x) => x.theirs.busy === 1 && x.ours['queue.ack_pending'] === 1,
    );
    assert.equal(both.ours['queue.lag'], both.ours['queue.backlog']! + 1);
    await slow.stop();

    const config = RedisQueueSchema.parse({ kind: 'redis', url: q.redis.url(q.db), format: 'sidekiq', queue: q.queue });
    const before = await f.figures(q);
    const remaining = 10 - (await r.scard(q.done_key));
    const t = Date.now();
    const a = await source.read(config, { window_seconds: 600, now_ms: t });
    const worker = startWorker(f, q);
    cleanups.push(() => worker.stop());
    await until('the jobs to be done', () => r.scard(q.done_key), (n) => n === 10, 60_000);
    await until('Sidekiq to count them processed', () => f.figures(q), (x) => x.processed! >= before.processed! + remaining);
    const b = await source.read(config, { window_seconds: 600, now_ms: t + 10_000, state: a.state });
    const after = await f.figures(q);
    assert.equal(b.observations['queue.rate_out'], (after.processed! - before.processed!) / 10);
    assert.equal(b.observations['queue.backlog'], 0);
    assert.equal(b.observations['queue.oldest_age_s'], 0);
    await worker.stop();
  });
});
