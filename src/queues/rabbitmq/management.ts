// One GET of the RabbitMQ management HTTP API. node:http(s) rather than fetch: an https management
// API with a private CA needs the `queue.tls` files, which fetch cannot be given.
import http from 'node:http';
import https from 'node:https';
import type { TlsFileOptions } from '../../sources/tls-files';
import type { Credentials } from './endpoint';

export interface HttpAnswer {
  status: number;
  body: string;
}

/**
 * Keep-alive agents of one source, so a worker's checks reuse their sockets; destroyed on close,
 * so a CLI command does not wait for idle sockets to time out before it exits.
 */
export class ManagementAgents {
  readonly http = new http.Agent({ keepAlive: true });
  readonly https = new https.Agent({ keepAlive: true });

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** GETs `url` with basic auth; rejects on a network error or after `timeout_ms`. */
export function getWithBasicAuth(agents: ManagementAgents, url: string, credentials: Credentials, tls: TlsFileOptions, timeout_ms: number): Promise<HttpAnswer> {
  const u = new URL(url);
  const auth = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
  const secure = u.protocol === 'https:';
  const options = { method: 'GET', headers: { authorization: `Basic ${auth}`, accept: 'application/json' }, timeout: timeout_ms, agent: secure ? agents.https : agents.http };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    };
    const req = secure ? https.request(u, { ...options, ...tls }, onResponse) : http.request(u, options, onResponse);
    req.on('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${timeout_ms} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}
