// docktor's own Prometheus metrics (CONTRACT §2 "Events and metrics"), kept by the worker's
// activities: a check updates the gauges and counts the decision and failed sources, an apply
// counts the scale event, a delivery counts events sent and failed. Served with the SDK's metrics
// on temporal.metrics_port (src/metrics/metrics-server.ts).
//
// Several workers: each serves the series of the scalers whose activities it ran. A worker that
// no longer runs a scaler (its workflow moved to another worker, or stopped) drops that scaler's
// series once they are older than STALE_AFTER_CHECKS check intervals (at least STALE_MIN_SECONDS),
// so gauges of a scaler come from one worker but for a short overlap. docs/operations.md says how
// to aggregate them.
import { Counter, Gauge, Registry } from 'prom-client';
import type { Decision } from '../decide/index';
import type { Observations } from '../observations';

const LABELS = ['project', 'service'] as const;
export const STALE_AFTER_CHECKS = 3;
export const STALE_MIN_SECONDS = 60;

/** Every metric name docktor serves (the Grafana dashboard's test checks its queries against it). */
export const DOCKTOR_METRIC_NAMES = [
  'docktor_replicas',
  'docktor_desired_replicas',
  'docktor_decisions_total',
  'docktor_scale_events_total',
  'docktor_observation',
  'docktor_source_failures_total',
  'docktor_last_check_timestamp_seconds',
  'docktor_sla_max_pickup_seconds',
  'docktor_events_delivered_total',
  'docktor_event_delivery_failures_total',
] as const;

interface ServiceSeries {
  /** Unix ms of the last update. */
  updatedAt: number;
  staleAfterMs: number;
  /** Observation names set at the last check (the others are removed: missing is absent, not 0). */
  observations: Set<string>;
}

export interface ScalerRef {
  project: string;
  service: string;
  /** Seconds between the scaler's checks (how long its series may go without an update). */
  check_interval?: number;
  /** sla.max_pickup_seconds, when the service has one (dashboards draw it beside the oldest age). */
  sla_seconds?: number;
}

export class DocktorMetrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, ServiceSeries>();
  private readonly all: Array<Gauge | Counter> = [];

  readonly replicas = this.gauge('docktor_replicas', 'Replicas of the service as last observed or applied');
  readonly desired = this.gauge('docktor_desired_replicas', 'Replicas the last decision asked for');
  readonly lastCheck = this.gauge('docktor_last_check_timestamp_seconds', 'Unix time of the last check (the freshest series of a scaler when several workers serve it)');
  readonly sla = this.gauge('docktor_sla_max_pickup_seconds', 'The service\'s sla.max_pickup_seconds (compare with docktor_observation{metric="queue.oldest_age_s"})');
  readonly observation = this.gauge('docktor_observation', 'An observation the last check saw (CONTRACT §2 metric names, in the label `metric`)', ['metric']);
  readonly decisions = this.counter('docktor_decisions_total', 'Decisions made, by action (scale_up, scale_down, hold)', ['action']);
  readonly scaleEvents = this.counter('docktor_scale_events_total', 'Replica changes applied, by direction (up, down)', ['direction']);
  readonly sourceFailures = this.counter('docktor_source_failures_total', 'Metric sources that failed at a check, by source', ['source']);
  readonly delivered = this.counter('docktor_events_delivered_total', 'CloudEvents delivered, by sink', ['sink']);
  readonly deliveryFailures = this.counter('docktor_event_delivery_failures_total', 'Failed attempts to deliver CloudEvents, by sink', ['sink']);

  constructor(private readonly clock: () => number = Date.now) {}

  private gauge(name: string, help: string, extra: string[] = []): Gauge {
    const g = new Gauge({ name, help, labelNames: [...LABELS, ...extra], registers: [this.registry] });
    this.all.push(g);
    return g;
  }

  private counter(name: string, help: string, extra: string[] = []): Counter {
    const c = new Counter({ name, help, labelNames: [...LABELS, ...extra], registers: [this.registry] });
    this.all.push(c);
    return c;
  }

  private touch(ref: ScalerRef): ServiceSeries {
    const key = JSON.stringify([ref.project, ref.service]);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { updatedAt: 0, staleAfterMs: STALE_MIN_SECONDS * 1000, observations: new Set() }));
    s.updatedAt = this.clock();
    if (ref.check_interval !== undefined) s.staleAfterMs = Math.max(STALE_MIN_SECONDS, STALE_AFTER_CHECKS * ref.check_interval) * 1000;
    return s;
  }

  /** After a check: observations, failed sources, the decision (null: nothing decided). */
  check(ref: ScalerRef, o: { observations: Observations; failures: Array<{ source: string }>; replicas: number | null; decision: Decision | null }): void {
    const s = this.touch(ref);
    const labels = { project: ref.project, service: ref.service };
    this.lastCheck.set(labels, s.updatedAt / 1000);
    if (ref.sla_seconds !== undefined) this.sla.set(labels, ref.sla_seconds);
    else this.sla.remove(labels);
    for (const name of s.observations) if (!(name in o.observations)) this.observation.remove({ ...labels, metric: name });
    s.observations = new Set(Object.keys(o.observations));
    for (const [metric, value] of Object.entries(o.observations)) this.observation.set({ ...labels, metric }, value);
    for (const f of o.failures) this.sourceFailures.inc({ ...labels, source: f.source });
    if (o.replicas !== null) this.replicas.set(labels, o.replicas);
    if (o.decision) {
      this.decisions.inc({ ...labels, action: o.decision.action });
      this.desired.set(labels, o.decision.target_replicas);
    }
  }

  /** After an apply: the count reached, and a scale event when it changed. */
  applied(ref: ScalerRef, before: number, after: number): void {
    this.touch(ref);
    const labels = { project: ref.project, service: ref.service };
    this.replicas.set(labels, after);
    if (after !== before) this.scaleEvents.inc({ ...labels, direction: after > before ? 'up' : 'down' });
  }

  /** After a delivery attempt to a sink. */
  delivery(ref: ScalerRef, sink: string, ok: boolean, events: number): void {
    this.touch(ref);
    const labels = { project: ref.project, service: ref.service, sink };
    if (ok) this.delivered.inc(labels, events);
    else this.deliveryFailures.inc(labels);
  }

  /** The exposition text, after dropping the series of scalers this worker no longer runs. */
  async text(): Promise<string> {
    await this.dropStale();
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private async dropStale(): Promise<void> {
    const now = this.clock();
    for (const [key, s] of this.series) {
      if (now - s.updatedAt <= s.staleAfterMs) continue;
      this.series.delete(key);
      const [project, service] = JSON.parse(key) as [string, string];
      for (const metric of this.all) {
        const { values } = await metric.get();
        for (const v of values) if (v.labels.project === project && v.labels.service === service) metric.remove(v.labels as Record<string, string>);
      }
    }
  }
}

let processMetrics: DocktorMetrics | undefined;

/** The metrics of this process (one registry for every worker it runs). */
export function docktorMetrics(): DocktorMetrics {
  return (processMetrics ??= new DocktorMetrics());
}
