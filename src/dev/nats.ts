// Finds a NATS server with JetStream: $NATS_URL, else the usual local one on 127.0.0.1:4222,
// else a private `nats-server -js` started on a free port with its store in a temp folder.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { UnavailableError } from '../errors';
import { startChild } from './child-process';
import { freePort } from './free-port';
import { whichSync } from './temporal-cli';

export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

export interface NatsServer {
  /** Server URL(s) as `connect({ servers })` takes them (comma-separated when several). */
  url: string;
  /** True when we started the server (stop() ends it); false when it was already there. */
  started: boolean;
  stop(): Promise<void>;
}

export interface FindNatsOptions {
  /** Whether 127.0.0.1:4222 may be used when $NATS_URL is unset (default true). */
  useDefault?: boolean;
  /** How long to wait for a started server (default 15 s). */
  startTimeoutMs?: number;
}

const HOWTO = 'install it (`apt-get install nats-server`) or point NATS_URL at a server started with `-js`';

/** Undefined when `url` answers and has JetStream enabled, else why not. */
export async function probeJetStream(url: string, timeoutMs = 2000): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: url.split(','), timeout: timeoutMs, reconnect: false });
    try {
      // Fails unless JetStream is enabled for the account.
      const jsm = await jetstreamManager(nc, { timeout: timeoutMs });
      await jsm.getAccountInfo();
      return undefined;
    } finally {
      await nc.close();
    }
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

export async function findNats(opts: FindNatsOptions = {}): Promise<NatsServer> {
  const fromEnv = process.env.NATS_URL;
  if (fromEnv) {
    const problem = await probeJetStream(fromEnv);
    if (problem) {
      throw new UnavailableError(`NATS_URL=${fromEnv} does not answer with JetStream enabled (${problem}); start it with \`nats-server -js\` or unset NATS_URL`);
    }
    return { url: fromEnv, started: false, stop: async () => undefined };
  }
  if ((opts.useDefault ?? true) && (await probeJetStream(DEFAULT_NATS_URL, 1000)) === undefined) {
    return { url: DEFAULT_NATS_URL, started: false, stop: async () => undefined };
  }
  return startNatsServer(opts.startTimeoutMs ?? 15_000);
}

export function findNatsServerBinary(): string | undefined {
  if (process.env.NATS_SERVER && existsSync(process.env.NATS_SERVER)) return process.env.NATS_SERVER;
  // Debian installs it in /usr/sbin, which a non-root PATH may lack.
  return whichSync('nats-server') ?? ['/usr/sbin/nats-server', '/usr/local/bin/nats-server'].find((p) => existsSync(p));
}

/** A private JetStream server on a free port; its store is deleted on stop (or at exit). */
export async function startNatsServer(startTimeoutMs = 15_000): Promise<NatsServer> {
  const binary = findNatsServerBinary();
  if (!binary) {
    throw new UnavailableError(`no NATS server: NATS_URL is unset, nothing answers on 127.0.0.1:4222, and nats-server is not installed; ${HOWTO}`);
  }
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const storeDir = mkdtempSync(join(tmpdir(), 'docktor-nats-'));
    const removeStore = () => rmSync(storeDir, { recursive: true, force: true });
    process.once('exit', removeStore);
    const child = startChild(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir]);
    const url = `nats://127.0.0.1:${port}`;
    const deadline = Date.now() + startTimeoutMs;
    let problem: string | undefined = 'not started';
    while (!child.hasExited() && Date.now() < deadline) {
      problem = await probeJetStream(url, 1000);
      if (problem === undefined) break;
      await sleep(100);
    }
    if (problem === undefined) {
      return {
        url,
        started: true,
        async stop() {
          await child.stop(5000);
          removeStore();
          process.removeListener('exit', removeStore);
        },
      };
    }
    await child.stop(2000);
    removeStore();
    process.removeListener('exit', removeStore);
    if (/address already in use/i.test(child.outputTail()) && attempt < 3) continue;
    throw new UnavailableError(`${child.command} did not come up (${problem}):\n${child.outputTail().trim()}\n${HOWTO}`);
  }
}
