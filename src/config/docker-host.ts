// `runtime.docker_host`: the Docker Engine address forms the docker CLI takes in DOCKER_HOST.
// Parsed here (pure) so that a bad one is a config error naming the field, before any worker
// tries it; src/runtimes/docker-client.ts turns the parsed form into a client.

export type DockerHost =
  | { protocol: 'unix'; socketPath: string }
  | { protocol: 'tcp'; host: string; port: number }
  | { protocol: 'ssh'; host: string; port: number; username?: string };

const FORMS = 'unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST';

export function parseDockerHost(value: string): DockerHost | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `"${value}" is not a Docker Engine address: use ${FORMS}`;
  }
  switch (url.protocol) {
    case 'unix:':
      if (!url.pathname || url.pathname === '/') return `"${value}": a unix address names the socket, e.g. unix:///var/run/docker.sock`;
      return { protocol: 'unix', socketPath: decodeURIComponent(url.pathname) };
    case 'tcp:':
      if (!url.hostname) return `"${value}": a tcp address names the host, e.g. tcp://10.0.0.5:2376`;
      return { protocol: 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 2375 };
    case 'ssh:':
      if (!url.hostname) return `"${value}": an ssh address names the host, e.g. ssh://deploy@10.0.0.5`;
      return {
        protocol: 'ssh',
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port ? Number(url.port) : 22,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      };
    default:
      return `"${value}": unknown scheme ${url.protocol.replace(/:$/, '')}: use ${FORMS}`;
  }
}

/** Why `value` is not a Docker Engine address, or undefined when it is one. */
export function dockerHostProblem(value: string): string | undefined {
  const parsed = parseDockerHost(value);
  return typeof parsed === 'string' ? parsed : undefined;
}
