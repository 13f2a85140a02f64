// The real services every integration test relies on are there and answer: the Temporal dev
// server (with Docktor's search attributes), NATS JetStream and a Docker engine that runs host
// Node in a container.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { runNodeContainer } from '../harness/docker';
import { stopTestServices, testDocker, testNats, testTemporal } from '../harness/services';

after(stopTestServices);

test('the Temporal dev server answers and has the four Docktor search attributes', async () => {
  const { address, namespace } = await testTemporal();
  const connection = await Connection.connect({ address });
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const expected = {
      DocktorService: 'KEYWORD',
      DocktorProject: 'KEYWORD',
      DocktorReplicas: 'INT',
      DocktorPaused: 'BOOL',
    } as const;
    for (const [name, type] of Object.entries(expected)) {
      assert.equal(customAttributes?.[name], encodeSearchAttributeIndexedValueType(type), `search attribute ${name} should be ${type}`);
    }
  } finally {
    await connection.close();
  }
});

test('NATS JetStream stores a published message and delivers it', async () => {
  const { url } = await testNats();
  const nc = await connect({ servers: url.split(',') });
  const id = randomBytes(4).toString('hex');
  const stream = `DOCKTOR_SMOKE_${id}`;
  const subject = `docktor.smoke.${id}`;
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.add({ name: stream, subjects: [subject] });
    const js = jetstream(nc);
    const ack = await js.publish(subject, `hello ${id}`);
    assert.equal(ack.stream, stream);
    assert.equal((await jsm.streams.info(stream)).state.messages, 1);
    const consumer = await js.consumers.get(stream);
    const message = await consumer.next({ expires: 5000 });
    assert.ok(message, 'no message delivered within 5 s');
    assert.equal(message.string(), `hello ${id}`);
  } finally {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
  }
});

test('Docker runs host Node in a container from the empty base image', async () => {
  const harness = await testDocker();
  await harness.docker.ping();
  const run = await runNodeContainer(harness, ['-e', 'console.log(1); console.error("on stderr")']);
  assert.deepEqual(run, { exitCode: 0, stdout: '1\n', stderr: 'on stderr\n' });
});
