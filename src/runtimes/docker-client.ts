// The Docker Engine client shared by the compose and swarm runtimes, and how its failures map to
// docktor's typed errors. Like the docker CLI it honours DOCKER_HOST (unix:///path, tcp://host:port,
// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH), else the default socket.
import fs from 'node:fs';
import path from 'node:path';
import Dockerode from 'dockerode';
import { parseDockerHost } from '../config/docker-host';
import { ConfigurationError, DocktorError, UnavailableError } from '../errors';

/** A new client configured from the environment, as the docker CLI would be. */
export function dockerFromEnv(): Dockerode {
  return new Dockerode();
}

/**
 * A client for `runtime.docker_host` (issue: machines). TLS as the docker CLI does it: tcp with
 * DOCKER_TLS_VERIFY=1 or port 2376 is https, with ca/cert/key.pem from DOCKER_CERT_PATH; ssh uses
 * the ssh agent (SSH_AUTH_SOCK) and runs `docker system dial-stdio` on the far side.
 */
export function dockerFor(dockerHost: string, env: NodeJS.ProcessEnv = process.env): Dockerode {
  const parsed = parseDockerHost(dockerHost);
  if (typeof parsed === 'string') throw new ConfigurationError(parsed, 'runtime.docker_host');
  switch (parsed.protocol) {
    case 'unix':
      return new Dockerode({ socketPath: parsed.socketPath });
    case 'ssh':
      return new Dockerode({
        protocol: 'ssh',
        host: parsed.host,
        port: parsed.port,
        ...(parsed.username ? { username: parsed.username } : {}),
        sshOptions: env['SSH_AUTH_SOCK'] ? { agent: env['SSH_AUTH_SOCK'] } : {},
      });
    case 'tcp': {
      const tls = env['DOCKER_TLS_VERIFY'] === '1' || parsed.port === 2376;
      const certs = tls && env['DOCKER_CERT_PATH'] ? certificates(env['DOCKER_CERT_PATH']) : {};
      return new Dockerode({ protocol: tls ? 'https' : 'http', host: parsed.host, port: parsed.port, ...certs });
    }
  }
}

function certificates(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  try {
    return { ca: fs.readFileSync(path.join(dir, 'ca.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')), key: fs.readFileSync(path.join(dir, 'key.pem')) };
  } catch (e) {
    throw new ConfigurationError(`DOCKER_CERT_PATH ${dir}: ${(e as Error).message} (it must hold ca.pem, cert.pem and key.pem)`, 'runtime.docker_host');
  }
}

/** Where the client connects, for messages: `unix:///var/run/docker.sock` or `tcp://host:port`. */
export function dockerEndpoint(docker: Dockerode): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === 'string') return `unix://${modem.socketPath}`;
  if (typeof modem.host === 'string') return `${String(modem.protocol ?? 'http')}://${modem.host}:${String(modem.port ?? '')}`;
  return process.env['DOCKER_HOST'] ?? 'unix:///var/run/docker.sock';
}

/** The HTTP status of an Engine error, when it has one. */
export function engineStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The Engine's own message (`{"message": ...}`) rather than dockerode's wrapper text. */
export function engineMessage(err: unknown): string {
  const json = (err as { json?: unknown } | null)?.json;
  const message = (json as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  return err instanceof Error ? err.message : String(err);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE', 'ENOTFOUND']);

/** True for "could not talk to the Engine at all" (as opposed to an Engine that answered with an error). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/**
 * A typed error for a failed Engine call: unreachable Engine or 5xx -> UnavailableError (retry);
 * 4xx -> ConfigurationError (retrying will not help). Docktor's own errors pass through.
 */
export function toDocktorError(err: unknown, doing: string, docker: Dockerode, field?: string): DocktorError {
  if (err instanceof DocktorError) return err;
  if (isConnectionError(err)) {
    return new UnavailableError(
      `${doing}: cannot reach the Docker Engine at ${dockerEndpoint(docker)} (${engineMessage(err)}); is dockerd running, and is DOCKER_HOST right?`,
    );
  }
  const status = engineStatus(err);
  if (status !== undefined && status >= 400 && status < 500) return new ConfigurationError(`${doing}: ${engineMessage(err)}`, field);
  return new UnavailableError(`${doing}: ${engineMessage(err)}`);
}

/** `Engine 20.10.24 (API 1.41, linux/amd64)`, from a successful ping and version call. */
export async function engineDescription(docker: Dockerode): Promise<string> {
  await docker.ping();
  const v = await docker.version();
  return `Engine ${v.Version} (API ${v.ApiVersion}, ${v.Os}/${v.Arch}) at ${dockerEndpoint(docker)}`;
}
