// Pure parts of the RabbitMQ and SQS sources: where a config points, how the brokers' figures map
// onto CONTRACT §2 names (absent, never 0, when not reported), rates from kept samples, the schemas.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { QueueSchema } from '../../src/config/queue';
import { redactSecrets } from '../../src/sources/secrets';
import { amqpEndpoint, managementQueueUrl } from '../../src/queues/rabbitmq/endpoint';
import { declareObservations, managementObservations, managementRates, ManagementQueueSchema } from '../../src/queues/rabbitmq/metrics';
import { sqsObservations } from '../../src/queues/sqs/metrics';

describe('RabbitMQ endpoint', () => {
  test('vhost from the URL path: none or %2F is "/", others percent-decoded', () => {
    assert.equal(amqpEndpoint({ url: 'amqp://h' }, undefined).vhost, '/');
    assert.equal(amqpEndpoint({ url: 'amqp://h:5672/' }, undefined).vhost, '/');
    assert.equal(amqpEndpoint({ url: 'amqp://h/%2F' }, undefined).vhost, '/');
    assert.equal(amqpEndpoint({ url: 'amqp://h/shop%2Fprod' }, undefined).vhost, 'shop/prod');
  });

  test('ports and TLS: amqp 5672, amqps 5671', () => {
    assert.deepEqual([amqpEndpoint({ url: 'amqp://h' }, undefined).port, amqpEndpoint({ url: 'amqps://h' }, undefined).port], [5672, 5671]);
    assert.equal(amqpEndpoint({ url: 'amqps://h:1234' }, undefined).tls, true);
  });

  test('credentials: URL, overridden by user / resolved password, guest/guest when none', () => {
    assert.deepEqual(amqpEndpoint({ url: 'amqp://h' }, undefined).credentials, { user: 'guest', password: 'guest' });
    assert.deepEqual(amqpEndpoint({ url: 'amqp://a%40b:p%3Aw@h' }, undefined).credentials, { user: 'a@b', password: 'p:w' });
    assert.deepEqual(amqpEndpoint({ url: 'amqp://a:p@h', user: 'c' }, 'q').credentials, { user: 'c', password: 'q' });
    assert.deepEqual(amqpEndpoint({ url: 'amqp://h', user: 'c' }, 's').credentials, { user: 'c', password: 's' });
  });

  test('management URL: queue path with vhost and name encoded, credentials from it or from AMQP', () => {
    const ep = amqpEndpoint({ url: 'amqp://u:p@h/%2F' }, undefined);
    assert.deepEqual(managementQueueUrl('http://m:15672', ep, 'a b'), { url: 'http://m:15672/api/queues/%2F/a%20b', credentials: { user: 'u', password: 'p' } });
    const own = managementQueueUrl('https://x:y@m/rabbit/', amqpEndpoint({ url: 'amqp://h/prod' }, undefined), 'q');
    assert.deepEqual(own, { url: 'https://m/rabbit/api/queues/prod/q', credentials: { user: 'x', password: 'y' } });
  });
});

describe('RabbitMQ metrics', () => {
  const q = (o: Record<string, unknown>) => ManagementQueueSchema.parse({ name: 'q', vhost: '/', ...o });

  test('management figures: backlog, ack_pending, lag, consumers, oldest age from the head timestamp', () => {
    const now_ms = 1_000_000_000;
    assert.deepEqual(managementObservations(q({ type: 'classic', messages_ready: 7, messages_unacknowledged: 3, consumers: 2, head_message_timestamp: 999_940 }), now_ms), {
      'queue.backlog': 7,
      'queue.ack_pending': 3,
      'queue.lag': 10,
      'queue.consumers': 2,
      'queue.oldest_age_s': 60,
    });
  });

  test('oldest age: 0 when nothing is ready, absent without a head timestamp, absent for quorum queues', () => {
    assert.equal(managementObservations(q({ messages_ready: 0, messages_unacknowledged: 4 }), 0)['queue.oldest_age_s'], 0);
    assert.equal(managementObservations(q({ messages_ready: 3, head_message_timestamp: '' }), 0)['queue.oldest_age_s'], undefined);
    assert.equal(managementObservations(q({ type: 'quorum', messages_ready: 0 }), 0)['queue.oldest_age_s'], undefined);
  });

  test('figures the broker has not reported yet (a queue just declared) are absent', () => {
    assert.deepEqual(managementObservations(q({ type: 'classic', consumers: 0 }), 0), { 'queue.consumers': 0 });
  });

  test('rates from publish and ack + deliver_no_ack + get_no_ack totals over the window; none on a first read', () => {
    const first = managementRates(q({ message_stats: { publish: 10, ack: 2 } }), undefined, 0, 30);
    assert.deepEqual(first.rates, {});
    const second = managementRates(q({ message_stats: { publish: 30, ack: 6, deliver_no_ack: 3, get_no_ack: 1 } }), first.state, 10_000, 30);
    assert.deepEqual(second.rates, { 'queue.rate_in': 2, 'queue.rate_out': 0.8, 'queue.rate_span_s': 10 });
    const recreated = managementRates(q({ message_stats: { publish: 1 } }), second.state, 20_000, 30);
    assert.deepEqual(recreated.rates, {}, 'totals going backwards (queue recreated) reset the samples');
  });

  test('no message_stats: no rates, and the kept samples stay', () => {
    const first = managementRates(q({ message_stats: { publish: 10 } }), undefined, 0, 30);
    const none = managementRates(q({}), first.state, 5000, 30);
    assert.deepEqual([none.rates, none.state], [{}, first.state]);
  });

  test('AMQP alone: backlog and consumers only', () => {
    assert.deepEqual(declareObservations({ messageCount: 5, consumerCount: 2 }), { 'queue.backlog': 5, 'queue.consumers': 2 });
  });
});

describe('SQS metrics', () => {
  test('visible → backlog, not visible → ack_pending, lag, delayed', () => {
    assert.deepEqual(sqsObservations({ ApproximateNumberOfMessages: '4', ApproximateNumberOfMessagesNotVisible: '3', ApproximateNumberOfMessagesDelayed: '1' }), {
      'queue.backlog': 4,
      'queue.ack_pending': 3,
      'queue.lag': 7,
      'queue.delayed': 1,
    });
  });

  test('attributes missing or not counts are absent', () => {
    assert.deepEqual(sqsObservations({ ApproximateNumberOfMessages: '4', ApproximateNumberOfMessagesNotVisible: 'x' }), { 'queue.backlog': 4 });
  });
});

describe('queue schemas', () => {
  test('rabbitmq: amqp(s) URL, one way to give the password, secrets masked in outputs', () => {
    const ok = QueueSchema.parse({ kind: 'rabbitmq', url: 'amqp://u:secret@h/v', queue: 'tasks', management_url: 'http://u:secret@h:15672', password: 'other' });
    assert.equal(JSON.stringify(redactSecrets(ok)).includes('secret'), false);
    assert.equal(JSON.stringify(redactSecrets(ok)).includes('other'), false);
    assert.equal(QueueSchema.safeParse({ kind: 'rabbitmq', url: 'http://h', queue: 'q' }).success, false);
    const two = QueueSchema.safeParse({ kind: 'rabbitmq', url: 'amqp://h', queue: 'q', password: 'a', password_env: 'B' });
    assert.equal(two.success, false);
    assert.match(JSON.stringify(two.error?.issues), /give the secret one way/);
  });

  test('sqs: queue URL, optional region, endpoint may be null', () => {
    assert.equal(QueueSchema.safeParse({ kind: 'sqs', queue_url: 'https://sqs.eu-west-1.amazonaws.com/123/jobs', region: 'eu-west-1', endpoint: null }).success, true);
    assert.equal(QueueSchema.safeParse({ kind: 'sqs', queue_url: 'jobs' }).success, false);
  });
});
