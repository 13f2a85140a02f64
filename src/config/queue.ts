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

export const KafkaSaslSchema = z
  .strictObject({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    username: z.string().min(1),
    ...secretFields('password'),
  })
  .superRefine(oneSecretSource(['password']))
  .refine((s) => s.password !== undefined || s.password_env !== undefined || s.password_file !== undefined, {
    message: 'give the password as password, password_env or password_file',
    path: ['password'],
  });

export const KafkaQueueSchema = z.strictObject({
  kind: z.literal('kafka'),
  /** Bootstrap brokers, `host:port`. */
  brokers: z.array(z.string().regex(/^[^\s:/]+:\d+$/, 'host:port')).min(1),
  topic: z.string().min(1),
  /** The consumer group whose lag is read. */
  group: z.string().min(1),
  sasl: KafkaSaslSchema.optional(),
  /** TLS to the brokers; `tls: {}` uses the system's CAs. */
  tls: TlsSchema.optional(),
  /** Accept max_replicas above the partition count (KEDA's allowIdleConsumers): the extra consumers idle. */
  allow_idle_consumers: z.boolean().default(false),
});
export type KafkaQueueConfig = z.infer<typeof KafkaQueueSchema>;

/** How jobs are kept in Redis: a plain list or stream, or a framework's own keys. */
export const REDIS_FORMATS = ['list', 'stream', 'bullmq', 'laravel', 'celery', 'sidekiq'] as const;
export type RedisFormat = (typeof REDIS_FORMATS)[number];

export const RedisQueueSchema = z
  .strictObject({
    kind: z.literal('redis'),
    /** redis://, rediss:// (TLS), redis+sentinel://h1:26379,h2:26379/<master>[/db], or several redis:// seeds with `cluster: true`. */
    url: z.string().min(1).default('redis://127.0.0.1:6379'),
    format: z.enum(REDIS_FORMATS),
    /** The name the framework uses: list key, stream key, BullMQ/Laravel/Celery/Sidekiq queue name. */
    queue: z.string().min(1),
    /** Stream consumer group (format: stream). */
    group: z.string().min(1).optional(),
    /** Key prefix: BullMQ's (default `bull`), Laravel's connection prefix, Sidekiq's namespace. */
    prefix: z.string().optional(),
    /** Redis Cluster: `url` lists seed nodes. */
    cluster: z.boolean().default(false),
    /** ACL user (else the URL's user). */
    username: z.string().min(1).optional(),
    /** Password (else the URL's). */
    ...secretFields('password'),
    tls: TlsSchema.optional(),
  })
  .superRefine(oneSecretSource(['password']))
  .superRefine((q, ctx) => {
    if (q.format === 'stream' && !q.group) ctx.addIssue({ code: 'custom', path: ['group'], message: 'required with format: stream (the consumer group to read)' });
    if (q.format !== 'stream' && q.group) ctx.addIssue({ code: 'custom', path: ['group'], message: `only for format: stream (format is ${q.format})` });
  });
export type RedisQueueConfig = z.infer<typeof RedisQueueSchema>;

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

export const QUEUE_KINDS = ['nats', 'redis', 'rabbitmq', 'kafka', 'sqs'] as const;
export const QueueSchema = z.discriminatedUnion('kind', [NatsQueueSchema, RedisQueueSchema, RabbitmqQueueSchema, KafkaQueueSchema, SqsQueueSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of: ${QUEUE_KINDS.join(', ')}` : undefined),
});
export type QueueConfig = z.infer<typeof QueueSchema>;
