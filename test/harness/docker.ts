// A real Docker engine for the tests. Uses $DOCKER_HOST or /var/run/docker.sock when they answer;
// else (as root) starts a private dockerd on /tmp/docktor-dockerd/docker.sock, installing Debian's
// docker.io first if dockerd is missing. That daemon is detached and outlives the process that
// started it, so later test files and runs reuse it instead of paying its start-up again.
// No registry is reachable here, so images are built from nothing: `docktor-base` is an empty
// image, and containers see the host's /usr, /lib, ... read-only and run the host's Node.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import Dockerode from 'dockerode';
import { pidAlive, readPid, withPidLock } from '../../src/dev/pid-lock';
import { whichSync } from '../../src/dev/temporal-cli';

export const DOCKERD_DIR = '/tmp/docktor-dockerd';
export const DOCKERD_SOCKET = `${DOCKERD_DIR}/docker.sock`;
export const DOCKERD_PIDFILE = `${DOCKERD_DIR}/docker.pid`;
export const DOCKERD_LOG = `${DOCKERD_DIR}/dockerd.log`;
export const BASE_IMAGE = 'docktor-base:latest';
/** Label put on every container the tests create, so leftovers can be found and removed. */
export const TEST_LABEL = 'docktor.test';

export interface DockerHarness {
  /** The engine's unix socket; undefined for a tcp:// DOCKER_HOST. */
  socketPath: string | undefined;
  /** The value to give child processes (docker CLI, compose) as DOCKER_HOST. */
  dockerHost: string;
  docker: Dockerode;
  /** An empty image to run host binaries in, with nodeContainerBinds(). */
  baseImage: string;
}

/** Folders of the host mounted read-only into test containers so that host Node runs there. */
export function nodeContainerBinds(): string[] {
  const dirs = ['/usr', '/lib', '/lib64', '/bin', '/etc/ssl'];
  // A Node installed outside /usr (nvm, a tarball) needs its own prefix too.
  const prefix = dirname(dirname(process.execPath));
  if (!dirs.some((d) => process.execPath.startsWith(`${d}/`))) dirs.push(prefix);
  return dirs.filter((d) => existsSync(d)).map((d) => `${d}:${d}:ro`);
}

/** The Node binary to name in a test container's command. */
export function nodeInContainer(): string {
  return process.execPath;
}

let shared: Promise<DockerHarness> | undefined;

/** The engine for this process (found or started once). */
export function dockerHarness(): Promise<DockerHarness> {
  shared ??= findOrStartEngine().then(async (h) => {
    await ensureBaseImage(h.docker);
    return h;
  });
  return shared;
}

/**
 * A second private Engine (its own socket, data and containerd), for a service whose
 * `runtime.docker_host` names another Engine than the first (issue: machines). Root only.
 */
export const SECOND_DOCKERD_DIR = '/tmp/docktor-dockerd-2';
let second: Promise<DockerHarness> | undefined;
export function secondDockerHarness(): Promise<DockerHarness> {
  second ??= (async () => {
    const h = unixHarness(`${SECOND_DOCKERD_DIR}/docker.sock`);
    if (!(await answers(h.docker))) await startPrivateDockerd(h.docker, SECOND_DOCKERD_DIR);
    await ensureBaseImage(h.docker);
    return h;
  })();
  return second;
}

async function answers(docker: Dockerode): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

function unixHarness(socketPath: string): DockerHarness {
  return { socketPath, dockerHost: `unix://${socketPath}`, docker: new Dockerode({ socketPath }), baseImage: BASE_IMAGE };
}

async function findOrStartEngine(): Promise<DockerHarness> {
  const fromEnv = process.env.DOCKER_HOST;
  if (fromEnv) {
    const h: DockerHarness = fromEnv.startsWith('unix://')
      ? unixHarness(fromEnv.slice('unix://'.length))
      : { socketPath: undefined, dockerHost: fromEnv, docker: new Dockerode(), baseImage: BASE_IMAGE };
    if (await answers(h.docker)) return h;
    throw new Error(`DOCKER_HOST=${fromEnv} does not answer a Docker ping; start that engine or unset DOCKER_HOST to let the tests start their own dockerd`);
  }
  const system = unixHarness('/var/run/docker.sock');
  if (existsSync(system.socketPath as string) && (await answers(system.docker))) return system;
  const ours = unixHarness(DOCKERD_SOCKET);
  if (await answers(ours.docker)) return ours;
  await startPrivateDockerd(ours.docker);
  return ours;
}

function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Start-up under a lock file so two test processes never start two daemons on one socket. */
async function startPrivateDockerd(docker: Dockerode, dir = DOCKERD_DIR): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'no Docker engine: DOCKER_HOST is unset and /var/run/docker.sock does not answer; the tests start their own ' +
        'dockerd only as root. Start Docker (or run the tests as root), or set DOCKER_HOST',
    );
  }
  mkdirSync(dir, { recursive: true });
  await withPidLock(`${dir}/start.lock`, async () => {
    if (await answers(docker)) return; // started by whoever held the lock
    await launchDockerd(docker, dir);
  });
}

const DAEMON_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

async function launchDockerd(docker: Dockerode, dir: string): Promise<void> {
  const socket = `${dir}/docker.sock`;
  const pidfile = `${dir}/docker.pid`;
  const logFile = `${dir}/dockerd.log`;
  let running = readPid(pidfile);
  // A pidfile left by a daemon that died may name a pid now reused by something else.
  if (running !== undefined && !(pidAlive(running) && processName(running) === 'dockerd')) running = undefined;
  if (running === undefined) {
    const dockerd = whichSync('dockerd', DAEMON_PATH) ?? (await installDockerIo());
    // An unclean stop can leave the socket behind; dockerd refuses to start over it.
    rmSync(socket, { force: true });
    const logFd = openSync(logFile, 'a');
    const child = spawn(
      dockerd,
      [
        '--host', `unix://${socket}`,
        '--iptables=false', // no NAT rules on the host; containers use the host network
        '--bridge=none',
        '--data-root', `${dir}/data`,
        '--exec-root', `${dir}/exec`,
        '--pidfile', pidfile,
      ],
      { detached: true, stdio: ['ignore', logFd, logFd], env: { ...process.env, PATH: DAEMON_PATH } },
    );
    child.unref();
    closeSync(logFd);
    running = child.pid;
    process.stderr.write(`docktor tests: started dockerd (pid ${running}) on ${socket}, log ${logFile}; it is left running for later test runs\n`);
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await answers(docker)) return;
    if (running !== undefined && !pidAlive(running)) break;
    await sleep(100);
  }
  const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new Error(`dockerd did not answer on ${socket} (log ${logFile}):\n${log}`);
}

/** Debian's docker.io brings dockerd, containerd and runc. */
async function installDockerIo(): Promise<string> {
  process.stderr.write('docktor tests: dockerd is missing; installing Debian\'s docker.io (apt-get)…\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', PATH: DAEMON_PATH };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'docker.io']]) {
    const code = await new Promise<number | null>((resolve, reject) => {
      const p = spawn('apt-get', args, { stdio: ['ignore', 2, 2], env });
      p.on('error', reject);
      p.on('close', resolve);
    });
    if (code !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${code}); install docker.io (or start Docker and set DOCKER_HOST) and re-run`);
  }
  const dockerd = whichSync('dockerd', DAEMON_PATH);
  if (!dockerd) throw new Error('apt-get install docker.io did not provide dockerd; install Docker and re-run');
  return dockerd;
}

/** An image with no files at all: `docker import` of an empty tarball (two zero blocks and padding). */
async function ensureBaseImage(docker: Dockerode): Promise<void> {
  try {
    await docker.getImage(BASE_IMAGE).inspect();
    return;
  } catch {
    // not there yet
  }
  const [repo, tag] = BASE_IMAGE.split(':');
  const progress = await docker.importImage(Readable.from([Buffer.alloc(10240)]), { repo, tag });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(progress, (err) => (err ? reject(err) : resolve()));
  });
  await docker.getImage(BASE_IMAGE).inspect();
}

export interface ContainerRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node ...args` to completion in a fresh container (host network, host Node) and
 * returns its exit code and output; the container is removed afterwards.
 */
export async function runNodeContainer(h: DockerHarness, args: string[], env: string[] = []): Promise<ContainerRun> {
  const container = await h.docker.createContainer({
    Image: h.baseImage,
    Cmd: [nodeInContainer(), ...args],
    Env: env,
    Labels: { [TEST_LABEL]: 'true' },
    HostConfig: { NetworkMode: 'host', Binds: nodeContainerBinds() },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const raw = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
    return { exitCode: StatusCode, ...demuxLogs(raw) };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}

/** Docker's multiplexed log format (no TTY): frames of [stream, 0, 0, 0, size(4, BE)] + payload. */
export function demuxLogs(raw: Buffer): { stdout: string; stderr: string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length) {
    const size = raw.readUInt32BE(i + 4);
    const payload = raw.subarray(i + 8, i + 8 + size);
    (raw[i] === 2 ? err : out).push(payload);
    i += 8 + size;
  }
  return { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

/** One Engine event (`docker events` JSON); only the fields tests read. */
export interface EngineEvent {
  Action?: string;
  status?: string;
  Actor?: { Attributes?: Record<string, string> };
}

/**
 * Follows the Engine's event stream with `filters`, calling `onEvent` for each event as it comes
 * (the stream is newline-separated JSON, split across chunks arbitrarily). Returns a stop function.
 */
export async function followEngineEvents(
  docker: Dockerode,
  filters: Record<string, string[]>,
  onEvent: (e: EngineEvent) => void,
): Promise<() => void> {
  const stream = (await docker.getEvents({ filters })) as NodeJS.ReadableStream & { destroy?: () => void };
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (line) onEvent(JSON.parse(line) as EngineEvent);
    }
  });
  return () => stream.destroy?.();
}
