// Pure: a consumer group's lag on one topic from the partitions' watermarks and the group's
// committed offsets, as KEDA's Kafka scaler with `offsetResetPolicy: earliest` counts it.
//
// Per partition, the group's position is its committed offset; a partition the group never
// committed (offset -1) counts from the low watermark, where a new consumer with
// `auto.offset.reset=earliest` would start. A committed offset below the low watermark (retention
// deleted those records) also counts from the low watermark: the records below it no longer exist.
// Lag = Σ (high watermark − position), never negative.

export interface PartitionWatermarks {
  partition: number;
  /** The log-start offset: the first record still stored. */
  low: number;
  /** The log-end offset: the offset the next record written will get. */
  high: number;
}

export interface PartitionCommit {
  partition: number;
  /** The committed offset (the next record the group will read); -1 when never committed. */
  offset: number;
}

export interface GroupLag {
  /** Σ (high − position): records written but not yet consumed by the group. */
  lag: number;
  /** Σ high watermarks: grows by every record written (rate_in). */
  high_sum: number;
  /** Σ positions: grows by every record the group commits past (rate_out). */
  position_sum: number;
  partitions: number;
  /** Partitions the group has never committed (counted from their low watermark). */
  uncommitted: number;
}

/** Kafka offsets arrive as decimal strings; anything that is not a whole number is refused. */
export function parseOffset(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`${what}: not an offset: ${JSON.stringify(value)}`);
  return n;
}

export function groupLag(watermarks: readonly PartitionWatermarks[], commits: readonly PartitionCommit[]): GroupLag {
  const committed = new Map(commits.filter((c) => c.offset >= 0).map((c) => [c.partition, c.offset]));
  let lag = 0;
  let high_sum = 0;
  let position_sum = 0;
  let uncommitted = 0;
  for (const w of watermarks) {
    const offset = committed.get(w.partition);
    if (offset === undefined) uncommitted++;
    const position = Math.min(w.high, Math.max(w.low, offset ?? w.low));
    lag += w.high - position;
    high_sum += w.high;
    position_sum += position;
  }
  return { lag, high_sum, position_sum, partitions: watermarks.length, uncommitted };
}

/** Consumers beyond the partition count get no partition and sit idle. */
export function idleConsumers(max_replicas: number, partitions: number): number {
  return Math.max(0, max_replicas - partitions);
}
