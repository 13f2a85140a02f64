// `docktor worker` and `docktor dev`.
import os from 'node:os';
import path from 'node:path';
import { startCodecServer, type CodecServer } from '../../codec/codec-server';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { loadKeyRing } from '../../codec/keys';
import { loadConfig, type Config } from '../../config/load';
import { HOST_NAME, HOST_NAME_RULE } from '../../config/runtime';
import { hostTaskQueue } from '../../model/host-routing';
import { UsageError } from '../../errors';
import { connectClient } from '../../control/client';
import { upDiscovery } from '../../control/discovery';
import { up } from '../../control/scalers';
import { startDevServer, type DevServer } from '../../dev/temporal-server';
import { DEFAULT_TEMPORAL_ADDRESS } from '../../temporal-connection';
import { SecretStore } from '../../sources/secrets';
import { runWorkerUntil } from '../../worker';
import type { CliIO } from '../io';
import { printDiscoveryUp, type ConfigOption } from './control';

/** Aborts on the first SIGINT/SIGTERM; a second one exits at once. */
export function stopSignal(io: CliIO): AbortSignal {
  const ac = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ac.signal.aborted) process.exit(130);
    io.err(`\n${sig}: stopping (again to force)…\n`);
    ac.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return ac.signal;
}

export interface WorkerOptions extends ConfigOption {
  host?: string[];
}

export async function workerCommand(io: CliIO, o: WorkerOptions): Promise<number> {
  const hosts = workerHosts(o.host);
  const config = loadConfig(o.config, io.cwd, io.env);
  const address = io.env.DOCKTOR_TEMPORAL_ADDRESS ?? config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS;
  io.out(`docktor worker: ${address}, namespace ${config.temporal.namespace}, task queue ${config.temporal.task_queue}\n`);
  printOwnership(io, config, hosts);
  await runWorkerUntil({ temporal: config.temporal, address, env: io.env, secrets: workerSecrets(config), hosts }, stopSignal(io));
  io.out('docktor worker: stopped\n');
  return 0;
}

/**
 * The embedded default: a local Temporal dev server (unless temporal.address is set), the worker
 * in this process, and one scaler per service. State lives in .docktor/temporal.db beside the
 * config file, so running it again continues the same workflows with their history; the server's
 * pid in .docktor/temporal.pid lets the next run stop a server a SIGKILLed run left behind.
 */
export async function devCommand(io: CliIO, o: ConfigOption): Promise<number> {
  const config = loadConfig(o.config, io.cwd, io.env);
  // A bad key stops us here, before anything is started (exit 2).
  const keys = config.temporal.encryption ? loadKeyRing(config.temporal.encryption, io.env) : undefined;
  const signal = stopSignal(io);
  let server: DevServer | undefined;
  let codecServer: CodecServer | undefined;
  let address = io.env.DOCKTOR_TEMPORAL_ADDRESS ?? config.temporal.address;
  try {
    if (!address) {
      // With encryption, the dev UI shows payloads through a codec server of ours.
      if (keys) {
        codecServer = await startCodecServer({ codec: new EncryptionCodec(keys), port: portFromEnv(io.env, 'DOCKTOR_DEV_CODEC_PORT', 8888), corsOrigins: [], portSetting: 'DOCKTOR_DEV_CODEC_PORT' });
        io.out(`Codec server (payload encryption): ${codecServer.url}\n`);
      }
      server = await startDevServer({
        port: portFromEnv(io.env, 'DOCKTOR_DEV_PORT', 7233),
        uiPort: portFromEnv(io.env, 'DOCKTOR_DEV_UI_PORT', 8233),
        uiCodecEndpoint: codecServer?.url,
        dbFilename: path.join(path.dirname(config.file), '.docktor', 'temporal.db'),
        pidFile: path.join(path.dirname(config.file), '.docktor', 'temporal.pid'),
        namespace: config.temporal.namespace,
        log: (line) => io.err(`${line}\n`),
      });
      address = server.address;
      if (server.uiUrl) {
        codecServer?.allowOrigin(server.uiUrl);
        codecServer?.allowOrigin(server.uiUrl.replace('//127.0.0.1:', '//localhost:'));
      }
      io.out(`Temporal dev server: ${address}${server.uiUrl ? `, UI ${server.uiUrl}` : ''}\n`);
    }
    const serverAddress = address; // (for the closures: `address` is reassigned above)
    await workerThen(
      (stop) => runWorkerUntil({ temporal: config.temporal, address: serverAddress, env: io.env, secrets: workerSecrets(config), hosts: workerHosts(undefined) }, stop),
      async () => {
        const c = await connectClient(config.temporal, serverAddress, io.env);
        try {
          for (const r of await up(c, config)) io.out(`${r.service}: ${r.outcome} (${r.workflowId}, ${serviceRuntime(config.services, r.service)})\n`);
          printDiscoveryUp(io, await upDiscovery(c, config));
        } finally {
          await c.close();
        }
        io.out(`Watching ${config.services.length} service(s). \`docktor explain\` shows decisions; Ctrl-C stops.\n`);
      },
      signal,
    );
    return 0;
  } finally {
    await server?.stop();
    await codecServer?.close();
    io.out('docktor dev: stopped\n');
  }
}

/**
 * Runs the worker until `signal`, with `setup` (starting the scalers) beside it: the worker must
 * already poll when the scalers start. When setup fails the worker is stopped and awaited before
 * the error goes on (it kept the process alive: `docktor dev` hung after printing nothing, with the
 * dev server already stopped); when the worker fails first, that error goes on at once.
 */
export async function workerThen(worker: (stop: AbortSignal) => Promise<void>, setup: () => Promise<void>, signal: AbortSignal): Promise<void> {
  const stop = new AbortController();
  if (signal.aborted) stop.abort();
  else signal.addEventListener('abort', () => stop.abort(), { once: true });
  const running = worker(stop.signal);
  const started = setup();
  started.catch(() => undefined); // a worker stopped by a signal first does not wait for it
  try {
    await Promise.race([started, running]);
  } catch (err) {
    stop.abort();
    await running.catch(() => undefined);
    throw err;
  }
  await running;
}

/** `--host` names (checked like `runtime.host`), default this machine's hostname. */
export function workerHosts(given: string[] | undefined): string[] {
  const hosts = given?.length ? given : [os.hostname()];
  for (const h of hosts) {
    if (!HOST_NAME.test(h)) throw new UsageError(`--host: "${h}" is not ${HOST_NAME_RULE}${given?.length ? '' : " (this machine's hostname: give --host NAME)"}`);
  }
  return [...new Set(hosts)];
}

/** What this worker owns: its hosts, and the services of its config that live there. */
function printOwnership(io: CliIO, config: Config, hosts: string[]): void {
  for (const host of hosts) {
    const mine = config.services.filter((s) => s.runtime.host === host).map((s) => s.name);
    io.out(`  host ${host} (task queue ${hostTaskQueue(config.temporal.task_queue, host)}): ${mine.length ? `services ${mine.join(', ')}` : 'no service of this config names it'}\n`);
  }
  const elsewhere = config.services.filter((s) => s.runtime.host !== undefined && !hosts.includes(s.runtime.host));
  for (const s of elsewhere) io.out(`  ${s.name}: on host ${s.runtime.host}, served by that host's worker, not this one\n`);
  const anywhere = config.services.filter((s) => s.runtime.host === undefined).map((s) => s.name);
  if (anywhere.length) io.out(`  any worker: ${anywhere.join(', ')} (no runtime.host)\n`);
}

/** The dev server's ports can be moved (0: any free port) when 7233/8233 are taken. */
function portFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`${name}: "${v}" is not a port number (0..65535)`);
  return Number(v);
}

function serviceRuntime(services: { name: string; runtime: { kind: string } }[], name: string): string {
  return `runtime ${services.find((s) => s.name === name)?.runtime.kind ?? '?'}`;
}

/** The services of the worker's config file: scalers carry their secrets masked, the worker restores them. */
function workerSecrets(config: Config): SecretStore {
  return SecretStore.of(config.project, config.services, config.file, config.discover);
}
