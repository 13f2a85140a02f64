// The queue sources by `queue.kind`. The registry's type is mapped over the config schema's kinds,
// so adding a kind to src/config/queue.ts does not compile until it has an implementation here.
import type { QueueConfig } from '../config/queue';
import { kafkaQueueSource } from './kafka/source';
import { natsQueueSource } from './nats/source';
import type { QueueSource } from '../sources/queue-source';
import { redisQueueSource } from './redis/source';
import { rabbitmqQueueSource } from './rabbitmq/source';
import { sqsQueueSource } from './sqs/source';

export type QueueSourceRegistry = { [K in QueueConfig['kind']]: QueueSource<Extract<QueueConfig, { kind: K }>> };

export const queueSources: QueueSourceRegistry = {
  nats: natsQueueSource,
  kafka: kafkaQueueSource,
  redis: redisQueueSource,
  rabbitmq: rabbitmqQueueSource,
  sqs: sqsQueueSource,
};

/** The (process-wide, connection-pooling) source that reads queues of this config's kind. */
export function queueSourceFor(config: QueueConfig): QueueSource {
  return queueSources[config.kind];
}

/** Whether the service's queue counts arrivals (queue.rate_in); true without a queue (nothing to miss). */
export function countsArrivals(config: QueueConfig | undefined): boolean {
  return config === undefined || queueSourceFor(config).countsArrivals(config);
}

/** Closes every source's pooled connections (end of a worker or a CLI command). */
export async function closeQueueSources(): Promise<void> {
  const all: QueueSource[] = Object.values(queueSources);
  await Promise.all(all.map((source) => source.close()));
}
