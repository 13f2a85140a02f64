// `kind: prometheus`: a PromQL query through the instant-query API (KEDA's prometheus scaler),
// whose answer must be a scalar or a one-sample vector. Basic auth (username with password,
// password_env or password_file) or a bearer token, read on the worker and never stored.
import type { PrometheusExternalConfig } from '../../config/external';
import { ConfigurationError, UnavailableError } from '../../errors';
import type { CheckResult } from '../../observations';
import { messageOf, sourceError } from '../failures';
import { redactUrl, resolveSecret } from '../secrets';
import type { ExternalSource } from './external-source';
import { prometheusValue } from './prometheus-result';

export class PrometheusExternalSource implements ExternalSource<PrometheusExternalConfig> {
  readonly kind = 'prometheus' as const;

  async read(config: PrometheusExternalConfig): Promise<number> {
    const what = describe(config);
    const body = await this.query(config, what);
    const found = prometheusValue(body);
    if (!found.ok) throw new ConfigurationError(`${what}: ${found.problem} (external.${config.name}.query)`, `external.${config.name}.query`);
    return found.value;
  }

  async check(config: PrometheusExternalConfig): Promise<CheckResult[]> {
    const label = `External '${config.name}' (prometheus ${redactUrl(config.url)}) gives a number`;
    try {
      const value = await this.read(config);
      return [{ ok: true, label, detail: `${config.query} = ${value}` }];
    } catch (e) {
      return [{ ok: false, label, detail: messageOf(e) }];
    }
  }

  async close(): Promise<void> {
    // fetch keeps no connection docktor owns.
  }

  private async query(config: PrometheusExternalConfig, what: string): Promise<unknown> {
    const field = `external.${config.name}`;
    const url = queryUrl(config.url);
    // Prometheus stops evaluating at its own timeout too, and then says so (503, errorType timeout).
    url.searchParams.set('query', config.query);
    url.searchParams.set('timeout', `${config.timeout}s`);
    const headers: Record<string, string> = { accept: 'application/json' };
    const password = resolveSecret(config, 'password', field);
    const token = resolveSecret(config, 'bearer_token', field);
    if (config.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${config.username}:${password ?? ''}`).toString('base64')}`;
    else if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: AbortSignal.timeout(config.timeout * 1000) });
    } catch (e) {
      if (e instanceof Error && e.name === 'TimeoutError') throw new UnavailableError(`${what} did not answer within ${config.timeout} s (${field}.timeout)`);
      throw sourceError({ what, field: `${field}.url` }, e);
    }
    const text = await res.text();
    const body = parseJson(text);
    const apiError = (body as { error?: unknown } | undefined)?.error;
    const said = typeof apiError === 'string' ? apiError : text.slice(0, 200).trim();
    if (res.status === 401 || res.status === 403) {
      const fix = config.username !== undefined ? `${field}.username and password` : token !== undefined ? `${field}.bearer_token` : `${field}: give username and password, or bearer_token`;
      throw new ConfigurationError(`${what} answered ${res.status} ${res.statusText}: check ${fix}`, `${field}.url`);
    }
    if (res.status === 404) throw new ConfigurationError(`${what} answered 404 Not Found: is ${field}.url the Prometheus server's base URL?`, `${field}.url`);
    // 400 bad_data (a PromQL syntax error), 422 execution error (e.g. many-to-many matching).
    if (res.status === 400 || res.status === 422) throw new ConfigurationError(`${what}: the query failed: ${said} (${field}.query)`, `${field}.query`);
    if (!res.ok) throw new UnavailableError(`${what} answered ${res.status} ${res.statusText}: ${said}`);
    if (body === undefined) throw new ConfigurationError(`${what} did not answer JSON: ${JSON.stringify(text.slice(0, 80))}; is ${field}.url a Prometheus server?`, `${field}.url`);
    return body;
  }
}

/** The instant-query endpoint under the server's base URL (kept when the URL already names it). */
function queryUrl(base: string): URL {
  const url = new URL(base);
  if (!url.pathname.endsWith('/api/v1/query')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/api/v1/query`;
  return url;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(config: PrometheusExternalConfig): string {
  return `external source '${config.name}' (Prometheus at ${redactUrl(config.url)})`;
}

export const prometheusExternalSource = new PrometheusExternalSource();
