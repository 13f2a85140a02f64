// The NATS JetStream queue source against the real NATS on this machine (127.0.0.1:4222 or
// $NATS_URL). Each test makes its own stream and consumer with unique names and deletes them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { NatsQueueConfig } from '../../src/config/queue';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import type { Json } from '../../src/observations';
import { NatsQueueSource, natsQueueSource } from '../../src/queues/nats/source';
import { MAX_SAMPLES } from '../../src/queues/nats/rates';
import { closeQueueSources, queueSourceFor } from '../../src/queues/registry';
import { freePort } from '../../src/dev/free-port';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

let nc: NatsConnection;
let jsm: JetStreamManager;
let js: JetStreamClient;
const source = new NatsQueueSource();
const streams: string[] = [];
let counter = 0;

before(async () => {
  try {
    nc = await connect({ servers: NATS_URL, timeout: 3000 });
    jsm = await jetstreamManager(nc);
  } catch (err) {
    throw new Error(
      `NATS with JetStream is needed at ${NATS_URL} (${String(err)}): start one with \`nats-server -js\` or set NATS_URL`,
    );
  }
  js = jetstream(nc);
});

after(async () => {
  for (const s of streams) await jsm.streams.delete(s).catch(() => undefined);
  await source.close();
  await closeQueueSources();
  await nc?.close();
});

/** A fresh stream `<name>` on subjects `<name>.>` with a durable pull consumer; deleted after the run. */
async function fixture(options: { filter?: string; deliver_policy?: DeliverPolicy; ack_wait_ms?: number; create_consumer?: boolean } = {}) {
  const stream = `DOCKTOR_T_${process.pid}_${Date.now()}_${++counter}`;
  const consumer = 'WORKERS';
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
  streams.push(stream);
  if (options.create_consumer !== false) {
    await jsm.consumers.add(stream, {
      durable_name: consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: options.deliver_policy ?? DeliverPolicy.All,
      ack_wait: (options.ack_wait_ms ?? 30_000) * 1_000_000,
      ...(options.filter ? { filter_subject: `${stream}.${options.filter}` } : {}),
    });
  }
  const config: NatsQueueConfig = { kind: 'nats', url: NATS_URL, stream, consumer };
  return {
    stream,
    consumer,
    config,
    async publish(n: number, sub = 'work') {
      for (let i = 0; i < n; i++) await js.publish(`${stream}.${sub}`, `m${i}`);
    },
    /** Pulls up to n messages and leaves them unacknowledged. */
    async fetch(n: number): Promise<JsMsg[]> {
      const c = await js.consumers.get(stream, consumer);
      const batch = await c.fetch({ max_messages: n, expires: 1000 });
      const got: JsMsg[] = [];
      for await (const m of batch) {
        got.push(m);
        if (got.length === n) break;
      }
      return got;
    },
  };
}

async function settle(msgs: JsMsg[], how: 'ack' | 'nak'): Promise<void> {
  for (const m of msgs) {
    if (how === 'ack') await m.ackAck();
    else m.nak();
  }
  await nc.flush();
}

const read = (config: NatsQueueConfig, options: { state?: Json; now_ms?: number; window_seconds?: number } = {}) =>
  source.read(config, { window_seconds: 30, ...options });

describe('NATS JetStream queue source (real NATS)', () => {
  test('fill and drain: backlog, ack_pending, lag, oldest age follow the consumer', async () => {
    const f = await fixture();
    let r = await read(f.config);
    assert.deepEqual(pick(r.observations, ['queue.backlog', 'queue.ack_pending', 'queue.lag', 'queue.redelivered', 'queue.waiting', 'queue.oldest_age_s']), {
      'queue.backlog': 0,
      'queue.ack_pending': 0,
      'queue.lag': 0,
      'queue.redelivered': 0,
      'queue.waiting': 0,
      'queue.oldest_age_s': 0,
    });

    await f.publish(20);
    r = await read(f.config);
    assert.equal(r.observations['queue.backlog'], 20);
    assert.equal(r.observations['queue.ack_pending'], 0);
    assert.equal(r.observations['queue.lag'], 20);
    assert.ok(r.observations['queue.oldest_age_s']! >= 0);

    // A slow consumer: 5 delivered, none acknowledged yet.
    const slow = await f.fetch(5);
    assert.equal(slow.length, 5);
    r = await read(f.config);
    assert.equal(r.observations['queue.backlog'], 15);
    assert.equal(r.observations['queue.ack_pending'], 5);
    assert.equal(r.observations['queue.lag'], 20);

    await settle(slow, 'ack');
    r = await read(f.config);
    assert.equal(r.observations['queue.backlog'], 15);
    assert.equal(r.observations['queue.ack_pending'], 0);
    assert.equal(r.observations['queue.lag'], 15);

    await settle(await f.fetch(15), 'ack');
    r = await read(f.config);
    assert.equal(r.observations['queue.backlog'], 0);
    assert.equal(r.observations['queue.ack_pending'], 0);
    assert.equal(r.observations['queue.lag'], 0);
    assert.equal(r.observations['queue.oldest_age_s'], 0);
    // No previous sample: the first read carries no rates at all (not 0).
    const first = await source.read(f.config, { window_seconds: 30 });
    assert.equal('queue.rate_in' in first.observations, false);
    assert.equal('queue.rate_out' in first.observations, false);
  });

  test('redelivered counts messages delivered again after a nak or an expired ack wait', async () => {
    const f = await fixture({ ack_wait_ms: 300 });
    await f.publish(4);
    await settle(await f.fetch(2), 'nak');
    const again = await f.fetch(4);
    assert.equal(again.length, 4);
    let r = await read(f.config);
    assert.equal(r.observations['queue.redelivered'], 2);
    assert.equal(r.observations['queue.ack_pending'], 4);

    // Leave them unacknowledged past ack_wait, then pull again: all 4 are redeliveries now.
    await sleep(500);
    const third = await f.fetch(4);
    assert.equal(third.length, 4);
    r = await read(f.config);
    assert.equal(r.observations['queue.redelivered'], 4);
    await settle(third, 'ack');
    r = await read(f.config);
    assert.equal(r.observations['queue.redelivered'], 0);
    assert.equal(r.observations['queue.lag'], 0);
  });

  test('waiting counts a pending pull request', async () => {
    const f = await fixture();
    const c = await js.consumers.get(f.stream, f.consumer);
    const pull = await c.fetch({ max_messages: 1, expires: 5000 });
    const drained = (async () => {
      for await (const m of pull) m.ack();
    })();
    try {
      let waiting = 0;
      for (let i = 0; i < 50 && waiting === 0; i++) {
        waiting = (await read(f.config)).observations['queue.waiting']!;
        if (waiting === 0) await sleep(20);
      }
      assert.equal(waiting, 1);
    } finally {
      pull.stop();
      await drained;
    }
  });

  test('oldest age is the age of the first unacknowledged message and moves when it is acked', async () => {
    const f = await fixture();
    await f.publish(1);
    await sleep(1500);
    await f.publish(1);
    const r1 = await read(f.config, { now_ms: Date.now() });
    const age1 = r1.observations['queue.oldest_age_s']!;
    assert.ok(age1 >= 1.4, `oldest age ${age1} s, expected >= 1.4 s`);
    assert.ok(age1 < 60, `oldest age ${age1} s is not plausible`);

    // Delivered but not acknowledged still counts as waiting for its ack.
    const [m1] = await f.fetch(1);
    const r2 = await read(f.config, { now_ms: Date.now() });
    assert.ok(r2.observations['queue.oldest_age_s']! >= age1);

    await settle([m1!], 'ack');
    const r3 = await read(f.config, { now_ms: Date.now() });
    const age3 = r3.observations['queue.oldest_age_s']!;
    assert.ok(age3 <= r2.observations['queue.oldest_age_s']! - 1.4, `after the ack the oldest age should drop by ~1.5 s: ${age1} -> ${age3}`);

    // Everything acknowledged: nothing waits.
    await settle(await f.fetch(1), 'ack');
    assert.equal((await read(f.config)).observations['queue.oldest_age_s'], 0);
  });

  test('oldest age looks only at the consumer\'s filter subject and skips deleted messages', async () => {
    const f = await fixture({ filter: 'mine' });
    await f.publish(1, 'other'); // seq 1, older, not for this consumer
    await sleep(1200);
    await f.publish(3, 'mine'); // seq 2..4
    await jsm.streams.deleteMessage(f.stream, 2);
    const now_ms = Date.now();
    const r = await read(f.config, { now_ms });
    assert.equal(r.observations['queue.backlog'], 2);
    const stored = await jsm.streams.getMessage(f.stream, { seq: 3 });
    assert.ok(stored);
    assert.equal(r.observations['queue.oldest_age_s'], Math.max(0, now_ms - stored.time.getTime()) / 1000);
    assert.ok(r.observations['queue.oldest_age_s']! < 1.2, 'the older message on another subject must not count');
  });

  test('oldest age of a deliver-new consumer ignores what was stored before it was created', async () => {
    const f = await fixture({ create_consumer: false });
    await f.publish(3);
    await sleep(1200);
    await jsm.consumers.add(f.stream, { durable_name: f.consumer, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.New });
    await f.publish(2);
    // Delivered, nothing acknowledged: the server reports the ack floor as 0 here.
    const got = await f.fetch(2);
    assert.equal(got.length, 2);
    const now_ms = Date.now();
    const r = await read(f.config, { now_ms });
    assert.equal(r.observations['queue.ack_pending'], 2);
    const fourth = await jsm.streams.getMessage(f.stream, { seq: 4 });
    assert.ok(fourth);
    assert.equal(r.observations['queue.oldest_age_s'], (now_ms - fourth.time.getTime()) / 1000);
  });

  test('rate_in and rate_out from two reads with injected clock; first read has none', async () => {
    const f = await fixture();
    const t0 = 1_700_000_000_000;
    const r1 = await read(f.config, { now_ms: t0 });
    assert.equal('queue.rate_in' in r1.observations, false);
    assert.equal('queue.rate_out' in r1.observations, false);

    await f.publish(30);
    await settle(await f.fetch(10), 'ack');
    const r2 = await read(f.config, { now_ms: t0 + 10_000, state: r1.state });
    assert.equal(r2.observations['queue.rate_in'], 3);
    assert.equal(r2.observations['queue.rate_out'], 1);

    // Window 30 s: at t0+50 s the newest sample at or before t0+20 s (t0+10 s) is the base.
    await f.publish(8);
    const r3 = await read(f.config, { now_ms: t0 + 50_000, state: r2.state });
    assert.equal(r3.observations['queue.rate_in'], 8 / 40);
    assert.equal(r3.observations['queue.rate_out'], 0);
    assert.equal(r3.observations['queue.rate_span_s'], 40, 'the seconds the rates cover');

    // State stays bounded however many reads come.
    let state = r3.state;
    for (let i = 1; i <= MAX_SAMPLES + 10; i++) state = (await read(f.config, { now_ms: t0 + 50_000 + i * 100, state })).state;
    assert.ok(JSON.stringify(state).length < 8000);
  });

  test('rate_out counts the acknowledgements above the ack floor when they happen, not when the floor moves', async () => {
    const f = await fixture();
    await f.publish(5);
    const t0 = 1_700_000_000_000;
    const r1 = await read(f.config, { now_ms: t0 });
    const [slow, ...rest] = await f.fetch(5);
    assert.equal(rest.length, 4);
    await settle(rest, 'ack'); // the first one is still in service: the floor stays at 0
    const r2 = await read(f.config, { now_ms: t0 + 10_000, state: r1.state });
    assert.equal(r2.observations['queue.ack_pending'], 1);
    assert.equal(r2.observations['queue.rate_out'], 4 / 10, 'the floor alone said 0');
    await settle([slow!], 'ack');
    const r3 = await read(f.config, { now_ms: t0 + 20_000, state: r2.state });
    assert.equal(r3.observations['queue.rate_out'], 5 / 20, 'five in all, the floor jump does not count them again');
  });

  test('a purge or a recreated stream never gives a negative or huge rate', async () => {
    const f = await fixture();
    await f.publish(100);
    const unacked = await f.fetch(3);
    assert.equal(unacked.length, 3);
    const t0 = 1_700_000_000_000;
    const r1 = await read(f.config, { now_ms: t0 });
    await jsm.streams.purge(f.stream);
    const r2 = await read(f.config, { now_ms: t0 + 10_000, state: r1.state });
    assert.equal(r2.observations['queue.backlog'], 0);
    assert.equal(r2.observations['queue.rate_in'], 0);
    // The ack floor jumped over 100 purged messages; at most the 3 delivered ones may count.
    const out = r2.observations['queue.rate_out']!;
    assert.ok(out >= 0 && out <= 0.3, `rate_out after purge: ${out}`);

    // Recreate the stream and consumer with more messages than before: no rate from the old samples.
    await jsm.streams.delete(f.stream);
    await jsm.streams.add({ name: f.stream, subjects: [`${f.stream}.>`] });
    await jsm.consumers.add(f.stream, { durable_name: f.consumer, ack_policy: AckPolicy.Explicit });
    await f.publish(150);
    const r3 = await read(f.config, { now_ms: t0 + 20_000, state: r2.state });
    assert.equal('queue.rate_in' in r3.observations, false);
    assert.equal('queue.rate_out' in r3.observations, false);
    await f.publish(10);
    const r4 = await read(f.config, { now_ms: t0 + 30_000, state: r3.state });
    assert.equal(r4.observations['queue.rate_in'], 1);
    assert.equal(r4.observations['queue.rate_out'], 0);
  });

  test('a missing stream or consumer is a ConfigurationError naming the field and the fix', async () => {
    const f = await fixture();
    const noStream = { ...f.config, stream: `${f.stream}_MISSING` };
    await assert.rejects(read(noStream), (err: unknown) => {
      assert.ok(err instanceof ConfigurationError, String(err));
      assert.equal(err.field, 'queue.stream');
      assert.match(err.message, new RegExp(`stream '${noStream.stream}' not found.*create it.*fix queue\\.stream`));
      return true;
    });
    const noConsumer = { ...f.config, consumer: 'NOBODY' };
    await assert.rejects(read(noConsumer), (err: unknown) => {
      assert.ok(err instanceof ConfigurationError, String(err));
      assert.equal(err.field, 'queue.consumer');
      assert.match(err.message, /consumer 'NOBODY' not found.*queue\.consumer/);
      return true;
    });

    const checks = await source.check(noConsumer);
    assert.deepEqual(checks.map((c) => [c.ok, c.label]), [
      [true, `NATS reachable: ${NATS_URL}`],
      [true, `Stream '${f.stream}' exists`],
      [false, `Consumer 'NOBODY' exists`],
    ]);
    const streamChecks = await source.check(noStream);
    assert.deepEqual(streamChecks.map((c) => c.ok), [true, false, false]);
  });

  test('check() reports reachability, stream and consumer like `config validate`', async () => {
    const f = await fixture();
    const checks = await source.check(f.config);
    assert.deepEqual(checks.map((c) => [c.ok, c.label]), [
      [true, `NATS reachable: ${NATS_URL}`],
      [true, `Stream '${f.stream}' exists`],
      [true, `Consumer '${f.consumer}' exists`],
    ]);
  });

  test('server down: UnavailableError with the URL, fast; check() does not throw', { timeout: 15_000 }, async () => {
    const port = await freePort();
    const url = `nats://127.0.0.1:${port}`;
    const down = new NatsQueueSource({ connect_timeout_ms: 2000 });
    try {
      const config: NatsQueueConfig = { kind: 'nats', url, stream: 'EVENTS', consumer: 'WORKERS' };
      await assert.rejects(down.read(config, { window_seconds: 30 }), (err: unknown) => {
        assert.ok(err instanceof UnavailableError, String(err));
        assert.ok(err.message.includes(url), err.message);
        return true;
      });
      assert.equal(down.pool.size, 0, 'a failed connect is not kept in the pool');
      const checks = await down.check(config);
      assert.deepEqual(checks.map((c) => [c.ok, c.label]), [
        [false, `NATS reachable: ${url}`],
        [false, "Stream 'EVENTS' exists"],
        [false, "Consumer 'WORKERS' exists"],
      ]);
      assert.match(checks[0]!.detail ?? '', /refused/);
    } finally {
      await down.close();
    }
  });

  test('reads share one pooled connection until close()', async () => {
    const f = await fixture();
    const own = new NatsQueueSource();
    try {
      await own.read(f.config, { window_seconds: 30 });
      const first = await own.pool.get(f.config);
      await own.read(f.config, { window_seconds: 30 });
      await own.check(f.config);
      assert.equal(own.pool.size, 1);
      assert.equal(await own.pool.get(f.config), first);
      await own.close();
      assert.equal(own.pool.size, 0);
      assert.equal(first.isClosed(), true);
      await own.read(f.config, { window_seconds: 30 });
      assert.notEqual(await own.pool.get(f.config), first);
    } finally {
      await own.close();
    }
  });

  test('the registry hands out the NATS source for kind nats', async () => {
    const f = await fixture();
    assert.equal(queueSourceFor(f.config), natsQueueSource);
    const r = await queueSourceFor(f.config).read(f.config, { window_seconds: 30 });
    assert.equal(r.observations['queue.lag'], 0);
    await closeQueueSources();
    assert.equal(natsQueueSource.pool.size, 0);
  });
});

function pick(o: Record<string, number>, keys: string[]): Record<string, number | undefined> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

