// The pure parts of the Kafka source: lag per KEDA's offsetResetPolicy earliest, the idle-consumer
// check, and the config schema (SASL password given exactly one way).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { QueueSchema, type KafkaQueueConfig } from '../../src/config/queue';
import { clientConfig, poolKey } from '../../src/queues/kafka/client';
import { groupLag, idleConsumers, parseOffset } from '../../src/queues/kafka/lag';
import { partitionCheck } from '../../src/queues/kafka/source';

describe('Kafka group lag', () => {
  test('Σ (high − committed); a partition without a commit counts from its low watermark', () => {
    const lag = groupLag(
      [
        { partition: 0, low: 0, high: 10 },
        { partition: 1, low: 4, high: 12 },
        { partition: 2, low: 0, high: 7 },
      ],
      [
        { partition: 0, offset: 6 },
        { partition: 1, offset: -1 },
      ],
    );
    assert.deepEqual(lag, { lag: 4 + 8 + 7, high_sum: 29, position_sum: 6 + 4 + 0, partitions: 3, uncommitted: 2 });
  });

  test('a commit below the low watermark (records deleted by retention) counts from the low watermark', () => {
    assert.equal(groupLag([{ partition: 0, low: 50, high: 60 }], [{ partition: 0, offset: 20 }]).lag, 10);
  });

  test('a fully consumed topic has lag 0, never negative', () => {
    assert.equal(groupLag([{ partition: 0, low: 0, high: 5 }], [{ partition: 0, offset: 5 }]).lag, 0);
    assert.equal(groupLag([{ partition: 0, low: 0, high: 5 }], [{ partition: 0, offset: 9 }]).lag, 0);
  });

  test('offsets must be whole numbers', () => {
    assert.equal(parseOffset('12', 'x'), 12);
    assert.equal(parseOffset('-1', 'x'), -1);
    assert.throws(() => parseOffset('abc', 'partition 3'), /partition 3: not an offset/);
  });
});

describe('Kafka idle consumers (KEDA allowIdleConsumers)', () => {
  const config = QueueSchema.parse({ kind: 'kafka', brokers: ['127.0.0.1:9092'], topic: 'orders', group: 'billing' }) as KafkaQueueConfig;

  test('more replicas than partitions is a ✗ naming the fix', () => {
    assert.equal(idleConsumers(5, 3), 2);
    assert.equal(idleConsumers(3, 3), 0);
    const r = partitionCheck(config, 5, 3);
    assert.equal(r.ok, false);
    assert.match(r.detail ?? '', /2 consumer\(s\) would sit idle.*lower max_replicas to 3.*allow_idle_consumers/);
    assert.equal(partitionCheck(config, 3, 3).ok, true);
  });

  test('allow_idle_consumers accepts it, still saying so', () => {
    const r = partitionCheck({ ...config, allow_idle_consumers: true }, 5, 3);
    assert.equal(r.ok, true);
    assert.match(r.detail ?? '', /2 consumer\(s\) would sit idle/);
  });
});

describe('Kafka queue config', () => {
  const base = { kind: 'kafka', brokers: ['127.0.0.1:9092'], topic: 'orders', group: 'billing' };

  test('brokers are host:port, at least one', () => {
    assert.equal(QueueSchema.safeParse({ ...base, brokers: [] }).success, false);
    assert.equal(QueueSchema.safeParse({ ...base, brokers: ['kafka://h:9092'] }).success, false);
    assert.equal(QueueSchema.safeParse(base).success, true);
  });

  test('SASL needs its password exactly one way', () => {
    const sasl = { mechanism: 'scram-sha-256', username: 'u' };
    assert.equal(QueueSchema.safeParse({ ...base, sasl }).success, false);
    assert.equal(QueueSchema.safeParse({ ...base, sasl: { ...sasl, password: 'p', password_env: 'P' } }).success, false);
    assert.equal(QueueSchema.safeParse({ ...base, sasl: { ...sasl, password_file: '/run/secrets/kafka' } }).success, true);
    assert.equal(QueueSchema.safeParse({ ...base, sasl: { ...sasl, mechanism: 'gssapi', password: 'p' } }).success, false);
  });
});

describe('Kafka client options', () => {
  const timeouts = { connect_timeout_ms: 1000, request_timeout_ms: 2000 };
  const parse = (fields: object) => QueueSchema.parse({ kind: 'kafka', brokers: ['b:9092'], topic: 't', group: 'g', ...fields }) as KafkaQueueConfig;

  test('SASL password from the environment or a file, read on the worker', () => {
    process.env.DOCKTOR_UNIT_KAFKA_PW = 'from-env';
    try {
      const c = clientConfig(parse({ sasl: { mechanism: 'scram-sha-512', username: 'u', password_env: 'DOCKTOR_UNIT_KAFKA_PW' } }), timeouts);
      assert.deepEqual(c.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'from-env' });
    } finally {
      delete process.env.DOCKTOR_UNIT_KAFKA_PW;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-kafka-unit-'));
    try {
      fs.writeFileSync(path.join(dir, 'pw'), 'from-file\n');
      const c = clientConfig(parse({ sasl: { mechanism: 'plain', username: 'u', password_file: path.join(dir, 'pw') } }), timeouts);
      assert.deepEqual(c.sasl, { mechanism: 'plain', username: 'u', password: 'from-file' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => clientConfig(parse({ sasl: { mechanism: 'plain', username: 'u', password_env: 'DOCKTOR_UNIT_KAFKA_UNSET' } }), timeouts), /queue\.sasl\.password_env: environment variable DOCKTOR_UNIT_KAFKA_UNSET is not set/);
  });

  test('TLS: `tls: {}` is TLS with the system CAs; a missing CA file names its field', () => {
    assert.deepEqual(clientConfig(parse({ tls: {} }), timeouts).ssl, {});
    assert.equal(clientConfig(parse({}), timeouts).ssl, undefined);
    assert.throws(() => clientConfig(parse({ tls: { ca_file: '/no/such/ca.pem' } }), timeouts), /queue\.tls\.ca_file: cannot read \/no\/such\/ca\.pem/);
  });

  test('one pooled client per brokers + credentials + TLS', () => {
    const a = parse({ brokers: ['a:1', 'b:2'] });
    assert.equal(poolKey(a), poolKey(parse({ brokers: ['b:2', 'a:1'], topic: 'other', group: 'other' })));
    assert.notEqual(poolKey(a), poolKey(parse({ brokers: ['a:1', 'b:2'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } })));
    assert.notEqual(poolKey(a), poolKey(parse({ brokers: ['a:1', 'b:2'], tls: {} })));
  });
});
