// The RabbitMQ queue source: with `management_url`, every figure of one queue from the management
// HTTP API (backlog, unacknowledged, consumers, publish/consume totals for rates, the head
// message's timestamp); without it, AMQP alone (a passive queue.declare: ready count and
// consumers). Classic and quorum queues, any vhost, amqps:// with `queue.tls`. AMQP connections
// are pooled per server, vhost and credentials; every read opens and closes one channel, since a
// failed declare (missing queue) closes its channel.
import amqp, { type ChannelModel, type Replies } from 'amqplib';
import { z } from 'zod';
import type { RabbitmqQueueConfig } from '../../config/queue';
import { ConfigurationError, UnavailableError } from '../../errors';
import type { CheckResult } from '../../observations';
import { ConnectionPool } from '../../sources/connection-pool';
import { messageOf, sourceError, type FailureContext } from '../../sources/failures';
import { redactUrl, resolveSecret } from '../../sources/secrets';
import { tlsFileOptions } from '../../sources/tls-files';
import type { ListingConfig, QueueReadOptions, QueueReading, QueueSource } from '../../sources/queue-source';
import { amqpEndpoint, connectionKey, managementQueuesUrl, managementQueueUrl, type AmqpEndpoint, type Credentials } from './endpoint';
import { getWithBasicAuth, ManagementAgents, type HttpAnswer } from './management';
import { declareObservations, managementObservations, managementRates, ManagementQueueSchema, type ManagementQueue } from './metrics';

export interface RabbitmqQueueSourceOptions {
  /** Bound on an AMQP connect and on a management API request, ms. */
  timeout_ms?: number;
}

export class RabbitmqQueueSource implements QueueSource<RabbitmqQueueConfig> {
  readonly kind = 'rabbitmq' as const;
  private readonly closed = new WeakSet<ChannelModel>();
  readonly pool = new ConnectionPool<ChannelModel>({ close: (c) => c.close(), alive: (c) => !this.closed.has(c) });
  private readonly timeout_ms: number;
  private agents = new ManagementAgents();

  constructor(options: RabbitmqQueueSourceOptions = {}) {
    this.timeout_ms = options.timeout_ms ?? 5000;
  }

  countsArrivals(): boolean {
    return true;
  }

  async read(config: RabbitmqQueueConfig, options: QueueReadOptions): Promise<QueueReading> {
    const now_ms = options.now_ms ?? Date.now();
    const endpoint = endpointOf(config);
    if (!config.management_url) return { observations: declareObservations(await this.declare(config, endpoint)), state: null };
    const q = await this.managementQueue(config, config.management_url, endpoint);
    const { rates, state } = managementRates(q, options.state, now_ms, options.window_seconds);
    return { observations: { ...managementObservations(q, now_ms), ...rates }, state };
  }

  async check(config: RabbitmqQueueConfig): Promise<CheckResult[]> {
    const reachable = `RabbitMQ reachable: ${redactUrl(config.url)}`;
    let endpoint: AmqpEndpoint;
    let queueLabel = `Queue '${config.queue}' exists`;
    const managementLabel = config.management_url ? `RabbitMQ management API answers: ${redactUrl(config.management_url)}` : undefined;
    const notChecked = (why: string): CheckResult[] => [
      { ok: false, label: queueLabel, detail: `not checked: ${why}` },
      ...(managementLabel ? [{ ok: false, label: managementLabel, detail: `not checked: ${why}` }] : []),
    ];
    let conn: ChannelModel;
    try {
      endpoint = endpointOf(config);
      queueLabel = `Queue '${config.queue}' exists in vhost '${endpoint.vhost}'`;
      conn = await this.connection(config, endpoint);
    } catch (err) {
      return [{ ok: false, label: reachable, detail: messageOf(err) }, ...notChecked('RabbitMQ is not reachable')];
    }
    const version = conn.connection.serverProperties.version;
    const results: CheckResult[] = [{ ok: true, label: reachable, detail: `RabbitMQ ${typeof version === 'string' ? version : '?'}` }];
    try {
      const ok = await this.declare(config, endpoint);
      const without = config.management_url ? '' : '; no management_url: queue.ack_pending, queue.lag, rates and oldest age are not measured';
      results.push({ ok: true, label: queueLabel, detail: `${ok.messageCount} ready, ${ok.consumerCount} consumer(s)${without}` });
    } catch (err) {
      results.push({ ok: false, label: queueLabel, detail: messageOf(err) });
      if (managementLabel) results.push({ ok: false, label: managementLabel, detail: 'not checked: the queue is not available' });
      return results;
    }
    if (config.management_url && managementLabel) {
      try {
        const q = await this.managementQueue(config, config.management_url, endpoint);
        const age = q.type === undefined || q.type === 'classic' ? 'oldest age from head_message_timestamp when messages carry a timestamp' : `no oldest age (${q.type} queues do not report it)`;
        results.push({ ok: true, label: managementLabel, detail: `${q.type ?? 'classic'} queue, ${q.messages_ready ?? '?'} ready, ${q.messages_unacknowledged ?? '?'} unacknowledged, ${q.consumers ?? '?'} consumer(s); ${age}` });
      } catch (err) {
        results.push({ ok: false, label: managementLabel, detail: messageOf(err) });
      }
    }
    return results;
  }

  async close(): Promise<void> {
    this.agents.destroy();
    this.agents = new ManagementAgents();
    await this.pool.close();
  }

  /** The pooled AMQP connection of this server, vhost and credentials. */
  private connection(config: RabbitmqQueueConfig, endpoint: AmqpEndpoint): Promise<ChannelModel> {
    return this.pool.get(connectionKey(endpoint, config.tls), async () => {
      const { credentials, ...where } = endpoint;
      let conn: ChannelModel;
      try {
        conn = await amqp.connect(
          { protocol: where.tls ? 'amqps' : 'amqp', hostname: where.hostname, port: where.port, vhost: where.vhost, username: credentials.user, password: credentials.password, heartbeat: 30 },
          { timeout: this.timeout_ms, ...(where.tls ? tlsFileOptions(config.tls) : {}), clientProperties: { connection_name: 'docktor' } },
        );
      } catch (err) {
        throw sourceError(amqpFailure(config, endpoint), err);
      }
      // Without a listener an 'error' event would crash the process; 'close' follows it.
      conn.on('error', () => undefined);
      conn.on('close', () => this.closed.add(conn));
      return conn;
    });
  }

  /** Passive queue.declare on a fresh channel: ready count and consumers, live. */
  private async declare(config: RabbitmqQueueConfig, endpoint: AmqpEndpoint): Promise<Replies.AssertQueue> {
    const conn = await this.connection(config, endpoint);
    const ctx = { ...amqpFailure(config, endpoint), field: 'queue.queue' };
    try {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      try {
        return await ch.checkQueue(config.queue);
      } finally {
        await ch.close().catch(() => undefined);
      }
    } catch (err) {
      throw sourceError(ctx, err);
    }
  }

  /** The queue's object from the management API, validated. */
  private async managementQueue(config: RabbitmqQueueConfig, managementUrl: string, endpoint: AmqpEndpoint): Promise<ManagementQueue> {
    const notFound = `queue '${config.queue}' not found in vhost '${endpoint.vhost}' by ${managementWhat(managementUrl)} (queue.queue): declare it, or fix queue.queue or the vhost in queue.url`;
    const body = await this.managementGet(config, managementUrl, managementQueueUrl(managementUrl, endpoint, config.queue), notFound, 'queue.queue');
    const parsed = ManagementQueueSchema.safeParse(body);
    if (!parsed.success) throw new ConfigurationError(`${managementWhat(managementUrl)} answered something that is not a queue object: is queue.management_url the management plugin's address?`, 'queue.management_url');
    return parsed.data;
  }

  /**
   * Discovery: the vhost's queues from the management API (`GET /api/queues/<vhost>?columns=name`),
   * without the server-named ones (`amq.*`: exclusive reply queues and the like).
   */
  async listQueues(config: ListingConfig<RabbitmqQueueConfig>): Promise<string[]> {
    const full = { ...config, queue: '' } as RabbitmqQueueConfig;
    if (!config.management_url) {
      throw new ConfigurationError(
        'listing RabbitMQ queues needs the management HTTP API: set queue.management_url (e.g. http://user:pass@host:15672) and enable the plugin on the broker (`rabbitmq-plugins enable rabbitmq_management`)',
        'queue.management_url',
      );
    }
    const endpoint = endpointOf(full);
    const notFound = `vhost '${endpoint.vhost}' not found by ${managementWhat(config.management_url)}: fix the vhost (the path of queue.url)`;
    const body = await this.managementGet(full, config.management_url, managementQueuesUrl(config.management_url, endpoint), notFound, 'queue.url');
    const parsed = z.array(z.object({ name: z.string() })).safeParse(body);
    if (!parsed.success) throw new ConfigurationError(`${managementWhat(config.management_url)} answered something that is not a list of queues: is queue.management_url the management plugin's address?`, 'queue.management_url');
    return parsed.data.map((q) => q.name).filter((n) => !n.startsWith('amq.')).sort();
  }

  /** One GET of the management API, its answer as JSON; 401/403, 404 and non-JSON answers as typed errors. */
  private async managementGet(config: RabbitmqQueueConfig, managementUrl: string, target: { url: string; credentials: Credentials }, notFound: string, notFoundField: string): Promise<unknown> {
    const { url, credentials } = target;
    const what = managementWhat(managementUrl);
    const field = 'queue.management_url';
    let answer: HttpAnswer;
    try {
      answer = await getWithBasicAuth(this.agents, url, credentials, url.startsWith('https:') ? tlsFileOptions(config.tls) : {}, this.timeout_ms);
    } catch (err) {
      throw sourceError({ what, field }, err);
    }
    if (answer.status === 401 || answer.status === 403) {
      throw new ConfigurationError(
        `${what} refused user '${credentials.user}' (${answer.status}): put credentials of a user with the management (or monitoring) tag in ${field}, or the same in queue.url / queue.user / queue.password`,
        field,
      );
    }
    if (answer.status === 404) throw new ConfigurationError(notFound, notFoundField);
    if (answer.status !== 200) throw new UnavailableError(`${what} answered ${answer.status}: ${answer.body.slice(0, 200)}`);
    try {
      return JSON.parse(answer.body) as unknown;
    } catch {
      throw new ConfigurationError(`${what} did not answer JSON: is ${field} the management plugin's address (port 15672 by default)?`, field);
    }
  }
}

function managementWhat(managementUrl: string): string {
  return `the RabbitMQ management API at ${redactUrl(managementUrl)}`;
}

function endpointOf(config: RabbitmqQueueConfig): AmqpEndpoint {
  return amqpEndpoint(config, resolveSecret(config, 'password', 'queue'));
}

/** How AMQP errors read: refused credentials, an unknown vhost, a missing queue. */
function amqpFailure(config: RabbitmqQueueConfig, endpoint: AmqpEndpoint): FailureContext {
  return {
    what: `RabbitMQ at ${redactUrl(config.url)}`,
    field: 'queue.url',
    isAuthError: (err) => /ACCESS_REFUSED|\b403\b/.test(messageOf(err)),
    configurationProblem: (err) => {
      const msg = messageOf(err);
      if (/NOT_FOUND - no queue/.test(msg)) {
        return `queue '${config.queue}' not found in vhost '${endpoint.vhost}' (queue.queue): declare it, or fix queue.queue or the vhost in queue.url`;
      }
      // The broker refuses connection.open (530 NOT_ALLOWED) for an unknown vhost or one the user
      // has no permissions on; amqplib only says it got a close instead of open-ok.
      if (/NOT_ALLOWED - (vhost|access to vhost)|Expected ConnectionOpenOk; got <ConnectionClose/.test(msg)) {
        return `vhost '${endpoint.vhost}' does not exist or user '${endpoint.credentials.user}' has no permissions on it: fix the vhost (the path of queue.url) or grant the user access (rabbitmqctl set_permissions -p VHOST USER '.*' '.*' '.*')`;
      }
      return undefined;
    },
  };
}

/** The process-wide instance the registry hands out. */
export const rabbitmqQueueSource = new RabbitmqQueueSource();
