// One NATS connection per (servers, credentials, TLS), shared by every read and check in this
// process. Connections reconnect forever once established; a first connect that fails is not
// retried here (the activity's retry policy does that), and a closed one is replaced on next use.
import fs from 'node:fs';
import path from 'node:path';
import { connect, credsAuthenticator, errors, type NatsConnection, type NodeConnectionOptions } from '@nats-io/transport-node';
import type { NatsQueueConfig } from '../../config/queue';
import { ConfigurationError, UnavailableError } from '../../errors';
import { isTlsError, messageOf } from '../../sources/failures';
import { redactUrl } from '../../sources/secrets';

export { messageOf };

/** What a connection needs of a config: the queue's, or an event sink's (src/config/events.ts). */
export type NatsServerConfig = Pick<NatsQueueConfig, 'url' | 'auth' | 'tls'>;

export interface NatsConnectionPoolOptions {
  /** Bound on a first connect (per server), ms. */
  connect_timeout_ms?: number;
  /** Pause between reconnect attempts of an established connection, ms. */
  reconnect_wait_ms?: number;
}

export class NatsConnectionPool {
  private readonly connections = new Map<string, Promise<NatsConnection>>();
  private readonly connect_timeout_ms: number;
  private readonly reconnect_wait_ms: number;

  constructor(options: NatsConnectionPoolOptions = {}) {
    this.connect_timeout_ms = options.connect_timeout_ms ?? 5000;
    this.reconnect_wait_ms = options.reconnect_wait_ms ?? 1000;
  }

  /** Connections currently open or being opened. */
  get size(): number {
    return this.connections.size;
  }

  /** The shared connection for this config; UnavailableError or ConfigurationError if none can be made. */
  async get(config: NatsServerConfig): Promise<NatsConnection> {
    const key = poolKey(config);
    const pending = this.connections.get(key);
    if (pending) {
      const nc = await pending;
      if (!nc.isClosed()) return nc;
      if (this.connections.get(key) === pending) this.connections.delete(key);
      return this.get(config);
    }
    const opening = this.open(config);
    this.connections.set(key, opening);
    try {
      const nc = await opening;
      // Closed for good (close() or a fatal error): forget it so the next call connects anew.
      void nc.closed().then(() => {
        if (this.connections.get(key) === opening) this.connections.delete(key);
      });
      return nc;
    } catch (err) {
      if (this.connections.get(key) === opening) this.connections.delete(key);
      throw err;
    }
  }

  /** Closes every pooled connection. */
  async close(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map((p) => p.then((nc) => nc.close()).catch(() => undefined)));
  }

  private async open(config: NatsServerConfig): Promise<NatsConnection> {
    const options = connectOptions(config, {
      timeout: this.connect_timeout_ms,
      reconnectTimeWait: this.reconnect_wait_ms,
    });
    try {
      return await connect(options);
    } catch (err) {
      throw connectError(config, err);
    }
  }
}

/** Servers of `queue.url`: one URL, or several separated by commas (a cluster's seeds). */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** `queue.url` as shown in messages: passwords and tokens inside URLs masked. */
export function redactNatsUrl(url: string): string {
  return natsServers(url).map(redactUrl).join(',');
}

function poolKey(config: NatsServerConfig): string {
  return JSON.stringify([natsServers(config.url), config.auth ?? null, config.tls ?? null]);
}

/** nats.js options for a config; reads the creds file and checks the TLS files (ConfigurationError). */
export function connectOptions(
  config: NatsServerConfig,
  base: Pick<NodeConnectionOptions, 'timeout' | 'reconnectTimeWait'>,
): NodeConnectionOptions {
  const options: NodeConnectionOptions = {
    ...base,
    servers: natsServers(config.url),
    name: 'docktor',
    maxReconnectAttempts: -1,
    waitOnFirstConnect: false,
  };
  const { auth, tls } = config;
  if (auth?.token) options.token = auth.token;
  if (auth?.user) {
    options.user = auth.user;
    if (auth.password !== undefined) options.pass = auth.password;
  }
  if (auth?.creds_file) {
    options.authenticator = credsAuthenticator(readConfigFile(auth.creds_file, 'queue.auth.creds_file', 'a NATS credentials file (nsc generate creds)'));
  }
  if (tls) {
    // `servername` is passed through to node's tls.connect (SNI and certificate name check).
    const tlsOptions: NonNullable<NodeConnectionOptions['tls']> & { servername?: string } = {};
    if (tls.ca_file) tlsOptions.caFile = existingFile(tls.ca_file, 'queue.tls.ca_file');
    if (tls.cert_file) tlsOptions.certFile = existingFile(tls.cert_file, 'queue.tls.cert_file');
    if (tls.key_file) tlsOptions.keyFile = existingFile(tls.key_file, 'queue.tls.key_file');
    if (tls.server_name) tlsOptions.servername = tls.server_name;
    options.tls = tlsOptions;
  }
  return options;
}

function existingFile(file: string, field: string): string {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new ConfigurationError(`${field}: file not found: ${abs}; fix the path (relative paths are taken from the working directory)`, field);
  return abs;
}

function readConfigFile(file: string, field: string, what: string): Uint8Array {
  const abs = existingFile(file, field);
  try {
    return fs.readFileSync(abs);
  } catch (err) {
    throw new ConfigurationError(`${field}: cannot read ${abs} (${messageOf(err)}); it must be ${what}`, field);
  }
}

/** A failed first connect: bad credentials or TLS setup are configuration errors; the rest is retryable. */
export function connectError(config: NatsServerConfig, err: unknown): Error {
  const url = redactNatsUrl(config.url);
  if (err instanceof ConfigurationError) return err;
  if (err instanceof errors.AuthorizationError || err instanceof errors.UserAuthenticationExpiredError) {
    return new ConfigurationError(
      `NATS at ${url} refused the credentials (${messageOf(err)}): check queue.auth (token, user/password or creds_file)`,
      'queue.auth',
    );
  }
  if (isNatsTlsError(err)) {
    return new ConfigurationError(`TLS with NATS at ${url} failed (${messageOf(err)}): check queue.tls and the server's TLS setup`, 'queue.tls');
  }
  return new UnavailableError(`NATS unreachable at ${url}: ${messageOf(err)}; is nats-server running there? (queue.url)`, { cause: err });
}

function isNatsTlsError(err: unknown): boolean {
  return (err instanceof errors.InvalidArgumentError && /tls/i.test(err.message)) || isTlsError(err);
}
