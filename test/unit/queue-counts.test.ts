// Which queue sources count arrivals (queue.rate_in): the scaler's reads, and so `docktor tune`'s
// replay of a trace, differ for those that do not (Laravel, Celery, plain lists, Sidekiq, SQS).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { QueueSchema, type QueueConfig } from '../../src/config/queue';
import { countsArrivals } from '../../src/queues/registry';

it('says which queues count arrivals, per kind and Redis format', () => {
  const q = (c: Record<string, unknown>): QueueConfig => QueueSchema.parse(c);
  const redis = (format: string) => q({ kind: 'redis', url: 'redis://127.0.0.1:6379', queue: 'default', format, ...(format === 'stream' ? { group: 'g' } : {}) });
  const counts = {
    nats: q({ kind: 'nats', url: 'nats://127.0.0.1:4222', stream: 'S', consumer: 'C' }),
    rabbitmq: q({ kind: 'rabbitmq', url: 'amqp://127.0.0.1', queue: 'q' }),
    kafka: q({ kind: 'kafka', brokers: ['127.0.0.1:9092'], topic: 't', group: 'g' }),
    'redis stream': redis('stream'),
    'redis bullmq': redis('bullmq'),
  };
  const none = {
    'redis list': redis('list'),
    'redis laravel': redis('laravel'),
    'redis celery': redis('celery'),
    'redis sidekiq': redis('sidekiq'),
    sqs: q({ kind: 'sqs', queue_url: 'http://127.0.0.1:9324/000000000000/q', region: 'us-east-1' }),
  };
  for (const [name, c] of Object.entries(counts)) assert.equal(countsArrivals(c), true, name);
  for (const [name, c] of Object.entries(none)) assert.equal(countsArrivals(c), false, name);
  assert.equal(countsArrivals(undefined), true, 'no queue: nothing to replay without');
});
