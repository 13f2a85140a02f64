// Redis connections of the redis queue source: the URL forms it takes (standalone, TLS, Sentinel,
// Cluster seeds) turned into ioredis options, and one pooled client per server and credentials.
//
// A pooled client does not reconnect by itself (retryStrategy: null): a read on a client that has
// died fails fast, and the pool opens a new one on the next use; the check's retry and the next
// check do the retrying, as for every source.
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisQueueConfig } from '../../config/queue';
import { ConfigurationError } from '../../errors';
import { ConnectionPool } from '../../sources/connection-pool';
import { redactUrl, resolveSecret } from '../../sources/secrets';
import { tlsFileOptions } from '../../sources/tls-files';

export type RedisClient = Redis | Cluster;

const CONNECT_TIMEOUT_MS = 5000;
const COMMAND_TIMEOUT_MS = 5000;

/** One host:port of a URL. */
export interface RedisNode {
  host: string;
  port: number;
}

/** What a `queue.url` names, before credentials and TLS are added. */
export type RedisTarget =
  | { mode: 'standalone'; node: RedisNode; db: number; tls: boolean; username?: string; password?: string }
  | { mode: 'sentinel'; sentinels: RedisNode[]; master: string; db: number; tls: boolean; username?: string; password?: string }
  | { mode: 'cluster'; nodes: RedisNode[]; tls: boolean; username?: string; password?: string };

const SCHEMES: Record<string, { tls: boolean; sentinel: boolean }> = {
  'redis:': { tls: false, sentinel: false },
  'rediss:': { tls: true, sentinel: false },
  'redis+sentinel:': { tls: false, sentinel: true },
  'rediss+sentinel:': { tls: true, sentinel: true },
};

/** Pure: parses `queue.url` (ConfigurationError naming queue.url when it is not one of the forms). */
export function parseRedisUrl(url: string, cluster: boolean): RedisTarget {
  const bad = (why: string) =>
    new ConfigurationError(
      `queue.url: ${why} (${redactUrl(url)}); use redis://[user:password@]host:port[/db], rediss:// for TLS, ` +
        'redis+sentinel://host:26379,host2:26379/<master>[/db], or several redis:// seeds with cluster: true',
      'queue.url',
    );
  const m = /^([a-z+]+:)\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?$/i.exec(url.trim());
  if (!m) throw bad('not a Redis URL');
  const [, rawScheme, userinfo, hosts, pathPart] = m;
  const scheme = SCHEMES[rawScheme!.toLowerCase()];
  if (!scheme) throw bad(`unknown scheme ${rawScheme}`);
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo) {
    const colon = userinfo.indexOf(':');
    const user = decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    if (colon >= 0) password = decodeURIComponent(userinfo.slice(colon + 1));
    if (user) username = user;
  }
  if (!hosts) throw bad('no host');
  const nodes = hosts.split(',').map((h) => parseNode(h.trim(), scheme.sentinel ? 26379 : 6379, bad));
  const segments = (pathPart ?? '').split('/').filter((s) => s !== '');
  const dbOf = (s: string | undefined) => {
    if (s === undefined) return 0;
    if (!/^\d+$/.test(s)) throw bad(`the database must be a number, not '${s}'`);
    return Number(s);
  };
  const creds = { ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
  if (scheme.sentinel) {
    if (cluster) throw bad('cluster: true with a Sentinel URL');
    const master = segments[0];
    if (!master) throw bad('a Sentinel URL names the master after the hosts: redis+sentinel://host:26379/mymaster');
    return { mode: 'sentinel', sentinels: nodes, master: decodeURIComponent(master), db: dbOf(segments[1]), tls: scheme.tls, ...creds };
  }
  if (cluster) {
    if (segments.length > 0 && segments[0] !== '0') throw bad('Redis Cluster has only database 0');
    return { mode: 'cluster', nodes, tls: scheme.tls, ...creds };
  }
  if (nodes.length > 1) throw bad('several hosts: set cluster: true for Cluster seeds, or use redis+sentinel:// for Sentinel');
  return { mode: 'standalone', node: nodes[0]!, db: dbOf(segments[0]), tls: scheme.tls, ...creds };
}

function parseNode(h: string, defaultPort: number, bad: (why: string) => Error): RedisNode {
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h);
  if (!m) throw bad(`bad host '${h}'`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : defaultPort };
}

/** The URL's credentials overridden by `username` and `password`/`password_env`/`password_file`. */
function credentials(config: RedisQueueConfig, target: RedisTarget): { username?: string; password?: string } {
  const password = resolveSecret(config, 'password', 'queue') ?? target.password;
  const username = config.username ?? target.username;
  return { ...(username ? { username } : {}), ...(password !== undefined ? { password } : {}) };
}

function tlsOptions(config: RedisQueueConfig, urlTls: boolean): RedisOptions['tls'] | undefined {
  if (!urlTls && !config.tls) return undefined;
  return tlsFileOptions(config.tls);
}


const COMMON: RedisOptions = {
  lazyConnect: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  commandTimeout: COMMAND_TIMEOUT_MS,
  maxRetriesPerRequest: 0,
  enableOfflineQueue: true,
  retryStrategy: () => null,
  connectionName: 'docktor',
};

/** A new, not yet connected client for the config (reads password_env / password_file now). */
export function createClient(config: RedisQueueConfig): RedisClient {
  const target = parseRedisUrl(config.url, config.cluster);
  const creds = credentials(config, target);
  const tls = tlsOptions(config, target.tls);
  const withTls = tls ? { tls } : {};
  switch (target.mode) {
    case 'standalone':
      return new Redis({ ...COMMON, ...creds, ...withTls, host: target.node.host, port: target.node.port, db: target.db });
    case 'sentinel':
      return new Redis({ ...COMMON, ...creds, ...withTls, sentinels: target.sentinels, name: target.master, db: target.db, sentinelRetryStrategy: () => null, enableTLSForSentinelMode: tls !== undefined });
    case 'cluster': {
      const options: ClusterOptions = { lazyConnect: true, clusterRetryStrategy: () => null, enableOfflineQueue: true, redisOptions: { ...COMMON, ...creds, ...withTls } };
      return new Cluster(target.nodes, options);
    }
  }
}

function poolKey(config: RedisQueueConfig): string {
  return JSON.stringify([config.url, config.cluster, config.username ?? null, config.password ?? null, config.password_env ?? null, config.password_file ?? null, config.tls ?? null]);
}

/** Pooled clients, one per server and credentials; a dead one is replaced on next use. */
export class RedisConnectionPool {
  private readonly pool = new ConnectionPool<RedisClient>({
    close: (c) => void c.disconnect(),
    alive: (c) => c.status === 'ready',
  });

  get size(): number {
    return this.pool.size;
  }

  async get(config: RedisQueueConfig): Promise<RedisClient> {
    return this.pool.get(poolKey(config), async () => {
      const client = createClient(config);
      // A failed connect rejects with "Connection is closed"; the cause (ECONNREFUSED, WRONGPASS, a
      // TLS error) comes as an 'error' event. Without a listener ioredis would log it.
      let cause: unknown;
      client.on('error', (err: unknown) => (cause ??= err));
      try {
        await client.connect();
        // Fails with NOAUTH/WRONGPASS when the server wants other credentials.
        await client.ping();
        return client;
      } catch (err) {
        client.disconnect();
        throw cause ?? err;
      }
    });
  }

  async discard(config: RedisQueueConfig): Promise<void> {
    await this.pool.discard(poolKey(config));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
