// The Amazon SQS queue source: GetQueueAttributes of one queue. Credentials come from the AWS SDK's
// default chain (environment, shared config/credentials files, SSO, container or instance roles);
// `endpoint` points at a local or private SQS-compatible server. One client per region and
// endpoint, reused across reads. The SDK is loaded on first use: it is large, and only services
// with an SQS queue need it.
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SqsQueueConfig } from '../../config/queue';
import { ConfigurationError, UnavailableError } from '../../errors';
import type { CheckResult } from '../../observations';
import { ConnectionPool } from '../../sources/connection-pool';
import { messageOf, sourceError } from '../../sources/failures';
import { redactUrl } from '../../sources/secrets';
import type { QueueReadOptions, QueueReading, QueueSource } from '../../sources/queue-source';
import { queueAttributeNames, sqsObservations, type SqsAttributes } from './metrics';

export interface SqsQueueSourceOptions {
  /** Bound on connecting and on each request, ms. */
  timeout_ms?: number;
}

export class SqsQueueSource implements QueueSource<SqsQueueConfig> {
  readonly kind = 'sqs' as const;
  readonly pool = new ConnectionPool<SQSClient>({ close: (c) => c.destroy() });
  private readonly timeout_ms: number;

  constructor(options: SqsQueueSourceOptions = {}) {
    this.timeout_ms = options.timeout_ms ?? 5000;
  }

  /** SQS gives counts of what waits and what is in flight, no arrivals. */
  countsArrivals(): boolean {
    return false;
  }

  async read(config: SqsQueueConfig, _options: QueueReadOptions): Promise<QueueReading> {
    return { observations: sqsObservations(await this.attributes(config)), state: null };
  }

  async check(config: SqsQueueConfig): Promise<CheckResult[]> {
    const where = config.endpoint ? `endpoint ${redactUrl(config.endpoint)}` : `region ${config.region ?? '(from the AWS SDK chain)'}`;
    const reachable = `SQS reachable: ${where}`;
    const exists = `SQS queue exists: ${redactUrl(config.queue_url)}`;
    try {
      const a = await this.attributes(config);
      const o = sqsObservations(a);
      return [
        { ok: true, label: reachable },
        { ok: true, label: exists, detail: `${o['queue.backlog'] ?? '?'} visible, ${o['queue.ack_pending'] ?? '?'} in flight, ${o['queue.delayed'] ?? '?'} delayed` },
      ];
    } catch (err) {
      if (err instanceof UnavailableError) return [{ ok: false, label: reachable, detail: messageOf(err) }, { ok: false, label: exists, detail: 'not checked: SQS is not reachable' }];
      return [{ ok: true, label: reachable }, { ok: false, label: exists, detail: messageOf(err) }];
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async attributes(config: SqsQueueConfig): Promise<SqsAttributes> {
    const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
    const client = await this.client(config);
    try {
      const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: config.queue_url, AttributeNames: [...queueAttributeNames] }));
      return out.Attributes ?? {};
    } catch (err) {
      throw sqsError(config, err);
    }
  }

  private client(config: SqsQueueConfig): Promise<SQSClient> {
    return this.pool.get(JSON.stringify([config.region ?? null, config.endpoint ?? null]), async () => {
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      return new SQSClient({
        ...(config.region ? { region: config.region } : {}),
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
        maxAttempts: 2,
        requestHandler: { connectionTimeout: this.timeout_ms, requestTimeout: this.timeout_ms },
      });
    });
  }
}

/** SQS's error names and codes for a queue that does not exist, and for refused credentials. */
const MISSING_QUEUE = /QueueDoesNotExist|NonExistentQueue/;
const REFUSED = /InvalidClientTokenId|SignatureDoesNotMatch|AccessDenied|UnrecognizedClient|InvalidSecurity|ExpiredToken/;
const NO_CREDENTIALS = /CredentialsProviderError|Could not load credentials/;

function sqsError(config: SqsQueueConfig, err: unknown): Error {
  const name = err instanceof Error ? `${err.name} ${(err as { Code?: unknown }).Code ?? ''}` : '';
  const what = `SQS${config.endpoint ? ` at ${redactUrl(config.endpoint)}` : ''}`;
  if (MISSING_QUEUE.test(name)) {
    return new ConfigurationError(`${what}: queue ${redactUrl(config.queue_url)} does not exist (queue.queue_url): create it, or fix queue.queue_url (and queue.region)`, 'queue.queue_url');
  }
  if (/Region is missing/i.test(messageOf(err))) {
    return new ConfigurationError(`${what}: no AWS region: set queue.region, or AWS_REGION where the docktor worker runs`, 'queue.region');
  }
  if (NO_CREDENTIALS.test(name) || NO_CREDENTIALS.test(messageOf(err))) {
    return new ConfigurationError(
      `${what}: the docktor worker has no AWS credentials (${messageOf(err)}): give it some through the AWS SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, or an instance/task role)`,
      'queue.queue_url',
    );
  }
  if (REFUSED.test(name) || REFUSED.test(messageOf(err))) {
    return new ConfigurationError(
      `${what} refused the credentials (${messageOf(err)}): give the docktor worker AWS credentials allowed sqs:GetQueueAttributes on the queue (environment, ~/.aws, or an instance/task role)`,
      'queue.queue_url',
    );
  }
  return sourceError({ what, field: config.endpoint ? 'queue.endpoint' : 'queue.queue_url' }, err);
}

/** The process-wide instance the registry hands out. */
export const sqsQueueSource = new SqsQueueSource();
