// `kind: http`: GET a URL, take the number at `value_path` of the JSON answer (KEDA's metrics-api).
// The bearer token and credential headers are secrets: masked in Temporal and every output,
// restored or read (bearer_token_env / _file) on the worker.
import type { HttpExternalConfig } from '../../config/external';
import { ConfigurationError, UnavailableError } from '../../errors';
import type { CheckResult } from '../../observations';
import { messageOf, sourceError } from '../failures';
import { redactUrl, resolveSecret } from '../secrets';
import type { ExternalSource } from './external-source';
import { numberAt } from './value-path';

export class HttpExternalSource implements ExternalSource<HttpExternalConfig> {
  readonly kind = 'http' as const;

  async read(config: HttpExternalConfig): Promise<number> {
    const what = describe(config);
    const body = await this.fetchJson(config, what);
    const found = numberAt(body, config.value_path);
    if (!found.ok) throw new ConfigurationError(`${what}: ${found.problem} (external.${config.name}.value_path)`, 'value_path');
    return found.value;
  }

  async check(config: HttpExternalConfig): Promise<CheckResult[]> {
    const label = `External '${config.name}' (http ${redactUrl(config.url)}) gives a number`;
    try {
      const value = await this.read(config);
      return [{ ok: true, label, detail: `${config.value_path || '(the answer)'} = ${value}` }];
    } catch (e) {
      return [{ ok: false, label, detail: messageOf(e) }];
    }
  }

  async close(): Promise<void> {
    // fetch keeps no connection docktor owns.
  }

  private async fetchJson(config: HttpExternalConfig, what: string): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json', ...config.headers };
    const token = resolveSecret(config, 'bearer_token', `external.${config.name}`);
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let res: Response;
    try {
      res = await fetch(config.url, { headers, signal: AbortSignal.timeout(config.timeout * 1000), redirect: 'follow' });
    } catch (e) {
      if (e instanceof Error && e.name === 'TimeoutError') throw new UnavailableError(`${what} did not answer within ${config.timeout} s (external.${config.name}.timeout)`);
      throw sourceError({ what, field: `external.${config.name}.url` }, e);
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) {
      throw new ConfigurationError(`${what} answered ${res.status} ${res.statusText}: check external.${config.name}'s bearer_token or headers`, 'headers');
    }
    if (res.status === 404) throw new ConfigurationError(`${what} answered 404 Not Found: check external.${config.name}.url`, 'url');
    if (!res.ok) throw new UnavailableError(`${what} answered ${res.status} ${res.statusText}: ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ConfigurationError(`${what} did not answer JSON (content-type ${res.headers.get('content-type') ?? 'none'}): ${JSON.stringify(text.slice(0, 80))}`, 'url');
    }
  }
}

function describe(config: HttpExternalConfig): string {
  return `external source '${config.name}' (GET ${redactUrl(config.url)})`;
}

export const httpExternalSource = new HttpExternalSource();
