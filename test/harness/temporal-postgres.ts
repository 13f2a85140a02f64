// The production Temporal server (go.temporal.io/server, the version docker-compose.temporal.yaml
// pins) on the local PostgreSQL, for the opt-in durability tests (`npm run test:temporal-postgres`).
// Built from source through the Go module proxy once and cached like the CLI
// (src/dev/temporal-cli.ts): ~/.cache/docktor/temporal-server-<version>/ holds `temporal-server`,
// `temporal-sql-tool` and the SQL schema of that version. The build takes long (≈30 min of one
// core here), which is why the default `npm test` does not need it.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { startChild, type ManagedChild } from '../../src/dev/child-process';
import { isPortFree } from '../../src/dev/free-port';
import { withPidLock } from '../../src/dev/pid-lock';
import { DOCKTOR_SEARCH_ATTRIBUTES } from '../../src/dev/temporal-server';
import { whichSync } from '../../src/dev/temporal-cli';

const REPO = path.resolve(__dirname, '..', '..', '..');
export const SERVER_MODULE = 'go.temporal.io/server';

/** The server version of docker-compose.temporal.yaml (`${TEMPORAL_VERSION:-X}`), so both stay the same. */
export function composeServerVersion(file = path.join(REPO, 'docker-compose.temporal.yaml')): string {
  const m = /temporalio\/server:\$\{TEMPORAL_VERSION:-([0-9.]+)\}/.exec(readFileSync(file, 'utf8'));
  if (!m?.[1]) throw new Error(`no temporalio/server:\${TEMPORAL_VERSION:-X} image in ${file}`);
  return m[1];
}

export interface TemporalServerBuild {
  version: string;
  server: string;
  sqlTool: string;
  /** schema/postgresql/v12 of that version. */
  schemaDir: string;
}

const HOWTO =
  'install Go 1.26 or newer (/usr/local/go/bin/go or on PATH; the module proxy must be reachable) and re-run: ' +
  'the harness builds go.temporal.io/server into ~/.cache/docktor (≈30 min once); or set TEMPORAL_SERVER_DIR to a folder ' +
  'holding temporal-server, temporal-sql-tool and schema/postgresql/v12';

/** The cached build, or a new one (`go install`, niced, one package at a time: other work keeps a core). */
export async function findTemporalServer(log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<TemporalServerBuild> {
  const version = composeServerVersion();
  const dir = process.env.TEMPORAL_SERVER_DIR ?? path.join(homedir(), '.cache', 'docktor', `temporal-server-v${version}`);
  const build: TemporalServerBuild = {
    version,
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
  const ready = () => existsSync(build.server) && existsSync(build.sqlTool) && existsSync(build.schemaDir);
  if (ready()) return build;
  if (process.env.TEMPORAL_SERVER_DIR) throw new Error(`TEMPORAL_SERVER_DIR=${dir} lacks temporal-server, temporal-sql-tool or schema/postgresql/v12; ${HOWTO}`);
  const go = whichSync('go') ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
  if (!go) throw new Error(`no Temporal server build in ${dir} and no Go to build one: ${HOWTO}`);
  mkdirSync(path.dirname(dir), { recursive: true });
  await withPidLock(`${dir}.build.lock`, async () => {
    if (ready()) return;
    const staging = mkdtempSync(`${dir}.build-`);
    const started = Date.now();
    log(`temporal-postgres: building ${SERVER_MODULE}@v${version} (server and sql tool) with ${go}; this happens once and takes long…`);
    try {
      const pkgs = [`${SERVER_MODULE}/cmd/server@v${version}`, `${SERVER_MODULE}/cmd/tools/sql@v${version}`];
      const env = { ...process.env, GOBIN: staging, CGO_ENABLED: '0', GOFLAGS: process.env.GOFLAGS ?? '-p=1' };
      await run('nice', ['-n', '15', go, 'install', ...pkgs], env, `go install ${pkgs.join(' ')}: ${HOWTO}`);
      const modDir = (await run(go, ['env', 'GOMODCACHE'], env, 'go env GOMODCACHE')).trim();
      mkdirSync(path.join(staging, 'schema'), { recursive: true });
      cpSync(path.join(modDir, `${SERVER_MODULE}@v${version}`, 'schema', 'postgresql'), path.join(staging, 'schema', 'postgresql'), { recursive: true });
      renameSync(path.join(staging, 'server'), path.join(staging, 'temporal-server'));
      renameSync(path.join(staging, 'sql'), path.join(staging, 'temporal-sql-tool'));
      rmSync(dir, { recursive: true, force: true });
      renameSync(staging, dir);
      log(`temporal-postgres: built in ${Math.round((Date.now() - started) / 1000)} s: ${dir}`);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }, { pollMs: 5000, onWait: (pid) => log(`temporal-postgres: pid ${pid} is building the Temporal server; waiting…`) });
  return build;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-6000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${what} failed (exit ${code}):\n${err}`))));
  });
}

export interface PostgresOptions {
  host: string;
  port: number;
  user: string;
  password?: string;
}

export const LOCAL_POSTGRES: PostgresOptions = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  ...(process.env.PGPASSWORD ? { password: process.env.PGPASSWORD } : {}),
};

/** Drops and creates the two databases with the server's own schema tool, as the compose stack's temporal-schema does. */
export async function createDatabases(b: TemporalServerBuild, pg: PostgresOptions, names: { main: string; visibility: string }): Promise<void> {
  for (const [db, dir] of [[names.main, 'temporal'], [names.visibility, 'visibility']] as const) {
    const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, ...(pg.password ? ['--pw', pg.password] : []), '--db', db];
    const sql = (args: string[]) => run(b.sqlTool, [...base, ...args], process.env, `temporal-sql-tool ${args[0]} (${db}; is PostgreSQL up at ${pg.host}:${pg.port} for user ${pg.user}?)`);
    await sql(['drop', '--force']).catch(() => undefined);
    await sql(['create']);
    await sql(['setup-schema', '-v', '0.0']);
    await sql(['update-schema', '-d', path.join(b.schemaDir, dir, 'versioned')]);
  }
}

export interface TemporalPostgresServer {
  address: string;
  namespace: string;
  /** Stops the server: SIGTERM (graceful), or SIGKILL (a crash). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same ports and databases. */
  start(): Promise<void>;
  outputTail(): string;
}

/** Starts the server on fresh databases and free ports, with the namespace and Docktor's search attributes. */
export async function startTemporalPostgres(b: TemporalServerBuild, opts: { pg?: PostgresOptions; dbPrefix?: string; workDir: string; namespace?: string }): Promise<TemporalPostgresServer> {
  const pg = opts.pg ?? LOCAL_POSTGRES;
  const namespace = opts.namespace ?? 'default';
  const names = { main: `${opts.dbPrefix ?? 'docktor_test'}_temporal`, visibility: `${opts.dbPrefix ?? 'docktor_test'}_visibility` };
  await createDatabases(b, pg, names);
  const ports = { frontend: await lowPort(), history: await lowPort(), matching: await lowPort(), worker: await lowPort() };
  const member = { frontend: await lowPort(), history: await lowPort(), matching: await lowPort(), worker: await lowPort() };
  mkdirSync(opts.workDir, { recursive: true });
  const dynamic = path.join(opts.workDir, 'dynamicconfig.yaml');
  // As docker-compose.temporal.yaml's dynamic config.
  writeFileSync(dynamic, 'frontend.enableUpdateWorkflowExecution:\n  - value: true\nlimit.maxIDLength:\n  - value: 255\n');
  const store = (db: string, conns: number) => `      sql:
        pluginName: postgres12
        databaseName: ${db}
        connectAddr: "${pg.host}:${pg.port}"
        connectProtocol: tcp
        user: ${pg.user}
        password: "${pg.password ?? ''}"
        maxConns: ${conns}
        maxIdleConns: ${conns}
        maxConnLifetime: 1h`;
  const service = (name: keyof typeof ports) => `  ${name}:
    rpc:
      grpcPort: ${ports[name]}
      membershipPort: ${member[name]}
      bindOnLocalHost: true`;
  const configFile = path.join(opts.workDir, 'temporal.yaml');
  writeFileSync(
    configFile,
    `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
${store(names.main, 20)}
    visibility:
${store(names.visibility, 4)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
${(Object.keys(ports) as Array<keyof typeof ports>).map(service).join('\n')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:${ports.frontend}
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: ${dynamic}
  pollInterval: 10s
`,
  );
  const address = `127.0.0.1:${ports.frontend}`;
  let child: ManagedChild | undefined;
  const start = async () => {
    child = startChild(b.server, ['--config-file', configFile, '--allow-no-auth', 'start'], { cwd: opts.workDir });
    await waitForFrontend(child, address);
  };
  await start();
  await setupNamespace(address, namespace);
  return {
    address,
    namespace,
    start,
    stop: async (signal = 'SIGTERM') => {
      const c = child;
      if (!c || c.hasExited()) return;
      if (signal === 'SIGKILL') {
        process.kill(c.pid, 'SIGKILL');
        // Polled: the child is unref'ed, so awaiting `exited` alone would not keep us alive.
        while (!c.hasExited()) await sleep(50);
      } else await c.stop(20_000);
    },
    outputTail: () => child?.outputTail() ?? '',
  };
}

const taken = new Set<number>();

/**
 * A free port below 32768: the server records membership ports in a PostgreSQL smallint
 * (`pq: value "44025" is out of range for type smallint` with a kernel-chosen ephemeral port).
 */
async function lowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(port) && (await isPortFree(port))) {
      taken.add(port);
      return port;
    }
  }
}

async function waitForFrontend(child: ManagedChild, address: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(`temporal-server exited (${await child.exited}) before it answered on ${address}:\n${child.outputTail()}`);
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2000 });
      await connection.workflowService.getSystemInfo({});
      return;
    } catch (e) {
      last = (e as Error).message;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await sleep(500);
  }
  throw new Error(`temporal-server did not answer on ${address} within ${timeoutMs / 1000} s (${last}):\n${child.outputTail()}`);
}

/** What the compose stack's temporal-namespace one-shot does: the namespace and the search attributes. */
async function setupNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService
      .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') })
      .catch((e: Error) => {
        if (!/already exists/i.test(e.message)) throw e;
      });
    const kinds: Record<string, temporal.api.enums.v1.IndexedValueType> = {
      Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      Int: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
      Bool: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    };
    const searchAttributes = Object.fromEntries(Object.entries(DOCKTOR_SEARCH_ATTRIBUTES).map(([name, kind]) => [name, kinds[kind] ?? 0]));
    // The namespace is cached by the frontend for a few seconds after it is registered.
    for (let i = 0; ; i++) {
      try {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
        break;
      } catch (e) {
        if (/already exists/i.test((e as Error).message)) break;
        if (i >= 60) throw e;
        await sleep(1000);
      }
    }
  } finally {
    await connection.close();
  }
}
