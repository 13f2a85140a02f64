// The observations a check of the simulated service sees, named and computed as the real sources
// give them (CONTRACT §2), so that the engine cannot tell a simulation from production:
// - queue.backlog: messages waiting (not yet delivered); queue.ack_pending: messages in service;
//   queue.lag: their sum;
// - queue.rate_in / queue.rate_out: arrivals / completions per second over metrics_window, from
//   counter samples kept between checks exactly as the NATS source keeps them (the same code,
//   advanceRates): absent on the first check, as on the first real read;
// - queue.oldest_age_s: age of the oldest message not yet acknowledged, waiting OR in service (what
//   the NATS source measures); the SLA figure `breach_seconds` uses the oldest WAITING one instead;
// - cpu.avg_pct: busy share of the replicas over metrics_window × 100 (a replica serving a message
//   is at 100% of one core, an idle or starting one at 0%), rounded to 2 decimals as docker stats;
//   absent when there is no replica, as when docker has nothing to measure;
// - replicas.current: replicas the runtime counts (starting and serving; not the removed ones
//   finishing their last message); replicas.ready: those serving or idle, not starting.
// Without counters (`rates: false`, `docktor simulate --no-rates`) the queue part is what Laravel's
// and plain Redis lists' sources give: queue.backlog, queue.ack_pending and queue.lag only, no
// rates and no oldest age.
import type { Observations } from '../observations';
import { advanceRates, type NatsRateState } from '../queues/nats/rates';
import { RATE_SPAN_METRIC } from '../sources/rates';

export interface QueueSnapshot {
  /** Seconds since the run began. */
  at: number;
  /** Messages arrived so far. */
  arrived: number;
  /** Messages completed (acknowledged) so far. */
  acked: number;
  backlog: number;
  inService: number;
  /** Arrival time of the oldest unacknowledged message (waiting or in service); Infinity when none. */
  oldestUnackedArrival: number;
  replicasCurrent: number;
  replicasReady: number;
  /** Replicas existing now (starting, serving, idle, removed-but-finishing). */
  alive: number;
  /** Integral of `alive` over time since the run began (replica-seconds). */
  aliveSeconds: number;
  /** Busy replica-seconds since the run began. */
  busySeconds: number;
}

interface UsageSample {
  at: number;
  aliveSeconds: number;
  busySeconds: number;
}

const RATE_IDENTITY = 'simulated';

export class ObservationBuilder {
  private rates: NatsRateState | undefined;
  private usage: UsageSample[] = [];

  constructor(
    /** Unix seconds of the run's time 0 (what `now` is built from). */
    private readonly epoch: number,
    private readonly windowSeconds: number,
    /** Whether the simulated source keeps counters (rates) and knows its oldest message's age. */
    private readonly counters = true,
  ) {}

  build(s: QueueSnapshot): Observations {
    const obs: Observations = {
      'queue.backlog': s.backlog,
      'queue.ack_pending': s.inService,
      'queue.lag': s.backlog + s.inService,
      'replicas.current': s.replicasCurrent,
      'replicas.ready': s.replicasReady,
    };
    const cpu = this.cpu(s);
    if (cpu !== undefined && s.replicasCurrent > 0) obs['cpu.avg_pct'] = cpu;
    if (!this.counters) return obs;
    obs['queue.oldest_age_s'] = s.oldestUnackedArrival === Infinity ? 0 : Math.max(0, s.at - s.oldestUnackedArrival);
    const advanced = advanceRates(
      this.rates,
      RATE_IDENTITY,
      { at_ms: (this.epoch + s.at) * 1000, last_seq: s.arrived, acked_stream_seq: s.acked, acked_consumer_seq: s.acked },
      this.windowSeconds,
    );
    this.rates = advanced.state;
    if (advanced.rates) {
      obs['queue.rate_in'] = advanced.rates.rate_in;
      obs['queue.rate_out'] = advanced.rates.rate_out;
      obs[RATE_SPAN_METRIC] = advanced.rates.span_s;
    }
    return obs;
  }

  /** Busy share over the window: from the newest sample at or before now - window (as the rates). */
  private cpu(s: QueueSnapshot): number | undefined {
    const windowStart = s.at - this.windowSeconds;
    let first = 0;
    for (let i = 0; i < this.usage.length; i++) if (this.usage[i]!.at <= windowStart) first = i;
    if (first > 0) this.usage = this.usage.slice(first);
    const base = this.usage[0];
    this.usage.push({ at: s.at, aliveSeconds: s.aliveSeconds, busySeconds: s.busySeconds });
    let share: number | undefined;
    if (base !== undefined && s.aliveSeconds - base.aliveSeconds > 1e-12) {
      share = (s.busySeconds - base.busySeconds) / (s.aliveSeconds - base.aliveSeconds);
    } else if (s.alive > 0) {
      share = s.inService / s.alive;
    }
    if (share === undefined) return undefined;
    return Math.round(Math.min(1, Math.max(0, share)) * 10000) / 100;
  }
}
