// A private Prometheus server for the `prometheus` external source's tests: Debian's `prometheus`
// package (installed here with apt-get when missing and we are root; otherwise the test fails
// with how to get it), started on a free port with its data in a temp folder, basic auth on
// (user PROMETHEUS_USER, password PROMETHEUS_PASSWORD), scraping itself and any extra targets
// every second. The package's own service is never started (a policy-rc.d refuses it during the
// install), so nothing is left listening on :9090.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChild } from '../../src/dev/child-process';
import { freePort } from '../../src/dev/free-port';
import { whichSync } from '../../src/dev/temporal-cli';

export const PROMETHEUS_USER = 'docktor';
export const PROMETHEUS_PASSWORD = 'docktor-test';
/** bcrypt of PROMETHEUS_PASSWORD (cost 4, for speed): Prometheus's web config wants a hash. */
const PASSWORD_HASH = '$2b$04$ZeTk97OGUiTdUX57OKkIuOatA.nhWYaLmYQOLVQ5GIxvV.s2JDM0O';

const HOWTO = 'install Debian\'s prometheus package as root (`apt-get update && apt-get install -y prometheus`), or set PROMETHEUS to a prometheus binary';

export interface TestPrometheus {
  /** Base URL, e.g. http://127.0.0.1:PORT (basic auth required). */
  url: string;
  stop(): Promise<void>;
}

function findBinary(): string | undefined {
  if (process.env.PROMETHEUS && existsSync(process.env.PROMETHEUS)) return process.env.PROMETHEUS;
  return whichSync('prometheus') ?? ['/usr/bin/prometheus'].find((p) => existsSync(p));
}

function apt(args: string[]): { ok: boolean; output: string } {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: 9 * 60_000,
  });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}` };
}

/** Installs Debian's prometheus without starting its service; the binary's path, or why not. */
function install(): string {
  if (process.getuid?.() !== 0) throw new Error(`prometheus is not installed and this test is not root, so it cannot install it; ${HOWTO}`);
  if (!whichSync('apt-get')) throw new Error(`prometheus is not installed and there is no apt-get here; ${HOWTO}`);
  process.stderr.write('test harness: installing Debian\'s prometheus package (apt-get)...\n');
  // invoke-rc.d asks policy-rc.d whether a package may start its service: 101 means no.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\n# docktor test harness: no service starts during this install\nexit 101\n', { mode: 0o755 });
  try {
    const update = apt(['update']);
    const got = apt(['install', '-y', '--no-install-recommends', 'prometheus']);
    if (!got.ok) throw new Error(`apt-get install prometheus failed:\n${update.output.slice(-1500)}\n${got.output.slice(-3000)}\n${HOWTO}`);
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  // A policy-rc.d of the machine's own may have let the service start: stop it and keep it off.
  for (const [cmd, args] of [['systemctl', ['disable', '--now', 'prometheus']], ['service', ['prometheus', 'stop']]] as const) {
    if (whichSync(cmd)) spawnSync(cmd, [...args], { stdio: 'ignore', timeout: 30_000 });
  }
  const binary = findBinary();
  if (!binary) throw new Error(`apt-get installed prometheus but no prometheus binary is on PATH; ${HOWTO}`);
  return binary;
}

async function ready(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${url}/-/ready`, { headers: { authorization: basicAuth() }, signal: AbortSignal.timeout(1000) });
    return res.ok ? undefined : `${res.status} ${res.statusText}`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export function basicAuth(user = PROMETHEUS_USER, password = PROMETHEUS_PASSWORD): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** Starts a private Prometheus scraping itself and `targets` (host:port) every second. */
export async function startPrometheus(targets: string[] = []): Promise<TestPrometheus> {
  const binary = findBinary() ?? install();
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'docktor-prometheus-'));
    const remove = () => rmSync(dir, { recursive: true, force: true });
    process.once('exit', remove);
    const auth = `    basic_auth: { username: ${PROMETHEUS_USER}, password: ${PROMETHEUS_PASSWORD} }\n`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      'global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n' +
        `  - job_name: prometheus\n${auth}    static_configs: [{ targets: ["127.0.0.1:${port}"] }]\n` +
        (targets.length > 0 ? `  - job_name: test\n    static_configs: [{ targets: ${JSON.stringify(targets)} }]\n` : ''),
    );
    writeFileSync(join(dir, 'web.yml'), `basic_auth_users:\n  ${PROMETHEUS_USER}: ${PASSWORD_HASH}\n`);
    const child = startChild(binary, [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--web.config.file=${join(dir, 'web.yml')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      '--log.level=warn',
    ]);
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    let problem = await ready(url);
    while (problem !== undefined && !child.hasExited() && Date.now() < deadline) {
      await sleep(200);
      problem = await ready(url);
    }
    const stop = async () => {
      await child.stop(5000);
      remove();
      process.removeListener('exit', remove);
    };
    if (problem === undefined) return { url, stop };
    await stop();
    if (/address already in use/i.test(child.outputTail()) && attempt < 3) continue;
    throw new Error(`${child.command} did not come up (${problem}):\n${child.outputTail().trim()}\n${HOWTO}`);
  }
}
