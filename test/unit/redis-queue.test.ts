// The redis source's pure parts: the URL forms (standalone, TLS, Sentinel, Cluster), the config
// schema's rules, and each format's mapping of its facts onto CONTRACT §2 metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisQueueSchema } from '../../src/config/queue';
import { ConfigurationError } from '../../src/errors';
import { parseRedisUrl } from '../../src/queues/redis/connections';
import { bullmqFinished, bullmqObservations, type BullmqFacts } from '../../src/queues/redis/formats/bullmq';
import { celeryKeys, unackedFor } from '../../src/queues/redis/formats/celery';
import { laravelObservations, laravelPushedMs } from '../../src/queues/redis/formats/laravel';
import { busyFor, sidekiqEnqueuedMs, sidekiqObservations } from '../../src/queues/redis/formats/sidekiq';
import { backlogOf, streamObservations, type StreamFacts } from '../../src/queues/redis/formats/stream';

describe('redis URL forms', () => {
  it('standalone, with credentials, database and TLS', () => {
    assert.deepEqual(parseRedisUrl('redis://127.0.0.1:6379/3', false), { mode: 'standalone', node: { host: '127.0.0.1', port: 6379 }, db: 3, tls: false });
    assert.deepEqual(parseRedisUrl('rediss://app:s%40cret@redis.internal', false), {
      mode: 'standalone',
      node: { host: 'redis.internal', port: 6379 },
      db: 0,
      tls: true,
      username: 'app',
      password: 's@cret',
    });
    assert.deepEqual(parseRedisUrl('redis://:pw@h:1', false), { mode: 'standalone', node: { host: 'h', port: 1 }, db: 0, tls: false, password: 'pw' });
  });

  it('Sentinel: hosts, master name and database', () => {
    assert.deepEqual(parseRedisUrl('redis+sentinel://:pw@s1:26379,s2/mymaster/2', false), {
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      master: 'mymaster',
      db: 2,
      tls: false,
      password: 'pw',
    });
  });

  it('Cluster seeds with cluster: true', () => {
    assert.deepEqual(parseRedisUrl('redis://a:7000,b:7001', true), {
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      tls: false,
    });
  });

  it('bad URLs are configuration errors naming queue.url, with the password masked', () => {
    for (const url of ['http://h', 'redis://h/x', 'redis://a,b', 'redis+sentinel://s1', 'redis://u:topsecret@a:1,b:2/3']) {
      assert.throws(
        () => parseRedisUrl(url, url.includes('/3')),
        (e: Error) => e instanceof ConfigurationError && e.field === 'queue.url' && !e.message.includes('topsecret'),
        url,
      );
    }
  });
});

describe('redis queue config', () => {
  const parse = (q: Record<string, unknown>) => RedisQueueSchema.safeParse({ kind: 'redis', ...q });
  it('format stream needs a group; other formats take none; one way to give the password', () => {
    assert.equal(parse({ format: 'stream', queue: 's' }).success, false);
    assert.equal(parse({ format: 'stream', queue: 's', group: 'g' }).success, true);
    assert.equal(parse({ format: 'list', queue: 's', group: 'g' }).success, false);
    assert.equal(parse({ format: 'bullmq', queue: 'q', password: 'x', password_env: 'P' }).success, false);
    assert.equal(parse({ format: 'kafka', queue: 'q' }).success, false);
    const ok = parse({ format: 'bullmq', queue: 'q' });
    assert.ok(ok.success);
    assert.equal(ok.data.url, 'redis://127.0.0.1:6379');
  });
});

describe('redis formats: mapping', () => {
  const now = 1_700_000_100_000;
  const stream = (f: Partial<StreamFacts>): StreamFacts => ({ length: 0, last_generated_id: '0-0', last_delivered_id: '0-0', pending: 0, ...f });

  it('stream: lag when Redis gives it; without it, 0 only when everything was delivered', () => {
    assert.equal(backlogOf(stream({ lag: 4, last_generated_id: '5-0', last_delivered_id: '1-0' })), 4);
    assert.equal(backlogOf(stream({ lag: null, last_generated_id: '5-0', last_delivered_id: '5-0' })), 0);
    assert.equal(backlogOf(stream({ lag: null, last_generated_id: '5-0', last_delivered_id: '3-0' })), undefined);
    assert.equal(backlogOf(stream({ last_generated_id: '5-0', last_delivered_id: '5-1' })), 0, 'id order compares the sequence too');
    const o = streamObservations(stream({ lag: 2, pending: 3, oldest_pending_id: `${now - 5000}-0`, last_generated_id: '9-0' }), now);
    assert.deepEqual(o, { 'queue.ack_pending': 3, 'queue.backlog': 2, 'queue.oldest_age_s': 5, 'queue.lag': 5 });
  });

  it('bullmq: due delayed jobs are backlog; the oldest ready time gives the age; finished = added − still in the queue', () => {
    const f: BullmqFacts = { wait: 3, paused: 0, prioritized: 2, active: 1, delayed: 4, delayed_due: 1, waiting_children: 0, added: 20, ready_since_ms: [now - 7000, now - 2000] };
    assert.deepEqual(bullmqObservations(f, now), { 'queue.backlog': 6, 'queue.ack_pending': 1, 'queue.delayed': 3, 'queue.oldest_age_s': 7, 'queue.lag': 7 });
    assert.equal(bullmqFinished(f), 10);
    const empty = { ...f, wait: 0, prioritized: 0, delayed_due: 0, ready_since_ms: [] };
    assert.equal(bullmqObservations(empty, now)['queue.oldest_age_s'], 0);
    assert.equal(bullmqObservations({ ...f, ready_since_ms: [] }, now)['queue.oldest_age_s'], undefined, 'jobs waiting but no time read: absent');
  });

  it('laravel: age only from a payload time; size() = backlog + ack_pending + delayed', () => {
    const facts = { ready: 5, reserved: 2, delayed: 4, delayed_due: 1 };
    const o = laravelObservations(facts, now);
    assert.deepEqual(o, { 'queue.backlog': 6, 'queue.ack_pending': 2, 'queue.delayed': 3, 'queue.lag': 8 });
    assert.equal(o['queue.backlog']! + o['queue.ack_pending']! + o['queue.delayed']!, 5 + 2 + 4);
    assert.equal(laravelObservations({ ...facts, head_pushed_ms: now - 9000, first_due_ms: now - 3000 }, now)['queue.oldest_age_s'], 9);
    assert.equal(laravelPushedMs('{"uuid":"x","createdAt":1700000000}'), 1_700_000_000_000);
    assert.equal(laravelPushedMs('{"uuid":"x","attempts":0}'), undefined);
    assert.equal(laravelPushedMs('not json'), undefined);
  });

  it('celery: priority lists, and unacked entries told apart by routing key', () => {
    assert.deepEqual(celeryKeys(undefined, 'q').lists, ['q', 'q\x06\x163', 'q\x06\x166', 'q\x06\x169']);
    assert.equal(celeryKeys('p:', 'q').unacked, 'p:unacked');
    const entry = (rk: string) => JSON.stringify([{ body: '...' }, rk, rk]);
    assert.equal(unackedFor([entry('q'), entry('other'), entry('q'), 'garbage'], 'q'), 2);
  });

  it('sidekiq: enqueued_at in seconds (≤ 7) or milliseconds (8), latency as Queue#latency', () => {
    assert.equal(sidekiqEnqueuedMs('{"enqueued_at":1700000000.5}'), 1_700_000_000_500);
    assert.equal(sidekiqEnqueuedMs('{"enqueued_at":1700000000500}'), 1_700_000_000_500);
    assert.equal(sidekiqEnqueuedMs('{}'), undefined);
    assert.deepEqual(sidekiqObservations(3, now - 4000, now), { 'queue.backlog': 3, 'queue.oldest_age_s': 4 });
    assert.deepEqual(sidekiqObservations(0, undefined, now, 2), { 'queue.backlog': 0, 'queue.ack_pending': 2, 'queue.oldest_age_s': 0, 'queue.lag': 2 });
    const work = (queue: string) => JSON.stringify({ queue, payload: '{}', run_at: 1 });
    assert.equal(busyFor([work('q'), work('other'), work('q'), '{'], 'q'), 2);
  });
});
