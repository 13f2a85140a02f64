// Downloads a released Temporal CLI, as @temporalio/testing does for its local server, but from
// the GitHub release itself so the archive can be checked against the release's checksums.txt
// (sha256, published by goreleaser beside the archives). Every wait is short: where no download
// host is reachable the caller falls back to building the CLI, and should not wait long first.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

/** Where the releases are: `<base>/<tag>/temporal_cli_<version>_<os>_<arch>.tar.gz` and `<base>/<tag>/checksums.txt`. */
export const TEMPORAL_CLI_RELEASES_URL = 'https://github.com/temporalio/cli/releases/download';
/** The environment variable that overrides the base URL (a mirror), or turns the download off with `off`. */
export const TEMPORAL_CLI_URL_ENV = 'DOCKTOR_TEMPORAL_CLI_URL';
/** Longest wait for an answer, and between two chunks of one: a dead host costs this much, not minutes. */
export const DOWNLOAD_IDLE_TIMEOUT_MS = 5_000;

export interface CliDownload {
  baseUrl: string;
  /** Release tag, e.g. `v1.5.1`. */
  version: string;
  /** Folder for the staging files (the cache folder: the rename into `target` stays on one file system). */
  workDir: string;
  /** Where the binary ends up; written only once it is verified and runs. */
  target: string;
  timeoutMs?: number;
  platform?: NodeJS.Platform;
  arch?: string;
  log: (line: string) => void;
}

/** The release archive for a platform; undefined where the CLI publishes no tar.gz. */
export function releaseArchiveName(version: string, platform: NodeJS.Platform = process.platform, arch: string = process.arch): string | undefined {
  const os = platform === 'linux' || platform === 'darwin' ? platform : undefined;
  const cpu = arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : undefined;
  if (!os || !cpu) return undefined;
  return `temporal_cli_${version.replace(/^v/, '')}_${os}_${cpu}.tar.gz`;
}

/** The sha256 that a goreleaser checksums.txt (`<hex>  <file>` lines) gives for `file`. */
export function checksumFor(checksums: string, file: string): string | undefined {
  for (const line of checksums.split('\n')) {
    const m = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/i.exec(line.trim());
    if (m && m[2] === file) return m[1]!.toLowerCase();
  }
  return undefined;
}

/** Downloads, verifies and installs the CLI at `target`; throws an Error saying why not. */
export async function downloadTemporalCli(o: CliDownload): Promise<void> {
  const timeoutMs = o.timeoutMs ?? DOWNLOAD_IDLE_TIMEOUT_MS;
  const name = releaseArchiveName(o.version, o.platform, o.arch);
  if (!name) throw new Error(`no released build for ${o.platform ?? process.platform}/${o.arch ?? process.arch}`);
  const base = `${o.baseUrl.replace(/\/+$/, '')}/${o.version}`;
  const started = Date.now();
  o.log(`docktor: downloading the Temporal CLI ${o.version} from ${base}/${name}…`);
  const expected = checksumFor(await getText(`${base}/checksums.txt`, timeoutMs), name);
  if (!expected) throw new Error(`${base}/checksums.txt lists no ${name}`);
  const staging = mkdtempSync(join(o.workDir, 'download-'));
  try {
    const archive = join(staging, name);
    const actual = await getFile(`${base}/${name}`, archive, timeoutMs);
    if (actual !== expected) throw new Error(`checksum mismatch: ${name} has sha256 ${actual}, checksums.txt says ${expected}; not used`);
    await untar(archive, staging, 'temporal');
    const binary = join(staging, 'temporal');
    const version = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 15_000 });
    if (version.status !== 0 || !version.stdout.includes(o.version.replace(/^v/, ''))) {
      throw new Error(`the downloaded ${name} does not answer \`temporal --version\` with ${o.version} (exit ${version.status ?? version.signal}: ${(version.stdout + version.stderr).trim().slice(0, 200)})`);
    }
    renameSync(binary, o.target);
    o.log(`docktor: downloaded the Temporal CLI in ${((Date.now() - started) / 1000).toFixed(1)} s (sha256 verified): ${o.target}`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** A timer that aborts a request unless it is touched within `ms` (an answer, then each chunk). */
function idleAbort(ms: number, url: string): { signal: AbortSignal; touch: () => void; stop: () => void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`${url}: nothing received for ${ms / 1000} s`)), ms);
  };
  touch();
  return { signal: controller.signal, touch, stop: () => clearTimeout(timer) };
}

async function get(url: string, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { signal, redirect: 'follow' });
  } catch (e) {
    throw new Error(describeFetchError(url, e));
  }
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`.trim());
  return res;
}

async function getText(url: string, timeoutMs: number): Promise<string> {
  const idle = idleAbort(timeoutMs, url);
  try {
    const res = await get(url, idle.signal);
    return await res.text().catch((e: unknown) => { throw new Error(describeFetchError(url, e)); });
  } finally {
    idle.stop();
  }
}

/** Streams `url` into `file`; resolves to its sha256 (hex). */
async function getFile(url: string, file: string, timeoutMs: number): Promise<string> {
  const idle = idleAbort(timeoutMs, url);
  try {
    const res = await get(url, idle.signal);
    if (!res.body) throw new Error(`${url}: empty answer`);
    const hash = createHash('sha256');
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        idle.touch();
        hash.update(chunk);
        done(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), tap, createWriteStream(file)).catch((e: unknown) => {
      throw new Error(describeFetchError(url, e));
    });
    return hash.digest('hex');
  } finally {
    idle.stop();
  }
}

function describeFetchError(url: string, e: unknown): string {
  if (!(e instanceof Error)) return `${url}: ${String(e)}`;
  if (e.message.startsWith(url)) return e.message; // our own timeout
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code === 'ENOTFOUND' ? `cannot resolve ${new URL(url).hostname}` : (cause?.code ?? cause?.message ?? e.message);
  return `${url}: ${why}`;
}

/** Extracts one member with the system's `tar` (GNU or BSD), which every Linux and macOS has. */
function untar(archive: string, dir: string, member: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-xzf', archive, '-C', dir, member], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
    child.on('error', (e) => reject(new Error(`cannot run tar to unpack ${archive}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar could not unpack ${member} from ${archive} (exit ${code}): ${err.trim()}`))));
  });
}
