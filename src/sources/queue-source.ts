// The plugin interface of a queue source (cf. KEDA's scalers, Nomad's APM plugins): it answers
// the queue metrics of CONTRACT §2 for one service, and the live checks of `config validate`.
import type { QueueConfig } from '../config/queue';
import type { CheckResult, Json, Observations } from '../observations';

export interface QueueReading {
  /** Metric name -> value; metrics that could not be read are left out. */
  observations: Observations;
  /**
   * Opaque, JSON-safe state the caller keeps and passes back on the next read (previous counter
   * samples, so that rates need no sleeping inside an activity). Bounded in size.
   */
  state: Json;
}

export interface QueueReadOptions {
  /** Seconds of samples rates are computed over (the service's `metrics_window`). */
  window_seconds: number;
  /** What the previous read returned as `state`, if any. */
  state?: Json;
  /** Wall-clock time of this read in ms; injectable for tests. */
  now_ms?: number;
}

/** What a check may compare the queue with: the service's own settings. */
export interface QueueCheckContext {
  /** The service's max_replicas (Kafka: more consumers than partitions sit idle). */
  max_replicas?: number;
}

/** A queue config without the field that names one queue: what a source lists queues with (discovery). */
export type ListingConfig<C extends QueueConfig = QueueConfig> = Omit<C, 'queue' | 'consumer'>;

export interface QueueSource<C extends QueueConfig = QueueConfig> {
  readonly kind: C['kind'];
  /** Throws ConfigurationError (stream/consumer missing) or UnavailableError (server down). */
  read(config: C, options: QueueReadOptions): Promise<QueueReading>;
  /**
   * Whether reads give `queue.rate_in`: the source counts arrivals. Without it the scaler reads
   * only what waits and what is in service, and `docktor tune` replays the source as such.
   */
  countsArrivals(config: C): boolean;
  /** Reachability, stream and consumer, one CheckResult each; never throws. */
  check(config: C, context?: QueueCheckContext): Promise<CheckResult[]>;
  /**
   * Optional, for discovery (docs/discovery.md): the names of the queues the source has, sorted,
   * under the config's server (NATS: durable consumers of the stream; Redis: queues of the
   * format; RabbitMQ: queues of the vhost). Throws like `read`.
   */
  listQueues?(config: ListingConfig<C>): Promise<string[]>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
