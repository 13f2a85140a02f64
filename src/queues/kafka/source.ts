// The Kafka queue source: a consumer group's lag on one topic, read with kafkajs's admin client
// (one per brokers + credentials + TLS, pooled across checks).
//
// - `queue.backlog` = `queue.lag` = Σ over partitions (high watermark − committed offset), a
//   partition without a commit counting from its low watermark (see lag.ts). Kafka has no
//   per-message acknowledgement, so `queue.ack_pending` is absent.
// - `queue.rate_in` / `queue.rate_out`: per-second change of Σ high watermarks / Σ positions over
//   the window, from counter samples kept in the reading's state (src/sources/rates.ts).
// - `queue.consumers`: the group's members (DescribeGroups).
// - `queue.partitions`: the topic's partition count; consumers beyond it sit idle.
import type { Admin } from 'kafkajs';
import type { KafkaQueueConfig } from '../../config/queue';
import { ConfigurationError, UnavailableError } from '../../errors';
import type { CheckResult, Observations } from '../../observations';
import { ConnectionPool } from '../../sources/connection-pool';
import { messageOf, sourceError, withDeadline } from '../../sources/failures';
import { RATE_SPAN_METRIC, advanceCounters, counterStateToJson, parseCounterState, ratesOf } from '../../sources/rates';
import type { QueueCheckContext, QueueReadOptions, QueueReading, QueueSource } from '../../sources/queue-source';
import { describeKafka, failureContext, hasKafkaErrorType, openAdmin, poolKey, type KafkaAdmin, type KafkaClientOptions } from './client';
import { groupLag, idleConsumers, parseOffset, type GroupLag, type PartitionCommit, type PartitionWatermarks } from './lag';

const COUNTERS = ['high_sum', 'position_sum'] as const;

/** What one read of the brokers gives. */
export interface KafkaGroupView {
  watermarks: PartitionWatermarks[];
  commits: PartitionCommit[];
  /** Members of the group; 0 when it has none (or does not exist). */
  members: number;
  /** The group's state as the coordinator reports it (`Stable`, `Empty`, `Dead`, …). */
  state: string;
}

export interface KafkaQueueSourceOptions extends Partial<KafkaClientOptions> {
  /** Bound on a whole read (all requests), ms. */
  read_timeout_ms?: number;
}

export class KafkaQueueSource implements QueueSource<KafkaQueueConfig> {
  readonly kind = 'kafka' as const;
  readonly pool = new ConnectionPool<KafkaAdmin>({ close: (c) => c.admin.disconnect(), alive: (c) => c.connected() });
  private readonly client: KafkaClientOptions;
  private readonly read_timeout_ms: number;
  /** Topics each pooled client has asked about (see topicExists). */
  private readonly askedTopics = new WeakMap<Admin, Set<string>>();

  constructor(options: KafkaQueueSourceOptions = {}) {
    this.client = { connect_timeout_ms: options.connect_timeout_ms ?? 3000, request_timeout_ms: options.request_timeout_ms ?? 5000 };
    this.read_timeout_ms = options.read_timeout_ms ?? 15_000;
  }

  countsArrivals(): boolean {
    return true;
  }

  async read(config: KafkaQueueConfig, options: QueueReadOptions): Promise<QueueReading> {
    const now_ms = options.now_ms ?? Date.now();
    const view = await this.view(config);
    const lag = groupLag(view.watermarks, view.commits);
    const observations: Observations = {
      'queue.backlog': lag.lag,
      'queue.lag': lag.lag,
      'queue.consumers': view.members,
      'queue.partitions': lag.partitions,
    };
    const identity = JSON.stringify([config.topic, config.group]);
    const sample = { at_ms: now_ms, high_sum: lag.high_sum, position_sum: lag.position_sum };
    const { state, base, span_s } = advanceCounters(parseCounterState(COUNTERS, options.state), identity, sample, options.window_seconds);
    if (base && span_s !== undefined) {
      const rates = ratesOf(base, sample, COUNTERS);
      observations['queue.rate_in'] = rates.high_sum;
      observations['queue.rate_out'] = rates.position_sum;
      observations[RATE_SPAN_METRIC] = span_s;
    }
    return { observations, state: counterStateToJson(state) };
  }

  async check(config: KafkaQueueConfig, context: QueueCheckContext = {}): Promise<CheckResult[]> {
    const reachable = `Kafka reachable: ${config.brokers.join(',')}`;
    const topicLabel = `Topic '${config.topic}' exists`;
    const groupLabel = `Consumer group '${config.group}' exists`;
    let view: KafkaGroupView;
    try {
      await this.admin(config);
    } catch (err) {
      const why = 'not checked: Kafka is unreachable';
      return [
        { ok: false, label: reachable, detail: messageOf(err) },
        { ok: false, label: topicLabel, detail: why },
        { ok: false, label: groupLabel, detail: why },
      ];
    }
    const results: CheckResult[] = [{ ok: true, label: reachable }];
    try {
      view = await this.view(config);
    } catch (err) {
      const topicMissing = err instanceof ConfigurationError && err.field === 'queue.topic';
      results.push({ ok: false, label: topicLabel, detail: messageOf(err) });
      results.push({ ok: false, label: groupLabel, detail: `not checked: ${topicMissing ? 'the topic does not exist' : 'the topic could not be read'}` });
      return results;
    }
    const lag = groupLag(view.watermarks, view.commits);
    results.push({ ok: true, label: topicLabel, detail: `${lag.partitions} partition(s), ${lag.high_sum} record(s) written` });
    results.push(groupCheck(config, view, lag, groupLabel));
    if (context.max_replicas !== undefined) results.push(partitionCheck(config, context.max_replicas, lag.partitions));
    return results;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Watermarks, commits and members of the group, read together within one deadline. */
  async view(config: KafkaQueueConfig): Promise<KafkaGroupView> {
    const admin = await this.admin(config);
    const what = describeKafka(config);
    try {
      await this.topicExists(admin, config);
      const [topicOffsets, groupOffsets, groups] = await withDeadline(
        Promise.all([admin.fetchTopicOffsets(config.topic), this.commits(admin, config), admin.describeGroups([config.group])]),
        this.read_timeout_ms,
        `${what} (topic '${config.topic}', group '${config.group}')`,
      );
      const watermarks = topicOffsets.map((p) => ({
        partition: p.partition,
        low: parseOffset(p.low, `topic '${config.topic}' partition ${p.partition} low watermark`),
        high: parseOffset(p.high, `topic '${config.topic}' partition ${p.partition} high watermark`),
      }));
      const commits = groupOffsets.map((p) => ({
        partition: p.partition,
        offset: parseOffset(p.offset, `group '${config.group}' partition ${p.partition} committed offset`),
      }));
      const group = groups.groups.find((g) => g.groupId === config.group);
      return { watermarks, commits, members: group?.members.length ?? 0, state: group?.state ?? 'Dead' };
    } catch (err) {
      throw await this.readError(config, err);
    }
  }

  /**
   * A missing topic is found with a list of the cluster's topics before any request names it:
   * kafkajs keeps every topic a client asked about in the metadata it refreshes, so one read of a
   * missing (or deleted) topic would fail the reads of every other topic sharing the client.
   */
  private async topicExists(admin: Admin, config: KafkaQueueConfig): Promise<void> {
    const known = await withDeadline(admin.listTopics(), this.read_timeout_ms, `${describeKafka(config)} (listing topics)`);
    let asked = this.askedTopics.get(admin);
    if (!asked) this.askedTopics.set(admin, (asked = new Set()));
    if (known.includes(config.topic)) {
      asked.add(config.topic);
      return;
    }
    // Deleted since this client last read it: a fresh client forgets it.
    if (asked.has(config.topic)) await this.pool.discard(poolKey(config));
    throw new ConfigurationError(
      `topic '${config.topic}' not found on ${describeKafka(config)} (queue.topic): create it (e.g. \`kafka-topics.sh --create --topic ${config.topic}\`) or fix queue.topic`,
      'queue.topic',
    );
  }

  /**
   * The group's committed offsets on the topic. A group the coordinator does not know has none:
   * Kafka's classic coordinator answers offset -1 for it, others GROUP_ID_NOT_FOUND.
   */
  private async commits(admin: Admin, config: KafkaQueueConfig): Promise<Array<{ partition: number; offset: string }>> {
    try {
      const offsets = await admin.fetchOffsets({ groupId: config.group, topics: [config.topic] });
      return offsets.find((t) => t.topic === config.topic)?.partitions ?? [];
    } catch (err) {
      if (hasKafkaErrorType(err, 'GROUP_ID_NOT_FOUND')) return [];
      throw err;
    }
  }

  private async admin(config: KafkaQueueConfig): Promise<Admin> {
    const key = poolKey(config);
    try {
      const pooled = await withDeadline(
        this.pool.get(key, () => openAdmin(config, this.client)),
        this.read_timeout_ms,
        `connecting to ${describeKafka(config)}`,
      );
      return pooled.admin;
    } catch (err) {
      await this.pool.discard(key);
      throw sourceError(failureContext(config), err);
    }
  }

  /**
   * A connection problem, or a topic deleted under the client (kafkajs then fails every metadata
   * refresh of it), drops the pooled client so the next read starts afresh.
   */
  private async readError(config: KafkaQueueConfig, err: unknown): Promise<Error> {
    if (err instanceof ConfigurationError) return err;
    if (hasKafkaErrorType(err, 'UNKNOWN_TOPIC_OR_PARTITION')) {
      await this.pool.discard(poolKey(config));
      return new UnavailableError(`${describeKafka(config)}: a topic read by this client vanished during the read (${messageOf(err)}); the next read reconnects`, { cause: err });
    }
    const typed = sourceError(failureContext(config), err);
    if (typed instanceof UnavailableError) await this.pool.discard(poolKey(config));
    return typed;
  }
}

/**
 * A group with neither members nor commits on the topic is most often a misspelt name. Reads
 * still count its lag from the low watermarks (a new group starts there), so a service scaled
 * from zero starts its first consumer; validate flags it.
 */
function groupCheck(config: KafkaQueueConfig, view: KafkaGroupView, lag: GroupLag, label: string): CheckResult {
  const committed = lag.partitions - lag.uncommitted;
  if (view.members === 0 && committed === 0) {
    return {
      ok: false,
      label,
      detail:
        `no member and no committed offset on topic '${config.topic}' (queue.group): fix queue.group if it is misspelt; ` +
        `a group that has never run counts its lag from the low watermarks (${lag.lag} now)`,
    };
  }
  return { ok: true, label, detail: `${view.state}, ${view.members} member(s), committed on ${committed}/${lag.partitions} partition(s), lag ${lag.lag}` };
}

/** KEDA's allowIdleConsumers: more consumers than partitions leaves the extra ones without work. */
export function partitionCheck(config: KafkaQueueConfig, max_replicas: number, partitions: number): CheckResult {
  const idle = idleConsumers(max_replicas, partitions);
  const label = `max_replicas ${max_replicas} <= partitions of topic '${config.topic}' (${partitions})`;
  if (idle === 0) return { ok: true, label };
  if (config.allow_idle_consumers) return { ok: true, label, detail: `up to ${idle} consumer(s) would sit idle (allowed by queue.allow_idle_consumers)` };
  return {
    ok: false,
    label,
    detail: `up to ${idle} consumer(s) would sit idle, as a partition goes to one member of the group: lower max_replicas to ${partitions}, add partitions, or set queue.allow_idle_consumers: true`,
  };
}

/** The process-wide instance the registry hands out. */
export const kafkaQueueSource = new KafkaQueueSource();
