// The NATS JetStream queue source: CONTRACT §2 queue metrics of one durable consumer, read from
// stream info, consumer info and one stored message (for the oldest age), over a pooled connection.
//
// Rates (`queue.rate_in`, `queue.rate_out`) come from counter samples kept in the returned
// `state` (see rates.ts): the first read, and the first after the stream or consumer was
// recreated, has none; they are left out rather than reported as 0.
import { jetstreamManager, JetStreamApiCodes, JetStreamApiError, type ConsumerInfo, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { jserrors } from '@nats-io/jetstream/internal';
import { errors, type NatsConnection } from '@nats-io/transport-node';
import type { NatsQueueConfig } from '../../config/queue';
import { ConfigurationError, DocktorError, UnavailableError } from '../../errors';
import type { CheckResult, Observations } from '../../observations';
import { NatsConnectionPool, messageOf, redactNatsUrl, type NatsConnectionPoolOptions } from './connections';
import { ackedCounters, ageSeconds, consumerObservations, consumerSubjects, oldestUnackedStart } from './metrics';
import { advanceRates, parseRateState, rateStateToJson } from './rates';
import { RATE_SPAN_METRIC } from '../../sources/rates';
import type { ListingConfig, QueueReadOptions, QueueReading, QueueSource } from '../../sources/queue-source';

export interface NatsQueueSourceOptions extends NatsConnectionPoolOptions {
  /** Bound on each JetStream API request, ms. */
  request_timeout_ms?: number;
}

export class NatsQueueSource implements QueueSource<NatsQueueConfig> {
  readonly kind = 'nats' as const;
  readonly pool: NatsConnectionPool;
  private readonly request_timeout_ms: number;
  private readonly managers = new WeakMap<NatsConnection, JetStreamManager>();

  constructor(options: NatsQueueSourceOptions = {}) {
    this.pool = new NatsConnectionPool(options);
    this.request_timeout_ms = options.request_timeout_ms ?? 5000;
  }

  countsArrivals(): boolean {
    return true;
  }

  async read(config: NatsQueueConfig, options: QueueReadOptions): Promise<QueueReading> {
    const now_ms = options.now_ms ?? Date.now();
    const jsm = await this.manager(config);
    const [si, ci] = await this.infos(jsm, config);
    const observations: Observations = consumerObservations(ci);

    const age = await this.oldestUnackedAge(jsm, config, si, ci, now_ms);
    if (age !== undefined) observations['queue.oldest_age_s'] = age;

    const identity = JSON.stringify([config.stream, si.created, config.consumer, ci.created]);
    const sample = {
      at_ms: now_ms,
      last_seq: si.state.last_seq,
      ...ackedCounters(ci),
    };
    const { state, rates } = advanceRates(parseRateState(options.state), identity, sample, options.window_seconds);
    if (rates) {
      observations['queue.rate_in'] = rates.rate_in;
      observations['queue.rate_out'] = rates.rate_out;
      observations[RATE_SPAN_METRIC] = rates.span_s;
    }
    return { observations, state: rateStateToJson(state) };
  }

  async check(config: NatsQueueConfig): Promise<CheckResult[]> {
    const reachable = `NATS reachable: ${redactNatsUrl(config.url)}`;
    const streamLabel = `Stream '${config.stream}' exists`;
    const consumerLabel = `Consumer '${config.consumer}' exists`;
    let nc: NatsConnection;
    try {
      nc = await this.pool.get(config);
    } catch (err) {
      return [
        { ok: false, label: reachable, detail: messageOf(err) },
        { ok: false, label: streamLabel, detail: 'not checked: NATS is unreachable' },
        { ok: false, label: consumerLabel, detail: 'not checked: NATS is unreachable' },
      ];
    }
    const results: CheckResult[] = [{ ok: true, label: reachable, detail: `nats-server ${nc.info?.version ?? '?'}` }];
    let jsm: JetStreamManager;
    let si: StreamInfo;
    try {
      jsm = await this.manager(config);
      si = await this.request(config, () => jsm.streams.info(config.stream));
      results.push({ ok: true, label: streamLabel, detail: `subjects ${si.config.subjects?.join(', ') || '(none)'}, ${si.state.messages} messages` });
    } catch (err) {
      results.push({ ok: false, label: streamLabel, detail: messageOf(err) });
      results.push({ ok: false, label: consumerLabel, detail: 'not checked: the stream is not available' });
      return results;
    }
    try {
      const ci = await this.request(config, () => jsm.consumers.info(config.stream, config.consumer));
      const mode = ci.config.deliver_subject ? 'push' : 'pull';
      const subjects = consumerSubjects(ci).join(', ');
      results.push({ ok: true, label: consumerLabel, detail: `${mode}, subjects ${subjects}, ${ci.num_pending} pending, ${ci.num_ack_pending} awaiting ack` });
    } catch (err) {
      results.push({ ok: false, label: consumerLabel, detail: messageOf(err) });
    }
    return results;
  }

  /** Discovery: the durable consumers of the stream (ephemeral ones come and go with their clients). */
  async listQueues(config: ListingConfig<NatsQueueConfig>): Promise<string[]> {
    const full = { ...config, consumer: '' } as NatsQueueConfig;
    const jsm = await this.manager(full);
    return this.request(full, async () => {
      const names: string[] = [];
      for await (const ci of jsm.consumers.list(config.stream)) if (ci.config.durable_name) names.push(ci.name);
      return names.sort();
    });
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** The JetStream manager of the pooled connection; checks once that JetStream answers. */
  private async manager(config: NatsQueueConfig): Promise<JetStreamManager> {
    const nc = await this.pool.get(config);
    const known = this.managers.get(nc);
    if (known) return known;
    const jsm = await this.request(config, () => jetstreamManager(nc, { timeout: this.request_timeout_ms }));
    this.managers.set(nc, jsm);
    return jsm;
  }

  /** Stream and consumer info; a missing stream is reported before a missing consumer. */
  private async infos(jsm: JetStreamManager, config: NatsQueueConfig): Promise<[StreamInfo, ConsumerInfo]> {
    const [si, ci] = await Promise.allSettled([
      this.request(config, () => jsm.streams.info(config.stream)),
      this.request(config, () => jsm.consumers.info(config.stream, config.consumer)),
    ]);
    if (si.status === 'rejected') throw si.reason;
    if (ci.status === 'rejected') throw ci.reason;
    return [si.value, ci.value];
  }

  /**
   * Age of the first message not yet acknowledged on the consumer's subjects, 0 when nothing is
   * pending. Undefined (metric left out) when the lookup is refused, e.g. by permissions.
   */
  private async oldestUnackedAge(jsm: JetStreamManager, config: NatsQueueConfig, si: StreamInfo, ci: ConsumerInfo, now_ms: number): Promise<number | undefined> {
    const start = oldestUnackedStart(ci);
    if (start.kind === 'none') return 0;
    try {
      const seq = start.kind === 'seq' ? start.seq : await this.firstSequenceAtOrAfter(jsm, config, start.time_ms, si.state.last_seq);
      const firsts = await Promise.all(consumerSubjects(ci).map((subject) => this.firstStored(jsm, config, seq, subject)));
      const times = firsts.filter((m): m is StoredRef => m !== undefined).map((m) => m.time_ms);
      // Pending by the counters but nothing stored any more (purged meanwhile): nothing waits.
      return times.length === 0 ? 0 : ageSeconds(now_ms, Math.min(...times));
    } catch (err) {
      if (err instanceof UnavailableError) throw err;
      return undefined;
    }
  }

  /** First stream sequence stored at or after a time: a binary search, as stored time grows with sequence. */
  private async firstSequenceAtOrAfter(jsm: JetStreamManager, config: NatsQueueConfig, time_ms: number, last_seq: number): Promise<number> {
    let lo = 1;
    let hi = last_seq + 1;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const m = await this.firstStored(jsm, config, mid, '>');
      if (m && m.time_ms < time_ms) lo = m.seq + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first stored message on `subject` at or after `seq` (skipping deleted ones), if any. */
  private async firstStored(jsm: JetStreamManager, config: NatsQueueConfig, seq: number, subject: string): Promise<StoredRef | undefined> {
    // `next_by_subj` (server 2.9+) is not in nats.js's MsgRequest type, but the server's
    // STREAM.MSG.GET takes it: the first message on the subject at or after `seq`.
    const query: { seq: number; next_by_subj: string } = { seq, next_by_subj: subject };
    const m = await this.request(config, () => jsm.streams.getMessage(config.stream, query));
    return m ? { seq: m.seq, time_ms: m.time.getTime() } : undefined;
  }

  /** Runs a JetStream request, turning nats.js errors into typed ones that name the config field. */
  private async request<T>(config: NatsQueueConfig, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw requestError(config, err);
    }
  }
}

interface StoredRef {
  seq: number;
  time_ms: number;
}

function requestError(config: NatsQueueConfig, err: unknown): Error {
  if (err instanceof DocktorError) return err;
  const url = redactNatsUrl(config.url);
  if (err instanceof JetStreamApiError) {
    if (err.code === JetStreamApiCodes.StreamNotFound) {
      return new ConfigurationError(
        `stream '${config.stream}' not found on ${url} (queue.stream): create it (e.g. \`nats stream add ${config.stream}\`) or fix queue.stream`,
        'queue.stream',
      );
    }
    if (err.code === JetStreamApiCodes.ConsumerNotFound) {
      return new ConfigurationError(
        `consumer '${config.consumer}' not found on stream '${config.stream}' at ${url} (queue.consumer): create the durable consumer (e.g. \`nats consumer add ${config.stream} ${config.consumer} --pull\`) or fix queue.consumer`,
        'queue.consumer',
      );
    }
    if (err.code === JetStreamApiCodes.JetStreamNotEnabledForAccount) return jetStreamDisabled(url);
    // Other API errors (e.g. 503 "JetStream system temporarily unavailable") are worth a retry.
    return new UnavailableError(`NATS JetStream at ${url} failed: ${messageOf(err)}`, { cause: err });
  }
  if (err instanceof jserrors.JetStreamNotEnabled) return jetStreamDisabled(url);
  if (err instanceof errors.PermissionViolationError) {
    return new ConfigurationError(`NATS at ${url} denied a JetStream request (${messageOf(err)}): give queue.auth's user access to $JS.API.>`, 'queue.auth');
  }
  return new UnavailableError(`NATS JetStream at ${url} did not answer: ${messageOf(err)}`, { cause: err });
}

function jetStreamDisabled(url: string): ConfigurationError {
  return new ConfigurationError(`JetStream is not enabled on ${url} (queue.url): start nats-server with -js, or enable JetStream for the account`, 'queue.url');
}

/** The process-wide instance the registry hands out. */
export const natsQueueSource = new NatsQueueSource();
