// The SQS queue source against a FAKE SQS: fauxqs, served on 127.0.0.1 in this process (no real
// SQS can run here). The figures are compared with GetQueueAttributes as the same fake answers it;
// what the source does beyond that call (the mapping, errors) is the same against AWS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SqsQueueConfig } from '../../src/config/queue';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import type { Json } from '../../src/observations';
import { SqsQueueSource } from '../../src/queues/sqs/source';
import { freePort } from '../../src/dev/free-port';
import { runCli } from '../harness/cli';
import { startFakeSqs, type FakeSqs } from '../harness/fauxqs';

let fake: FakeSqs;
let sqs: SQSClient;
const source = new SqsQueueSource();
let n = 0;

before(async () => {
  // The source takes credentials from the AWS SDK's default chain: the environment, here.
  process.env.AWS_ACCESS_KEY_ID ??= 'docktor-test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'docktor-test';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  fake = await startFakeSqs();
  sqs = new SQSClient({ region: fake.region, endpoint: fake.endpoint });
});

after(async () => {
  await source.close();
  sqs?.destroy();
  await fake?.stop();
});

async function makeQueue(): Promise<{ url: string; config: SqsQueueConfig }> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: `docktor-t-${process.pid}-${++n}` }));
  assert.ok(out.QueueUrl);
  return { url: out.QueueUrl, config: { kind: 'sqs', queue_url: out.QueueUrl, region: fake.region, endpoint: fake.endpoint } };
}

describe('SQS source against a FAKE SQS (fauxqs)', () => {
  test('FAKE SQS: backlog, ack_pending, lag and delayed equal GetQueueAttributes; no rates, consumers or oldest age', async () => {
    const { url, config } = await makeQueue();
    for (let i = 0; i < 7; i++) await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 120 }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 3, VisibilityTimeout: 120 }));
    assert.equal(got.Messages?.length, 3);
    const r = await source.read(config, { window_seconds: 30 });
    const a = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
    assert.deepEqual(r.observations, {
      'queue.backlog': Number(a.ApproximateNumberOfMessages),
      'queue.ack_pending': Number(a.ApproximateNumberOfMessagesNotVisible),
      'queue.lag': Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible),
      'queue.delayed': Number(a.ApproximateNumberOfMessagesDelayed),
    });
    assert.deepEqual([r.observations['queue.backlog'], r.observations['queue.ack_pending'], r.observations['queue.delayed']], [4, 3, 1]);
  });

  test('FAKE SQS: a missing queue is a ConfigurationError naming queue.queue_url', async () => {
    const { config } = await makeQueue();
    const missing = { ...config, queue_url: config.queue_url.replace(/[^/]+$/, 'no-such-queue') };
    const err = await source.read(missing, { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ConfigurationError, String(err));
    assert.equal(err.field, 'queue.queue_url');
    assert.match(err.message, /queue .*no-such-queue does not exist \(queue\.queue_url\)/);
    const checks = await source.check(missing);
    assert.deepEqual(checks.map((c) => c.ok), [true, false], JSON.stringify(checks));
  });

  test('FAKE SQS: no AWS credentials anywhere is a ConfigurationError saying where they come from', async () => {
    const { config } = await makeQueue();
    const keys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_CONFIG_FILE', 'AWS_EC2_METADATA_DISABLED'] as const;
    const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
    const fresh = new SqsQueueSource();
    try {
      for (const k of keys) delete process.env[k];
      Object.assign(process.env, { AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials', AWS_CONFIG_FILE: '/nonexistent/config', AWS_EC2_METADATA_DISABLED: 'true' });
      const err = await fresh.read(config, { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof ConfigurationError, String(err));
      assert.match(err.message, /no AWS credentials/);
    } finally {
      for (const k of keys) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await fresh.close();
    }
  });

  test('an endpoint nothing listens on is an UnavailableError naming queue.endpoint', async () => {
    const port = await freePort();
    const config: SqsQueueConfig = { kind: 'sqs', queue_url: `http://127.0.0.1:${port}/000000000000/jobs`, region: 'us-east-1', endpoint: `http://127.0.0.1:${port}` };
    const err = await source.read(config, { window_seconds: 30 }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof UnavailableError, String(err));
    assert.match(err.message, /unreachable.*\(queue\.endpoint\)/);
    const checks = await source.check(config);
    assert.deepEqual(checks.map((c) => c.ok), [false, false], JSON.stringify(checks));
  });

  test('FAKE SQS: ✓ lines in config validate, the figures in docktor metrics --json', async () => {
    const { url, config } = await makeQueue();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'one' }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-sqs-cli-'));
    fs.writeFileSync(
      path.join(dir, 'docktor.yaml'),
      `services:
  - name: worker
    max_replicas: 3
    rules: {}
    queue: { kind: sqs, queue_url: "${config.queue_url}", region: ${fake.region}, endpoint: "${fake.endpoint}" }
    runtime: { kind: process, command: ["${process.execPath}", "-e", "setInterval(() => {}, 1000)"] }
`,
    );
    const v = await runCli(['config', 'validate'], { cwd: dir });
    assert.equal(v.code, 0, v.out + v.err);
    assert.match(v.out, /^✓ SQS reachable: endpoint http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(v.out, /^✓ SQS queue exists: .*1 visible, 0 in flight, 0 delayed/m);
    const m = await runCli(['metrics', '--json', '--gap', '0'], { cwd: dir });
    assert.equal(m.code, 0, m.out + m.err);
    const [worker] = JSON.parse(m.out) as Array<{ observations: Record<string, Json> }>;
    assert.equal(worker?.observations['queue.backlog'], 1);
    assert.equal(worker?.observations['queue.oldest_age_s'], undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
