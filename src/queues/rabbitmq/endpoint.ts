// Pure: where a `kind: rabbitmq` config points (host, port, vhost, credentials) and the management
// API's address of its queue. Credentials come from the URL unless `user` / `password*` override
// them; with none at all, AMQP's default guest/guest applies (as amqplib does).
import type { RabbitmqQueueConfig } from '../../config/queue';
import { ConfigurationError } from '../../errors';

export interface Credentials {
  user: string;
  password: string;
}

export interface AmqpEndpoint {
  tls: boolean;
  hostname: string;
  port: number;
  vhost: string;
  credentials: Credentials;
}

/**
 * The AMQP endpoint of a config; `password` is the resolved `password` / `_env` / `_file` field,
 * if any. The vhost is the URL's path, percent-decoded (`/%2F` is `/`, no path is `/`).
 */
export function amqpEndpoint(config: Pick<RabbitmqQueueConfig, 'url' | 'user'>, password: string | undefined): AmqpEndpoint {
  const u = parseUrl(config.url, 'queue.url');
  const tls = u.protocol === 'amqps:';
  const path = u.pathname.replace(/^\//, '');
  const vhost = path === '' ? '/' : decode(path, 'queue.url');
  const fromUrl = u.username !== '' || u.password !== '';
  const user = config.user ?? (fromUrl ? decode(u.username, 'queue.url') : 'guest');
  const pass = password ?? (fromUrl ? decode(u.password, 'queue.url') : config.user ? '' : 'guest');
  return { tls, hostname: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : tls ? 5671 : 5672, vhost, credentials: { user, password: pass } };
}

/**
 * The management API URL of the queue (`/api/queues/<vhost>/<name>`, both percent-encoded) with
 * its user info removed, and the credentials to send: the management URL's own, else the AMQP ones.
 */
export function managementQueueUrl(managementUrl: string, endpoint: AmqpEndpoint, queue: string): { url: string; credentials: Credentials } {
  return managementApiUrl(managementUrl, endpoint, `queues/${encodeURIComponent(endpoint.vhost)}/${encodeURIComponent(queue)}`);
}

/** The management API URL listing the vhost's queues (names only), as managementQueueUrl. */
export function managementQueuesUrl(managementUrl: string, endpoint: AmqpEndpoint): { url: string; credentials: Credentials } {
  const { url, credentials } = managementApiUrl(managementUrl, endpoint, `queues/${encodeURIComponent(endpoint.vhost)}`);
  return { url: `${url}?columns=name`, credentials };
}

function managementApiUrl(managementUrl: string, endpoint: AmqpEndpoint, apiPath: string): { url: string; credentials: Credentials } {
  const u = parseUrl(managementUrl, 'queue.management_url');
  const credentials = u.username !== '' ? { user: decode(u.username, 'queue.management_url'), password: decode(u.password, 'queue.management_url') } : endpoint.credentials;
  u.username = '';
  u.password = '';
  const base = u.pathname.replace(/\/+$/, '');
  u.pathname = `${base}/api/${apiPath}`;
  u.search = '';
  u.hash = '';
  return { url: u.toString(), credentials };
}

/** Pool key: one connection per server, vhost and credentials (and TLS files). */
export function connectionKey(endpoint: AmqpEndpoint, tls: RabbitmqQueueConfig['tls']): string {
  return JSON.stringify([endpoint.tls, endpoint.hostname, endpoint.port, endpoint.vhost, endpoint.credentials.user, endpoint.credentials.password, tls ?? null]);
}

function parseUrl(url: string, field: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new ConfigurationError(`${field} is not a valid URL; write it as scheme://user:password@host:port/path`, field);
  }
}

function decode(s: string, field: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ConfigurationError(`${field}: bad percent-encoding in ${JSON.stringify(s.slice(0, 20))}; encode reserved characters as %XX`, field);
  }
}
