// `kind: prometheus`: a PromQL query through the instant-query API (KEDA's prometheus scaler),
// whose answer must be a scalar or a one-sample vector. Basic auth (username with password,
// password_env or password_file) or a bearer token, read on the worker and never stored.
import type { PrometheusExternalConfig } from '../../config/external';
import { ConfigurationError } from '../../errors';
import type { CheckResult } from '../../observations';
import { messageOf } from '../failures';
import { redactUrl, resolveSecret } from '../secrets';
import type { ExternalSource } from './external-source';
import { prometheusGet } from './prometheus-http';
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
    const password = resolveSecret(config, 'password', field);
    const token = resolveSecret(config, 'bearer_token', field);
    const fix = config.username !== undefined ? `${field}.username and password` : token !== undefined ? `${field}.bearer_token` : `${field}: give username and password, or bearer_token`;
    return prometheusGet({
      base: config.url,
      endpoint: 'query',
      params: { query: config.query },
      auth: { username: config.username, password, token },
      timeoutS: config.timeout,
      what,
      fields: { url: `${field}.url`, query: `${field}.query`, timeout: `${field}.timeout`, auth: fix },
    });
  }
}

function describe(config: PrometheusExternalConfig): string {
  return `external source '${config.name}' (Prometheus at ${redactUrl(config.url)})`;
}

export const prometheusExternalSource = new PrometheusExternalSource();
