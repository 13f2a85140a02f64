// Starts a Temporal dev server (`temporal server start-dev`) as a child process, with Docktor's
// search attributes registered. Used by `docktor dev` (state in .docktor/temporal.db, frontend
// 7233, UI 8233) and by the tests (in memory, free ports).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { OperationError } from '../errors';
import type { Json } from '../observations';
import { startChild, type ManagedChild } from './child-process';
import { freePort, isPortFree } from './free-port';
import { pidAlive } from './pid-lock';
import { commandLine, portOwnerPid } from './port-owner';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { TEMPORAL_CLI_HOWTO, findTemporalCli } from './temporal-cli';

/** Search attribute types as the CLI's `--search-attribute NAME=TYPE` spells them. */
export type SearchAttributeKind = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

const SDK_TYPES: Record<SearchAttributeKind, SearchAttributeType> = {
  Text: SearchAttributeType.TEXT,
  Keyword: SearchAttributeType.KEYWORD,
  Int: SearchAttributeType.INT,
  Double: SearchAttributeType.DOUBLE,
  Bool: SearchAttributeType.BOOL,
  Datetime: SearchAttributeType.DATETIME,
  KeywordList: SearchAttributeType.KEYWORD_LIST,
};

/** Every scaler workflow sets these (CONTRACT §3); the server must know them before one starts. */
export const DOCKTOR_SEARCH_ATTRIBUTES: Readonly<Record<string, SearchAttributeKind>> = Object.fromEntries(
  SEARCH_ATTRIBUTES.map((k) => [k.name, cliKind(k.type)]),
);

function cliKind(t: SearchAttributeType): SearchAttributeKind {
  const found = (Object.keys(SDK_TYPES) as SearchAttributeKind[]).find((k) => SDK_TYPES[k] === t);
  if (!found) throw new Error(`no CLI name for search attribute type ${t}`);
  return found;
}

export interface DevServerOptions {
  /** Address the frontend and UI bind to (default 127.0.0.1). */
  ip?: string;
  /** Frontend gRPC port (default 7233); 0 picks a free one. */
  port?: number;
  /** UI port (default: port + 1000, or a free port when `port` is 0); 0 picks a free one. */
  uiPort?: number;
  /** Serve the web UI (default true). */
  ui?: boolean;
  /** A remote codec server the UI calls to show encrypted payloads (`--ui-codec-endpoint`). */
  uiCodecEndpoint?: string;
  /** SQLite file for state that outlives the server; in memory when absent. */
  dbFilename?: string;
  /**
   * Serve the server's own Prometheus metrics (`--metrics-port`; 0 picks a free port), e.g. its
   * `action` counter, the figure Temporal Cloud bills (bench/cost.bench.ts).
   */
  metricsPort?: number;
  /** Namespaces to create besides `namespace`. */
  extraNamespaces?: string[];
  /**
   * Where the server's pid is kept while it runs (with `dbFilename`). A server left running by a
   * SIGKILLed `docktor dev` is found through it and stopped before a new one starts.
   */
  pidFile?: string;
  namespace?: string;
  searchAttributes?: Readonly<Record<string, SearchAttributeKind>>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error' | 'never';
  /** Server dynamic config, e.g. `{ 'limit.historyCount.suggestContinueAsNew': 60 }` (values as JSON). */
  dynamicConfig?: Readonly<Record<string, Json>>;
  /** How long to wait for the frontend to answer (default 60 s). */
  startTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL on stop (default 10 s). */
  stopGraceMs?: number;
  /** The `temporal` binary; found (or built) with findTemporalCli when absent. */
  cli?: string;
  /** Whether findTemporalCli may download or build the CLI into its cache (default true). */
  buildCli?: boolean;
  /** Progress lines (CLI build, fallback); default stderr. */
  log?: (line: string) => void;
  /** Server output as it comes (default: kept only for error messages). */
  onOutput?: (chunk: string) => void;
}

export interface DevServer {
  /** host:port of the frontend, for Connection.connect / NativeConnection.connect. */
  address: string;
  namespace: string;
  /** Undefined when the UI is off. */
  uiUrl: string | undefined;
  /** The server's Prometheus metrics (http://ip:port/metrics), when `metricsPort` was given. */
  metricsUrl?: string;
  /** Which implementation runs it: our child process, or the SDK's test server. */
  kind: 'cli' | 'sdk';
  stop(): Promise<void>;
}

/** Starts a dev server and resolves once its frontend answers with the search attributes registered. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const cli = opts.cli ?? (await findTemporalCli({ log, build: opts.buildCli ?? true }));
  if (cli) return startWithCli(cli, opts);
  return startWithSdk(opts, log);
}

async function startWithCli(cli: string, opts: DevServerOptions): Promise<DevServer> {
  const ip = opts.ip ?? '127.0.0.1';
  const namespace = opts.namespace ?? 'default';
  const ui = opts.ui ?? true;
  const searchAttributes = opts.searchAttributes ?? DOCKTOR_SEARCH_ATTRIBUTES;
  const pickedPorts = opts.port === 0 || opts.uiPort === 0;
  if (opts.dbFilename) mkdirSync(dirname(opts.dbFilename), { recursive: true });
  if (opts.pidFile && opts.dbFilename) await stopLeftover(opts.pidFile, opts.dbFilename, opts.log ?? ((line) => process.stderr.write(`${line}\n`)));

  // Ports we picked can be taken before the server binds them: then pick again.
  const attempts = pickedPorts ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = opts.port === 0 ? await freePort(ip) : (opts.port ?? 7233);
    const uiPort =
      opts.uiPort === 0 || (opts.uiPort === undefined && opts.port === 0) ? await freePort(ip) : (opts.uiPort ?? port + 1000);
    const args = ['server', 'start-dev', '--ip', ip, '--port', String(port)];
    args.push(...(ui ? ['--ui-port', String(uiPort)] : ['--headless']));
    if (ui && opts.uiCodecEndpoint) args.push('--ui-codec-endpoint', opts.uiCodecEndpoint);
    if (opts.dbFilename) args.push('--db-filename', opts.dbFilename);
    args.push('--namespace', namespace);
    for (const extra of opts.extraNamespaces ?? []) args.push('--namespace', extra);
    const metricsPort = opts.metricsPort === 0 ? await freePort(ip) : opts.metricsPort;
    if (metricsPort !== undefined) args.push('--metrics-port', String(metricsPort));
    for (const [name, kind] of Object.entries(searchAttributes)) args.push('--search-attribute', `${name}=${kind}`);
    args.push(...dynamicConfigArgs(opts.dynamicConfig));
    args.push('--log-level', opts.logLevel ?? 'warn');

    // Otherwise the readiness check below could be answered by a server that is already there.
    const busy: string[] = [];
    if (!(await isPortFree(port, ip))) busy.push(`frontend port ${ip}:${port} in use${heldBy(port)}`);
    if (ui && !(await isPortFree(uiPort, ip))) busy.push(`UI port ${ip}:${uiPort} in use${heldBy(uiPort)}`);
    if (busy.length > 0) {
      if (pickedPorts && attempt < attempts) continue;
      throw new OperationError(
        `cannot start the Temporal dev server: ${busy.join(' and ')} (another Temporal server?). ` +
          'Stop it, choose other ports, or set temporal.address to use the running server',
      );
    }
    const child = startChild(cli, args, { onOutput: opts.onOutput });
    const address = `${ip}:${port}`;
    try {
      await waitUntilReady(child, address, namespace, Object.keys(searchAttributes), opts.startTimeoutMs ?? 60_000);
    } catch (e) {
      await child.stop(2000);
      const inUse = /address already in use|bind:/i.test(child.outputTail());
      if (inUse && attempt < attempts) continue;
      throw e;
    }
    const pidFile = opts.pidFile;
    if (pidFile) writeFileSync(pidFile, `${child.pid}\n`);
    return {
      address,
      namespace,
      uiUrl: ui ? `http://${ip}:${uiPort}` : undefined,
      ...(metricsPort !== undefined ? { metricsUrl: `http://${ip}:${metricsPort}/metrics` } : {}),
      kind: 'cli',
      stop: async () => {
        await child.stop(opts.stopGraceMs ?? 10_000);
        if (pidFile) rmSync(pidFile, { force: true });
      },
    };
  }
}

/** ` by pid N (command)`, when the holder can be seen; else nothing. */
function heldBy(port: number): string {
  const pid = portOwnerPid(port);
  if (pid === undefined) return '';
  const cmd = commandLine(pid);
  return ` by pid ${pid}${cmd ? ` (${cmd.length > 120 ? `${cmd.slice(0, 117)}...` : cmd})` : ''}`;
}

/**
 * Stops the server a previous run left (its docktor was SIGKILLed, so nothing stopped it): only
 * when the pid in the file is alive and is a dev server on this very database, never another
 * process that reused the pid.
 */
async function stopLeftover(pidFile: string, dbFilename: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8'), 10);
  } catch {
    return;
  }
  const cmd = Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? commandLine(pid) : undefined;
  if (cmd === undefined || !cmd.includes('start-dev') || !cmd.includes(dbFilename)) {
    rmSync(pidFile, { force: true });
    return;
  }
  log(`docktor: stopping the Temporal dev server a previous run left on ${dbFilename} (pid ${pid})`);
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
  };
  signal('SIGTERM');
  for (let waited = 0; pidAlive(pid) && waited < 10_000; waited += 100) await sleep(100);
  if (pidAlive(pid)) {
    signal('SIGKILL');
    for (let waited = 0; pidAlive(pid) && waited < 5000; waited += 100) await sleep(100);
  }
  rmSync(pidFile, { force: true });
}

function dynamicConfigArgs(values: Readonly<Record<string, Json>> | undefined): string[] {
  return Object.entries(values ?? {}).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

/** Polls the frontend until it lists the search attributes, the process dies, or time runs out. */
async function waitUntilReady(
  child: ManagedChild,
  address: string,
  namespace: string,
  attributes: string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.hasExited()) {
      throw new OperationError(
        `the Temporal dev server exited (${await child.exited}) before it answered on ${address}: ` +
          `${child.command}\n${child.outputTail().trim()}`,
      );
    }
    // A cheap TCP probe first: gRPC's connect waits out its whole timeout while the port is closed.
    if (!(await tcpAnswers(address))) {
      lastError = 'frontend port not open yet';
      await sleep(50);
      continue;
    }
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2000 });
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = attributes.filter((name) => !(name in (customAttributes ?? {})));
      if (missing.length === 0 && !child.hasExited()) return;
      lastError = `search attributes not registered yet: ${missing.join(', ')}`;
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e);
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await sleep(100);
  }
  throw new OperationError(
    `the Temporal dev server did not answer on ${address} within ${Math.round(timeoutMs / 1000)} s (${lastError}): ` +
      `${child.command}\n${child.outputTail().trim()}`,
  );
}

function tcpAnswers(address: string): Promise<boolean> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host: address.slice(0, i), port: Number(address.slice(i + 1)) });
    socket.setTimeout(1000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}


/** Last resort: the SDK's ephemeral server, which downloads the CLI (needs internet access). */
async function startWithSdk(opts: DevServerOptions, log: (line: string) => void): Promise<DevServer> {
  const namespace = opts.namespace ?? 'default';
  const ui = opts.ui ?? true;
  log('docktor: no Temporal CLI found and none could be built; trying the Temporal SDK\'s download…');
  try {
    const { TestWorkflowEnvironment } = await import('@temporalio/testing');
    const port = opts.port === 0 ? undefined : (opts.port ?? 7233);
    const uiPort = opts.uiPort === 0 || (opts.uiPort === undefined && port === undefined) ? undefined : (opts.uiPort ?? (port ?? 0) + 1000);
    const searchAttributes = Object.entries(opts.searchAttributes ?? DOCKTOR_SEARCH_ATTRIBUTES).map(([name, kind]) =>
      defineSearchAttributeKey(name, SDK_TYPES[kind]),
    );
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        ip: opts.ip ?? '127.0.0.1',
        port,
        ui,
        uiPort: ui ? uiPort : undefined,
        dbFilename: opts.dbFilename,
        namespace,
        searchAttributes,
        log: { format: 'pretty', level: opts.logLevel ?? 'warn' },
        extraArgs: dynamicConfigArgs(opts.dynamicConfig),
      },
    });
    return {
      address: env.address,
      namespace,
      // The SDK does not report the UI port it chose.
      uiUrl: ui && uiPort ? `http://${opts.ip ?? '127.0.0.1'}:${uiPort}` : undefined,
      kind: 'sdk',
      stop: () => env.teardown(),
    };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new OperationError(`cannot start a Temporal dev server: no Temporal CLI, and the SDK's download failed (${why}). To fix: ${TEMPORAL_CLI_HOWTO}`);
  }
}
