// kfake, a Kafka protocol FAKE (github.com/twmb/franz-go/pkg/kfake, the in-memory cluster
// franz-go tests itself against), for the Kafka source's tests: no Kafka broker can be installed
// where the tests run. test/harness/kfake/ (main.go + go.mod) wraps it in a command; it is built
// once with Go through the module proxy, as src/dev/temporal-cli.ts builds the Temporal CLI, and
// cached under ~/.cache/docktor by a hash of its source. Figures are checked against what
// kafkajs's admin client reads from it, never against numbers kfake alone would give.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startChild, type ManagedChild } from '../../src/dev/child-process';
import { freePort } from '../../src/dev/free-port';
import { withPidLock } from '../../src/dev/pid-lock';
import { defaultCacheDir, whichSync } from '../../src/dev/temporal-cli';

/** The Go module of the kfake command (source, not build output). */
export const KFAKE_SOURCE = resolve(__dirname, '..', '..', '..', 'test', 'harness', 'kfake');

const HOWTO =
  'install Go 1.26 or newer (it must reach the Go module proxy) so the test harness can build ' +
  'test/harness/kfake into ~/.cache/docktor, or build it yourself (`cd test/harness/kfake && go build -o kfake .`) and set KFAKE_BIN to it';

export interface KfakeCluster {
  /** `127.0.0.1:PORT`, the one broker. */
  broker: string;
  stop(): Promise<void>;
  /** The fake's process, e.g. to kill it in a broker-down test. */
  child: ManagedChild;
}

export interface StartKfakeOptions {
  /** Partitions of topics created without a count (default 1). */
  partitions?: number;
  /** SASL with one superuser. */
  sasl?: { mechanism: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'; user: string; password: string };
  /** A fixed port (default: a free one). */
  port?: number;
}

/** Starts the fake on 127.0.0.1 and waits until it listens. */
export async function startKfake(opts: StartKfakeOptions = {}): Promise<KfakeCluster> {
  const bin = await kfakeBinary();
  const port = opts.port ?? (await freePort());
  const args = ['-port', String(port), '-partitions', String(opts.partitions ?? 1)];
  if (opts.sasl) args.push('-sasl-mechanism', opts.sasl.mechanism, '-sasl-user', opts.sasl.user, '-sasl-password', opts.sasl.password);
  const child = startChild(bin, args);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const found = /kfake listening on (\S+)/.exec(child.outputTail());
    if (found) return { broker: found[1]!, child, stop: () => child.stop(5000) };
    if (child.hasExited() || Date.now() > deadline) {
      await child.stop(1000);
      throw new Error(`kfake (a Kafka fake, ${bin}) did not start on port ${port}: ${child.outputTail().trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** $KFAKE_BIN, the cached build of this source, or a new build (one builder at a time). */
export async function kfakeBinary(): Promise<string> {
  const fromEnv = process.env.KFAKE_BIN;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`KFAKE_BIN=${fromEnv} does not exist; unset it or ${HOWTO}`);
    return fromEnv;
  }
  const cacheDir = defaultCacheDir();
  const target = join(cacheDir, `kfake-${sourceHash()}`);
  if (existsSync(target)) return target;
  const go = whichSync('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) throw new Error(`no kfake (a Kafka protocol fake the Kafka tests need) and no Go to build it: ${HOWTO}`);
  mkdirSync(cacheDir, { recursive: true });
  return withPidLock(
    join(cacheDir, 'kfake.build.lock'),
    async () => {
      if (!existsSync(target)) await build(go, cacheDir, target);
      return target;
    },
    { pollMs: 2000, onWait: (pid) => process.stderr.write(`kfake: another process (pid ${pid}) is building it; waiting…\n`) },
  );
}

/** The cached binary is named by its source, so a changed main.go or go.mod builds anew. */
function sourceHash(): string {
  const h = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) h.update(readFileSync(join(KFAKE_SOURCE, f)));
  return h.digest('hex').slice(0, 12);
}

/** `go build` niced and on one core (other work shares the machine), into place by rename. */
async function build(go: string, cacheDir: string, target: string): Promise<void> {
  const staging = mkdtempSync(join(cacheDir, 'kfake-build-'));
  const out = join(staging, 'kfake');
  const started = Date.now();
  process.stderr.write(`kfake: building the Kafka protocol fake from ${KFAKE_SOURCE} with ${go} (once; a minute or more)…\n`);
  try {
    const nice = whichSync('nice');
    const [cmd, args] = nice ? [nice, ['-n', '15', go, 'build', '-o', out, '.']] : [go, ['build', '-o', out, '.']];
    let tail = '';
    const code = await new Promise<number | null>((done, fail) => {
      const child = spawn(cmd, args, {
        cwd: KFAKE_SOURCE,
        env: { ...process.env, GOFLAGS: process.env.GOFLAGS ?? '-p=1', CGO_ENABLED: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-4000));
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('error', fail);
      child.on('close', done);
    });
    if (code !== 0 || !existsSync(out)) throw new Error(`building kfake (a Kafka fake) failed (exit ${code}): ${tail.trim()}\nTo fix: ${HOWTO}`);
    renameSync(out, target);
    process.stderr.write(`kfake: built in ${Math.round((Date.now() - started) / 1000)} s: ${target}\n`);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
