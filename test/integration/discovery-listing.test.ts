// `listQueues` of each source that has one, against the real brokers: NATS durable consumers of
// a stream; the queues of every Redis format, written by the frameworks' own producers; RabbitMQ
// queues of a vhost through the management API (the harness enables the plugin or fails saying how).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import amqp from 'amqplib';
import Redis from 'ioredis';
import { ConfigurationError } from '../../src/errors';
import { NatsQueueSource } from '../../src/queues/nats/source';
import { RabbitmqQueueSource } from '../../src/queues/rabbitmq/source';
import { RedisQueueSource } from '../../src/queues/redis/source';
import { testRabbitmq } from '../harness/rabbitmq';
import { testRedis } from '../harness/redis';
import { ensureFramework, FRAMEWORKS, type Framework } from '../harness/redis-frameworks';
import { testNats } from '../harness/services';

const DB = 7;
const id = randomBytes(3).toString('hex');
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('listQueues', () => {
  it('nats: the durable consumers of the stream, not the ephemeral ones', async () => {
    const { url } = await testNats();
    const nc = await connect({ servers: url });
    const jsm = await jetstreamManager(nc);
    const stream = `DISC_${id}`;
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    cleanups.push(async () => {
      await jsm.streams.delete(stream);
      await nc.close();
    });
    for (const durable_name of ['billing', 'emails']) await jsm.consumers.add(stream, { durable_name, ack_policy: AckPolicy.Explicit });
    await jsm.consumers.add(stream, { ack_policy: AckPolicy.Explicit, inactive_threshold: 60_000_000_000 });
    const source = new NatsQueueSource();
    cleanups.push(() => source.close());
    assert.deepEqual(await source.listQueues({ kind: 'nats', url, stream }), ['billing', 'emails']);
    await assert.rejects(source.listQueues({ kind: 'nats', url, stream: `${stream}_NOPE` }), (e: unknown) => e instanceof ConfigurationError && e.field === 'queue.stream');
  });

  it('rabbitmq: the queues of the vhost, from the management API; without it, an error saying how', async () => {
    const rabbit = await testRabbitmq();
    const conn = await amqp.connect(rabbit.url);
    const ch = await conn.createChannel();
    const names = [`disc-${id}-a`, `disc-${id}-b`];
    for (const q of names) await ch.assertQueue(q, { durable: false });
    cleanups.push(async () => {
      for (const q of names) await ch.deleteQueue(q);
      await conn.close();
    });
    const source = new RabbitmqQueueSource();
    cleanups.push(() => source.close());
    const listed = await source.listQueues({ kind: 'rabbitmq', url: rabbit.url, management_url: rabbit.management_url });
    assert.deepEqual(listed.filter((n) => n.startsWith(`disc-${id}-`)), names);
    assert.ok(listed.every((n) => !n.startsWith('amq.')));
    await assert.rejects(source.listQueues({ kind: 'rabbitmq', url: rabbit.url }), /needs the management HTTP API: set queue\.management_url .*rabbitmq-plugins enable rabbitmq_management/);
  });

  describe('redis', () => {
    const source = new RedisQueueSource();
    cleanups.push(() => source.close());

    async function redisAt(): Promise<{ url: string; r: Redis }> {
      const redis = await testRedis();
      const r = new Redis({ host: redis.host, port: redis.port, db: DB });
      cleanups.push(async () => {
        const keys = await r.keys(`*disc-${id}*`);
        if (keys.length) await r.del(...keys);
        // Sidekiq's queue set and kombu's binding tables name the queues as members, not keys.
        for (const set of ['queues', ...(await r.keys('_kombu.binding.*'))]) {
          const mine = (await r.smembers(set)).filter((m) => m.includes(`disc-${id}`));
          if (mine.length) await r.srem(set, ...mine);
        }
        r.disconnect();
      });
      return { url: redis.url(DB), r };
    }

    it('list and stream: list keys; streams that have the group', async () => {
      const { url, r } = await redisAt();
      await r.rpush(`disc-${id}-l1`, 'x');
      await r.xgroup('CREATE', `disc-${id}-s1`, 'g', '$', 'MKSTREAM');
      await r.xgroup('CREATE', `disc-${id}-s2`, 'other', '$', 'MKSTREAM');
      const mine = (names: string[]) => names.filter((n) => n.includes(`disc-${id}`));
      assert.deepEqual(mine(await source.listQueues({ kind: 'redis', url, format: 'list', cluster: false })), [`disc-${id}-l1`]);
      assert.deepEqual(mine(await source.listQueues({ kind: 'redis', url, format: 'stream', group: 'g', cluster: false })), [`disc-${id}-s1`]);
    });

    for (const format of ['bullmq', 'laravel', 'celery', 'sidekiq'] as const) {
      it(`${format}: the queues its producer wrote to`, { timeout: 300_000 }, async () => {
        const f: Framework = FRAMEWORKS[format];
        await ensureFramework(f);
        const { url } = await redisAt();
        const redis = await testRedis();
        const queues = [`disc-${id}-${format}-a`, `disc-${id}-${format}-b`];
        for (const queue of queues) await f.produce({ redis, db: DB, queue, done_key: `disc-${id}:done`, work_ms: 0 }, 1);
        const listed = await source.listQueues({ kind: 'redis', url, format, cluster: false });
        assert.deepEqual(listed.filter((n) => n.startsWith(`disc-${id}-${format}-`)), queues, `listed: ${listed.join(', ')}`);
      });
    }
  });
});
