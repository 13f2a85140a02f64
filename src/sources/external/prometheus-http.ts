// One GET of Prometheus's HTTP API (`/api/v1/query`, `/api/v1/query_range`) with basic auth or a
// bearer token, its failures told as what to fix. Shared by the `prometheus` external source and
// `docktor tune --prometheus`: each names its own fields in the messages.
import { ConfigurationError, UnavailableError } from '../../errors';
import { sourceError } from '../failures';

export interface PrometheusAuth {
  username?: string | undefined;
  password?: string | undefined;
  token?: string | undefined;
}

export interface PrometheusGet {
  /** The server's base URL (a path already naming an endpoint under /api/v1/ is kept as the base). Userinfo in it is basic auth. */
  base: string;
  /** The endpoint, e.g. `query` or `query_range`. */
  endpoint: string;
  params: Record<string, string>;
  auth: PrometheusAuth;
  timeoutS: number;
  /** Who is asking, e.g. `external source 'p95' (Prometheus at http://…)`. */
  what: string;
  /** Fields the messages name: the URL, the query, the timeout, and how to fix a refused login. */
  fields: { url: string; query: string; timeout: string; auth: string };
}

/** The endpoint's URL under the server's base URL, without credentials (fetch refuses them). */
export function prometheusApiUrl(base: string, endpoint: string): URL {
  const url = new URL(base);
  url.username = '';
  url.password = '';
  const root = url.pathname.replace(/\/api\/v1\/[a-z_]+\/?$/, '').replace(/\/+$/, '');
  url.pathname = `${root}/api/v1/${endpoint}`;
  return url;
}

/** Basic auth from `auth`, else from the URL's userinfo; a bearer token otherwise. */
export function prometheusHeaders(base: string, auth: PrometheusAuth): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const url = new URL(base);
  const username = auth.username ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
  const password = auth.username !== undefined ? auth.password : url.password !== '' ? decodeURIComponent(url.password) : auth.password;
  if (username !== undefined) headers.authorization = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  else if (auth.token !== undefined) headers.authorization = `Bearer ${auth.token}`;
  return headers;
}

/** The parsed JSON answer; ConfigurationError (fix the config) or UnavailableError (retry) otherwise. */
export async function prometheusGet(r: PrometheusGet): Promise<unknown> {
  const { what, fields } = r;
  const url = prometheusApiUrl(r.base, r.endpoint);
  for (const [k, v] of Object.entries(r.params)) url.searchParams.set(k, v);
  // Prometheus stops evaluating at its own timeout too, and then says so (503, errorType timeout).
  url.searchParams.set('timeout', `${r.timeoutS}s`);
  let res: Response;
  try {
    res = await fetch(url, { headers: prometheusHeaders(r.base, r.auth), signal: AbortSignal.timeout(r.timeoutS * 1000) });
  } catch (e) {
    if (e instanceof Error && e.name === 'TimeoutError') throw new UnavailableError(`${what} did not answer within ${r.timeoutS} s (${fields.timeout})`);
    throw sourceError({ what, field: fields.url }, e);
  }
  const text = await res.text();
  const body = parseJson(text);
  const apiError = (body as { error?: unknown } | undefined)?.error;
  const said = typeof apiError === 'string' ? apiError : text.slice(0, 200).trim();
  if (res.status === 401 || res.status === 403) throw new ConfigurationError(`${what} answered ${res.status} ${res.statusText}: check ${fields.auth}`, fields.url);
  if (res.status === 404) throw new ConfigurationError(`${what} answered 404 Not Found: is ${fields.url} the Prometheus server's base URL?`, fields.url);
  // 400 bad_data (a PromQL syntax error, too many points), 422 execution error (e.g. many-to-many matching).
  if (res.status === 400 || res.status === 422) throw new ConfigurationError(`${what}: the query failed: ${said} (${fields.query})`, fields.query);
  if (!res.ok) throw new UnavailableError(`${what} answered ${res.status} ${res.statusText}: ${said}`);
  if (body === undefined) throw new ConfigurationError(`${what} did not answer JSON: ${JSON.stringify(text.slice(0, 80))}; is ${fields.url} a Prometheus server?`, fields.url);
  return body;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
