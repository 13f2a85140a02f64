// Queue sources a service can be scaled on. One variant per `kind`; the registry in
// src/queues/ maps each kind to its implementation.
import { z } from 'zod';
import { oneSecretSource, secretFields } from './secret-fields';

export const NatsAuthSchema = z.strictObject({
  token: z.string().min(1).optional(),
  user: z.string().min(1).optional(),
  password: z.string().optional(),
  creds_file: z.string().min(1).optional(),
});

export const TlsSchema = z.strictObject({
  ca_file: z.string().min(1).optional(),
  cert_file: z.string().min(1).optional(),
  key_file: z.string().min(1).optional(),
  server_name: z.string().min(1).optional(),
});
export type Tls = z.infer<typeof TlsSchema>;

export const NatsQueueSchema = z.strictObject({
  kind: z.literal('nats'),
  url: z.string().min(1).default('nats://127.0.0.1:4222'),
  /** Accepted for the seed's config files; JetStream is always used. */
  jetstream: z.boolean().optional(),
  stream: z.string().min(1),
  consumer: z.string().min(1),
  subject: z.string().min(1).optional(),
  /** Accepted for the seed's config files; every metric is always collected. */
  metrics: z.array(z.string()).optional(),
  auth: NatsAuthSchema.optional(),
  tls: TlsSchema.optional(),
});
export type NatsQueueConfig = z.infer<typeof NatsQueueSchema>;

export const RabbitmqQueueSchema = z
  .strictObject({
    kind: z.literal('rabbitmq'),
    /** amqp://user:pass@host:5672/vhost (the path is the vhost, `%2F` or none for `/`); amqps:// for TLS. */
    url: z.string().regex(/^amqps?:\/\/[^/]/i, 'an amqp:// or amqps:// URL, e.g. amqp://user:pass@host:5672/vhost'),
    queue: z.string().min(1),
    /** The management plugin's HTTP API, e.g. http://host:15672; without it only AMQP figures are read. */
    management_url: z.string().regex(/^https?:\/\/[^/]/i, 'an http:// or https:// URL, e.g. http://host:15672').optional(),
    /** Override the URL's user name (and, with a password field, its password). */
    user: z.string().min(1).optional(),
    ...secretFields('password'),
    tls: TlsSchema.optional(),
  })
  .superRefine(oneSecretSource(['password']));
export type RabbitmqQueueConfig = z.infer<typeof RabbitmqQueueSchema>;

export const SqsQueueSchema = z.strictObject({
  kind: z.literal('sqs'),
  queue_url: z.string().regex(/^https?:\/\/[^/]+\/.+/i, 'the queue URL, e.g. https://sqs.eu-west-1.amazonaws.com/123456789012/jobs'),
  /** Default: the AWS SDK's region chain (AWS_REGION, ~/.aws/config). */
  region: z.string().min(1).optional(),
  /** A local or private SQS-compatible server; null or absent: AWS. */
  endpoint: z.string().url('an http:// or https:// URL').nullable().optional(),
});
export type SqsQueueConfig = z.infer<typeof SqsQueueSchema>;

export const QUEUE_KINDS = ['nats', 'rabbitmq', 'sqs'] as const;
export const QueueSchema = z.discriminatedUnion('kind', [NatsQueueSchema, RabbitmqQueueSchema, SqsQueueSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of: ${QUEUE_KINDS.join(', ')}` : undefined),
});
export type QueueConfig = z.infer<typeof QueueSchema>;
