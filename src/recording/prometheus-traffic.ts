// Reads a service's traffic from Prometheus (`docktor tune --prometheus URL`): what every worker
// exported as `docktor_observation` (and `docktor_desired_replicas`) over [now - since, now], at
// the service's check interval, in range queries of at most MAX_POINTS_PER_QUERY points each,
// into what tune replays (./prometheus-traffic-model.ts). Several workers may serve a scaler's
// series for a short overlap: `max by (metric)` takes one value per time.
import { OperationError } from '../errors';
import { prometheusGet } from '../sources/external/prometheus-http';
import { redactUrl } from '../sources/secrets';
import { addMatrix, PROMETHEUS_METRICS, prometheusTrafficModel, rangeChunks, type PrometheusTrafficModel, type SeriesByMetric } from './prometheus-traffic-model';

export interface PrometheusTrafficOptions {
  /** The server's base URL; userinfo in it is basic auth. */
  url: string;
  /** A bearer token, when the URL carries no user. */
  token?: string | undefined;
  project: string;
  service: string;
  /** Unix seconds of the range. */
  since: number;
  now: number;
  /** Seconds between points: the service's check interval. */
  stepS: number;
  timeoutS?: number;
}

export interface PrometheusTraffic extends PrometheusTrafficModel {
  /** Range queries sent. */
  queries: number;
}

/** The PromQL of a service's series, one per metric label. */
export function trafficQuery(project: string, service: string): string {
  const sel = `project=${JSON.stringify(project)},service=${JSON.stringify(service)}`;
  return (
    `max by (metric) (docktor_observation{${sel},metric=~${JSON.stringify(PROMETHEUS_METRICS.join('|'))}})` +
    ` or label_replace(max(docktor_desired_replicas{${sel}}), "metric", "desired", "", "")`
  );
}

export async function readPrometheusTraffic(o: PrometheusTrafficOptions): Promise<PrometheusTraffic> {
  const what = `--prometheus ${redactUrl(o.url)}`;
  try {
    new URL(o.url);
  } catch {
    throw new OperationError(`${what}: not a URL; give the Prometheus server's base URL, e.g. http://user:pass@prometheus:9090`);
  }
  const query = trafficQuery(o.project, o.service);
  const series: SeriesByMetric = new Map();
  const chunks = rangeChunks(o.since, o.now, o.stepS);
  for (const [start, end] of chunks) {
    const body = await prometheusGet({
      base: o.url,
      endpoint: 'query_range',
      params: { query, start: String(start), end: String(end), step: String(o.stepS) },
      auth: { token: o.token },
      timeoutS: o.timeoutS ?? 30,
      what,
      fields: { url: '--prometheus', query: '--prometheus', timeout: '--prometheus', auth: '--prometheus: the user and password in its URL (http://user:pass@host:9090), or DOCKTOR_PROMETHEUS_TOKEN for a bearer token' },
    });
    const problem = addMatrix(series, body);
    if (problem) throw new OperationError(`${what}: ${problem}`);
  }
  const model = prometheusTrafficModel(series, o.stepS);
  if (!model) {
    throw new OperationError(
      `${what}: no docktor_observation of ${o.project}/${o.service} since ${new Date(o.since * 1000).toISOString()}: ` +
        'does this Prometheus scrape the metrics port (temporal.metrics_port) of the workers that run its scaler? (docs/operations.md)',
    );
  }
  return { ...model, queries: chunks.length };
}
