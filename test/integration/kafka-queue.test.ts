// The Kafka queue source against kfake, a Kafka protocol FAKE (github.com/twmb/franz-go/pkg/kfake;
// no Kafka broker can be installed here; test/harness/kfake.ts builds and starts it). The expected
// figures are always taken from kafkajs's own admin view of the same topic and group
// (fetchTopicOffsets, fetchOffsets, describeGroups), written and consumed by real kafkajs
// producers and consumer groups, so the test checks our arithmetic against the protocol's
// answers, not against anything kfake alone decides.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Kafka, logLevel, type Admin, type Consumer, type Producer } from 'kafkajs';
import { QueueSchema, type KafkaQueueConfig } from '../../src/config/queue';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import { KafkaQueueSource } from '../../src/queues/kafka/source';
import { runCli } from '../harness/cli';
import { startKfake, type KfakeCluster } from '../harness/kfake';

const PARTITIONS = 3;
let cluster: KfakeCluster;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const consumers: Consumer[] = [];
const source = new KafkaQueueSource();
let counter = 0;

before(async () => {
  cluster = await startKfake({ partitions: PARTITIONS });
  kafka = new Kafka({ clientId: 'docktor-test', brokers: [cluster.broker], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer();
  await producer.connect();
});

after(async () => {
  await Promise.all(consumers.map((c) => c.disconnect().catch(() => undefined)));
  await source.close();
  await producer?.disconnect();
  await admin?.disconnect();
  await cluster?.stop();
});

function kafkaConfig(fields: Partial<KafkaQueueConfig> & Pick<KafkaQueueConfig, 'topic' | 'group'>): KafkaQueueConfig {
  return QueueSchema.parse({ kind: 'kafka', brokers: [cluster.broker], ...fields }) as KafkaQueueConfig;
}

/** A fresh topic with `perPartition[i]` records written to partition i. */
async function topicWith(perPartition: number[]): Promise<string> {
  const topic = `docktor-t-${process.pid}-${++counter}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: perPartition.length }], waitForLeaders: true });
  await produce(topic, perPartition);
  return topic;
}

async function produce(topic: string, perPartition: number[]): Promise<void> {
  const messages = perPartition.flatMap((n, partition) => Array.from({ length: n }, (_, i) => ({ partition, value: `m${partition}-${i}` })));
  await producer.send({ topic, messages });
}

/** The lag as computed from kafkajs's admin view: Σ high − (committed, or low when none). */
async function adminLag(topic: string, group: string): Promise<{ lag: number; members: number; partitions: number }> {
  const offsets = await admin.fetchTopicOffsets(topic);
  let committed: Array<{ partition: number; offset: string }> = [];
  try {
    committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]?.partitions ?? [];
  } catch (err) {
    if ((err as { type?: string }).type !== 'GROUP_ID_NOT_FOUND') throw err;
  }
  let lag = 0;
  for (const p of offsets) {
    const c = Number(committed.find((x) => x.partition === p.partition)?.offset ?? -1);
    lag += Number(p.high) - (c >= 0 ? c : Number(p.low));
  }
  const described = await admin.describeGroups([group]);
  return { lag, members: described.groups[0]?.members.length ?? 0, partitions: offsets.length };
}

/** A consumer of `group` that commits, on each partition, up to `commitUpTo[partition]` records (none when absent). */
async function committingConsumer(topic: string, group: string, commitUpTo: Record<number, number>): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 5000 });
  consumers.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const next = Number(message.offset) + 1;
      if (next <= (commitUpTo[partition] ?? 0)) await consumer.commitOffsets([{ topic, partition, offset: String(next) }]);
    },
  });
  return consumer;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Kafka queue source (against kfake, a Kafka protocol fake)', () => {
  test('lag, backlog, consumers and partitions equal kafkajs admin’s view of a group that committed part of the topic', async () => {
    const topic = await topicWith([10, 12, 8]);
    const group = `g-${counter}`;
    // Partition 0: 4 of 10 committed; partition 1: all 12; partition 2: never committed.
    await committingConsumer(topic, group, { 0: 4, 1: 12 });
    await committingConsumer(topic, group, { 0: 4, 1: 12 });
    const view = await until('the commits and both members', async () => {
      const v = await adminLag(topic, group);
      return v.lag === 6 + 0 + 8 && v.members === 2 ? v : undefined;
    });
    const { observations } = await source.read(kafkaConfig({ topic, group }), { window_seconds: 30 });
    assert.equal(observations['queue.lag'], view.lag);
    assert.equal(observations['queue.backlog'], view.lag);
    assert.equal(observations['queue.consumers'], view.members);
    assert.equal(observations['queue.partitions'], PARTITIONS);
    assert.equal(observations['queue.ack_pending'], undefined, 'Kafka has no per-message acks: absent, not 0');
    assert.equal(observations['queue.rate_in'], undefined, 'no rates from a first read');
  });

  test('a partition with no commit counts from its low watermark (KEDA offsetResetPolicy: earliest)', async () => {
    const topic = await topicWith([5, 9]);
    const group = `g-${counter}`;
    await committingConsumer(topic, group, { 0: 5 });
    await until('the commit', async () => ((await adminLag(topic, group)).lag === 9 ? true : undefined));
    await consumers.pop()!.disconnect();
    // Records below offset 4 of partition 1 deleted: its low watermark moves to 4.
    await admin.deleteTopicRecords({ topic, partitions: [{ partition: 1, offset: '4' }] });
    const low = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 1)?.low;
    assert.equal(low, '4');
    const view = await adminLag(topic, group);
    assert.equal(view.lag, 5);
    const { observations } = await source.read(kafkaConfig({ topic, group }), { window_seconds: 30 });
    assert.equal(observations['queue.lag'], view.lag);
    assert.equal(observations['queue.consumers'], 0);
  });

  test('rate_in from high-watermark sums, rate_out from committed-offset sums, over the window', async () => {
    const topic = await topicWith([4, 4, 4]);
    const group = `g-${counter}`;
    const config = kafkaConfig({ topic, group });
    const t0 = Date.now();
    const first = await source.read(config, { window_seconds: 30, now_ms: t0 });
    await produce(topic, [2, 2, 2]);
    await committingConsumer(topic, group, { 0: 6, 1: 3 });
    await until('the commits', async () => ((await adminLag(topic, group)).lag === 18 - 9 ? true : undefined));
    const second = await source.read(config, { window_seconds: 30, now_ms: t0 + 3000, state: first.state });
    assert.equal(second.observations['queue.rate_in'], 6 / 3);
    assert.equal(second.observations['queue.rate_out'], 9 / 3);
    assert.equal(second.observations['queue.rate_span_s'], 3);
    assert.equal(second.observations['queue.lag'], 9);
  });

  test('a group that does not exist: lag counted from the low watermarks, and validate flags queue.group', async () => {
    const topic = await topicWith([3, 4, 0]);
    const config = kafkaConfig({ topic, group: `no-such-group-${counter}` });
    const { observations } = await source.read(config, { window_seconds: 30 });
    assert.equal(observations['queue.lag'], (await adminLag(topic, config.group)).lag);
    assert.equal(observations['queue.lag'], 7);
    const checks = await source.check(config, { max_replicas: 3 });
    const group = checks.find((c) => c.label.includes(config.group));
    assert.equal(group?.ok, false);
    assert.match(group?.detail ?? '', /queue\.group/);
  });

  test('a missing topic is a ConfigurationError naming queue.topic', async () => {
    const config = kafkaConfig({ topic: `no-such-topic-${process.pid}`, group: 'g' });
    await assert.rejects(source.read(config, { window_seconds: 30 }), (err: unknown) => {
      assert.ok(err instanceof ConfigurationError, String(err));
      assert.equal(err.field, 'queue.topic');
      assert.match(err.message, /topic 'no-such-topic-\d+' not found.*queue\.topic/);
      return true;
    });
  });

  test('a missing or deleted topic does not break the reads of other topics sharing the pooled client', async () => {
    const kept = await topicWith([2, 2]);
    // Written and deleted by a client of its own: kafkajs clients that knew a deleted topic keep
    // failing on it, which is what this test makes sure docktor's pooled client does not.
    const doomed = `docktor-doomed-${process.pid}`;
    const own = new Kafka({ brokers: [cluster.broker], logLevel: logLevel.NOTHING });
    const ownAdmin = own.admin();
    const ownProducer = own.producer();
    await Promise.all([ownAdmin.connect(), ownProducer.connect()]);
    await ownAdmin.createTopics({ topics: [{ topic: doomed, numPartitions: 1 }], waitForLeaders: true });
    await ownProducer.send({ topic: doomed, messages: [{ value: 'x' }] });
    const keptConfig = kafkaConfig({ topic: kept, group: 'g' });
    const doomedConfig = kafkaConfig({ topic: doomed, group: 'g' });
    assert.equal((await source.read(doomedConfig, { window_seconds: 30 })).observations['queue.lag'], 1);
    await ownAdmin.deleteTopics({ topics: [doomed] });
    await Promise.all([ownAdmin.disconnect(), ownProducer.disconnect()]);
    const missing = kafkaConfig({ topic: `no-such-topic-${process.pid}-x`, group: 'g' });
    for (let i = 0; i < 5; i++) {
      const [a, b, c] = await Promise.allSettled([
        source.read(missing, { window_seconds: 30 }),
        source.read(keptConfig, { window_seconds: 30 }),
        source.read(doomedConfig, { window_seconds: 30 }),
      ]);
      assert.ok(a.status === 'rejected' && a.reason instanceof ConfigurationError && a.reason.field === 'queue.topic', String(a.status === 'rejected' ? a.reason : a.status));
      // A read that shared the client the deleted topic's read dropped may fail as unavailable (retried), never as misconfigured.
      if (b.status === 'rejected') assert.ok(b.reason instanceof UnavailableError, String(b.reason));
      assert.ok(c.status === 'rejected' && c.reason instanceof ConfigurationError && c.reason.field === 'queue.topic', String(c.status === 'rejected' ? c.reason : c.status));
    }
    assert.equal((await source.read(keptConfig, { window_seconds: 30 })).observations['queue.lag'], 4);
  });

  test('max_replicas above the partition count is a ✗ in the check, unless allow_idle_consumers', async () => {
    const topic = await topicWith([1, 1, 1]);
    const group = `g-${counter}`;
    const checks = await source.check(kafkaConfig({ topic, group }), { max_replicas: 5 });
    const idle = checks.find((c) => c.label.startsWith('max_replicas'));
    assert.equal(idle?.ok, false, JSON.stringify(checks));
    assert.match(idle?.detail ?? '', /2 consumer\(s\) would sit idle.*lower max_replicas to 3/);
    const allowed = (await source.check(kafkaConfig({ topic, group, allow_idle_consumers: true }), { max_replicas: 5 })).find((c) => c.label.startsWith('max_replicas'));
    assert.equal(allowed?.ok, true);
    const fits = (await source.check(kafkaConfig({ topic, group }), { max_replicas: 3 })).find((c) => c.label.startsWith('max_replicas'));
    assert.equal(fits?.ok, true);
  });

  test('a broker that goes down is an UnavailableError naming queue.brokers; the pooled client is replaced when it is back', async () => {
    const other = await startKfake({ partitions: 1 });
    const port = Number(other.broker.split(':')[1]);
    const otherKafka = new Kafka({ brokers: [other.broker], logLevel: logLevel.NOTHING });
    const otherAdmin = otherKafka.admin();
    await otherAdmin.connect();
    await otherAdmin.createTopics({ topics: [{ topic: 'down', numPartitions: 1 }] });
    await otherAdmin.disconnect();
    const config = kafkaConfig({ topic: 'down', group: 'g', brokers: [other.broker] });
    assert.equal((await source.read(config, { window_seconds: 30 })).observations['queue.lag'], 0);
    await other.stop();
    await assert.rejects(source.read(config, { window_seconds: 30 }), (err: unknown) => {
      assert.ok(err instanceof UnavailableError, String(err));
      assert.match(err.message, new RegExp(`Kafka at 127\\.0\\.0\\.1:${port}.*queue\\.brokers`));
      return true;
    });
    // Back on the same port (a fresh, empty cluster): the next read connects anew.
    const again = await startKfake({ partitions: 1, port });
    try {
      const a = new Kafka({ brokers: [again.broker], logLevel: logLevel.NOTHING }).admin();
      await a.connect();
      await a.createTopics({ topics: [{ topic: 'down', numPartitions: 1 }] });
      await a.disconnect();
      assert.equal((await source.read(config, { window_seconds: 30 })).observations['queue.partitions'], 1);
    } finally {
      await again.stop();
    }
  });

  // kfake's SaslHandshake answer leaves out the server's mechanism list, which kafkajs checks before
  // authenticating, so no kafkajs client (ours or the test's) can log in to it: a successful SASL
  // login is not tested here (the options kafkajs gets are, in test/unit/kafka-lag.test.ts).
  test('SASL refused by the broker is a ConfigurationError naming the credentials, never showing the password', async () => {
    const secure = await startKfake({ partitions: 1, sasl: { mechanism: 'SCRAM-SHA-256', user: 'docktor', password: 's3cret-pw' } });
    try {
      const bad = kafkaConfig({ topic: 'secure', group: 'g', brokers: [secure.broker], sasl: { mechanism: 'scram-sha-256', username: 'docktor', password: 'wrong-pw-123' } });
      await assert.rejects(source.read(bad, { window_seconds: 30 }), (err: unknown) => {
        assert.ok(err instanceof ConfigurationError, String(err));
        assert.match(err.message, /Kafka at 127\.0\.0\.1:\d+ refused the credentials .*queue\.brokers/);
        assert.doesNotMatch(err.message, /wrong-pw-123|s3cret-pw/);
        return true;
      });
      const checks = await source.check(bad);
      assert.equal(checks[0]?.ok, false);
      assert.doesNotMatch(JSON.stringify(checks), /wrong-pw-123/);
    } finally {
      await secure.stop();
    }
  });

  test('`docktor config validate` and `docktor metrics --json` show the Kafka source', async () => {
    const topic = await topicWith([2, 3, 1]);
    const group = `g-${counter}`;
    await committingConsumer(topic, group, { 1: 3 });
    await until('the commit', async () => ((await adminLag(topic, group)).lag === 3 ? true : undefined));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-kafka-'));
    try {
      const yaml = (max: number) => `services:
  - name: billing
    max_replicas: ${max}
    rules: {}
    runtime: { kind: process, command: [node, -e, "setInterval(() => {}, 1000)"] }
    queue: { kind: kafka, brokers: ["${cluster.broker}"], topic: ${topic}, group: ${group} }
`;
      fs.writeFileSync(path.join(dir, 'docktor.yaml'), yaml(3));
      const ok = await runCli(['config', 'validate'], { cwd: dir });
      assert.equal(ok.code, 0, ok.out + ok.err);
      assert.match(ok.out, new RegExp(`✓ Topic '${topic}' exists: 3 partition\\(s\\), 6 record\\(s\\) written`));
      assert.match(ok.out, new RegExp(`✓ Consumer group '${group}' exists: Stable, 1 member\\(s\\), committed on 1/3 partition\\(s\\), lag 3`));
      fs.writeFileSync(path.join(dir, 'docktor.yaml'), yaml(4));
      const idle = await runCli(['config', 'validate'], { cwd: dir });
      assert.equal(idle.code, 1);
      assert.match(idle.out, new RegExp(`✗ max_replicas 4 <= partitions of topic '${topic}' \\(3\\): up to 1 consumer\\(s\\) would sit idle`));
      const metrics = await runCli(['metrics', '--json', '--gap', '1'], { cwd: dir });
      assert.equal(metrics.code, 0, metrics.out + metrics.err);
      const [billing] = JSON.parse(metrics.out) as Array<{ observations: Record<string, number> }>;
      assert.equal(billing?.observations['queue.lag'], 3);
      assert.equal(billing?.observations['queue.consumers'], 1);
      assert.equal(billing?.observations['queue.rate_in'], 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
