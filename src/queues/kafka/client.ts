// kafkajs admin clients for `kind: kafka`: the client options of a queue config (brokers, SASL
// with its password resolved on the worker, TLS files), the pool key (one admin client per
// brokers + credentials + TLS), and what kafkajs's errors mean for docktor.
import { Kafka, logLevel, type Admin, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { KafkaQueueConfig } from '../../config/queue';
import type { FailureContext } from '../../sources/failures';
import { resolveSecret } from '../../sources/secrets';
import { tlsFileOptions } from '../../sources/tls-files';

export interface KafkaClientOptions {
  /** Bound on connecting to one broker, ms. */
  connect_timeout_ms: number;
  /** Bound on one request, ms. */
  request_timeout_ms: number;
}

/** The pooled admin client and whether its connection still stands. */
export interface KafkaAdmin {
  admin: Admin;
  connected: () => boolean;
}

/** The admin's connect and the client options; SASL and TLS problems are ConfigurationErrors. */
export async function openAdmin(config: KafkaQueueConfig, options: KafkaClientOptions): Promise<KafkaAdmin> {
  const admin = new Kafka(clientConfig(config, options)).admin();
  let connected = false;
  admin.on(admin.events.CONNECT, () => (connected = true));
  admin.on(admin.events.DISCONNECT, () => (connected = false));
  await admin.connect();
  connected = true;
  return { admin, connected: () => connected };
}

export function clientConfig(config: KafkaQueueConfig, options: KafkaClientOptions): KafkaConfig {
  const out: KafkaConfig = {
    clientId: 'docktor',
    brokers: config.brokers,
    connectionTimeout: options.connect_timeout_ms,
    requestTimeout: options.request_timeout_ms,
    // The scaler's activity retries and the next check reads again: fail fast here.
    retry: { retries: 1, initialRetryTime: 200, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  };
  if (config.sasl) out.sasl = saslOptions(config.sasl);
  if (config.tls) {
    const { ca, ...rest } = tlsFileOptions(config.tls);
    out.ssl = { ...rest, ...(ca ? { ca: [ca] } : {}) };
  }
  return out;
}

function saslOptions(sasl: NonNullable<KafkaQueueConfig['sasl']>): SASLOptions {
  const password = resolveSecret(sasl, 'password', 'queue.sasl') ?? '';
  return { mechanism: sasl.mechanism, username: sasl.username, password } as SASLOptions;
}


/** The pool key: brokers, credentials (the resolved password too, so a rotated one reconnects) and TLS. */
export function poolKey(config: KafkaQueueConfig): string {
  const sasl = config.sasl ? { ...config.sasl, resolved: resolveSecret(config.sasl, 'password', 'queue.sasl') } : null;
  return JSON.stringify([[...config.brokers].sort(), sasl, config.tls ?? null]);
}

/** `Kafka at a:9092,b:9092`, for messages. */
export function describeKafka(config: KafkaQueueConfig): string {
  return `Kafka at ${config.brokers.join(',')}`;
}

/** kafkajs errors nest (retries exceeded → the last attempt's error): every error in the chain. */
function chain(err: unknown): Array<Error & { type?: unknown }> {
  const out: Array<Error & { type?: unknown }> = [];
  let e: unknown = err;
  while (e instanceof Error && out.length < 10) {
    out.push(e);
    e = e.cause ?? (e as { originalError?: unknown }).originalError;
  }
  return out;
}

export function hasKafkaErrorType(err: unknown, ...types: string[]): boolean {
  return chain(err).some((e) => typeof e.type === 'string' && types.includes(e.type));
}

const AUTH_TYPES = ['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM', 'TOPIC_AUTHORIZATION_FAILED', 'GROUP_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED'];

/** sourceError's context for a config: what the source is, which field, and kafkajs's auth errors. */
export function failureContext(config: KafkaQueueConfig): FailureContext {
  return {
    what: describeKafka(config),
    field: 'queue.brokers',
    isAuthError: (err) => chain(err).some((e) => e.name === 'KafkaJSSASLAuthenticationError') || hasKafkaErrorType(err, ...AUTH_TYPES),
  };
}
