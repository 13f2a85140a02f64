// Finds the `temporal` CLI, which carries the dev server `docktor dev` and the tests run.
// Order: $TEMPORAL_CLI, `temporal` on PATH, a cached one, else fetch it into the cache: download
// the released binary (checksum verified, short timeouts: src/dev/temporal-cli-download.ts), and
// where no download host is reachable (only package registries are, on some machines) build it
// with `go install` through the Go module proxy. Without either the caller says how to get one.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { OperationError } from '../errors';
import { withPidLock } from './pid-lock';
import { downloadTemporalCli, TEMPORAL_CLI_RELEASES_URL, TEMPORAL_CLI_URL_ENV } from './temporal-cli-download';

/** The newest tag whose go.mod still allows `go install` (later ones use replace directives). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';

export interface FindTemporalCliOptions {
  /** Download or build the CLI into the cache when none is found (default true). */
  build?: boolean;
  /** Where progress lines go (default: stderr). */
  log?: (line: string) => void;
  /** Overrides the cache folder (default `~/.cache/docktor`). */
  cacheDir?: string;
  /** TEMPORAL_CLI, PATH, DOCKTOR_TEMPORAL_CLI_URL and the build's environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** How long the download waits for an answer or the next chunk (default DOWNLOAD_IDLE_TIMEOUT_MS). */
  downloadTimeoutMs?: number;
}

/** How to get the CLI when none can be found, downloaded or built; shown in errors. */
export const TEMPORAL_CLI_HOWTO =
  `let docktor download the Temporal CLI ${TEMPORAL_CLI_VERSION} into ~/.cache/docktor (it needs ${new URL(TEMPORAL_CLI_RELEASES_URL).host}, ` +
  `or a mirror in ${TEMPORAL_CLI_URL_ENV}), or install Go 1.21 or newer (the CLI needs Go 1.25; a newer \`go\` fetches that ` +
  "toolchain itself; Debian 12's golang-go is too old) for docktor to build it, or set TEMPORAL_CLI=/path/to/temporal";

export function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'docktor');
}

/** The path of a usable `temporal` binary, or undefined when there is none and none can be built. */
export async function findTemporalCli(opts: FindTemporalCliOptions = {}): Promise<string | undefined> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const env = opts.env ?? process.env;
  const fromEnv = env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new OperationError(`TEMPORAL_CLI=${fromEnv} is not an executable file; fix the path or unset TEMPORAL_CLI`);
    }
    return fromEnv;
  }
  const onPath = whichSync('temporal', env.PATH ?? '');
  if (onPath) return onPath;

  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const cached = join(cacheDir, 'temporal');
  if (runsVersion(cached)) return cached;
  if (opts.build === false) return undefined;
  const url = env[TEMPORAL_CLI_URL_ENV]?.trim() || TEMPORAL_CLI_RELEASES_URL;
  const go = whichSync('go', env.PATH ?? '') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  const fetchers: Fetchers = { download: url === 'off' ? undefined : { url, timeoutMs: opts.downloadTimeoutMs }, go, env };
  if (!fetchers.download && !go) return undefined;
  return fetchWithLock(fetchers, cacheDir, log);
}

/** Searches PATH like `which`. */
export function whichSync(name: string, path: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A binary copied half-way (e.g. by a `go install` still writing it) does not run: check it does. */
function runsVersion(file: string): boolean {
  if (!isExecutable(file)) return false;
  const r = spawnSync(file, ['--version'], { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

interface Fetchers {
  /** Undefined when DOCKTOR_TEMPORAL_CLI_URL is `off`. */
  download: { url: string; timeoutMs: number | undefined } | undefined;
  go: string | undefined;
  env: NodeJS.ProcessEnv;
}

/**
 * One download or build at a time per cache folder: the lock file holds the fetcher's pid. Others
 * wait for it to go away and then use the result; a lock left by a dead process is taken over.
 * A failed download is not an error while Go can still build the CLI: it says why and goes on.
 */
async function fetchWithLock(f: Fetchers, cacheDir: string, log: (line: string) => void): Promise<string | undefined> {
  mkdirSync(cacheDir, { recursive: true });
  const target = join(cacheDir, 'temporal');
  return withPidLock(
    join(cacheDir, 'temporal.build.lock'),
    async () => {
      // It may have been fetched while we waited for the lock.
      if (runsVersion(target)) return target;
      if (f.download) {
        try {
          await downloadTemporalCli({ baseUrl: f.download.url, version: TEMPORAL_CLI_VERSION, workDir: cacheDir, target, timeoutMs: f.download.timeoutMs, log });
          return target;
        } catch (e) {
          const next = f.go ? `building it with Go instead (set ${TEMPORAL_CLI_URL_ENV} to a mirror, or to off to skip the download)` : 'and no Go to build it';
          log(`docktor: could not download the Temporal CLI: ${e instanceof Error ? e.message : String(e)}; ${next}`);
        }
      }
      if (!f.go) return undefined;
      await goInstall(f.go, cacheDir, target, log, f.env);
      return target;
    },
    {
      pollMs: 2000,
      onWait: (holder) => log(`docktor: another process (pid ${holder}) is fetching the Temporal CLI into ${cacheDir}; waiting for it…`),
    },
  );
}

/** `go install` into a private folder, then rename into place: a half-built binary is never at `target`. */
async function goInstall(go: string, cacheDir: string, target: string, log: (line: string) => void, env: NodeJS.ProcessEnv): Promise<void> {
  const staging = mkdtempSync(join(cacheDir, 'build-'));
  const started = Date.now();
  log(
    `docktor: no Temporal CLI (TEMPORAL_CLI unset, none on PATH or in the cache); building ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} ` +
      `with ${go} into ${cacheDir}. This happens once and takes a few minutes…`,
  );
  const ticker = setInterval(() => {
    log(`docktor: still building the Temporal CLI (${Math.round((Date.now() - started) / 1000)} s)…`);
  }, 30_000);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
        env: { ...env, GOBIN: staging, CGO_ENABLED: env.CGO_ENABLED ?? '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let tail = '';
      const onData = (chunk: Buffer) => {
        tail = (tail + chunk.toString()).slice(-4000);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', reject);
      child.on('close', (status) => {
        if (status !== 0) log(tail.trimEnd());
        resolve(status);
      });
    });
    const built = join(staging, 'temporal');
    if (code !== 0 || !existsSync(built)) {
      throw new OperationError(
        `building the Temporal CLI with \`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}\` failed (exit ${code}); ` +
          `see the output above. To fix: ${TEMPORAL_CLI_HOWTO}`,
      );
    }
    renameSync(built, target);
    log(`docktor: built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s: ${target}`);
  } finally {
    clearInterval(ticker);
    rmSync(staging, { recursive: true, force: true });
  }
}
