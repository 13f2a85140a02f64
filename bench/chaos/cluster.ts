// The soak's private, real cluster in one run directory: a Temporal dev server on a database file,
// a JetStream server on its own store, two `docktor worker` processes sharing one process-runtime
// state directory, and the config `docktor up` starts the scaler from. Each piece is a Proc the
// nemesis may kill -9 and restart on the same file, store and port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Connection } from '@temporalio/client';
import { stringify } from 'yaml';
import { freePort } from '../../src/dev/free-port';
import { findNatsServerBinary } from '../../src/dev/nats';
import { DOCKTOR_SEARCH_ATTRIBUTES } from '../../src/dev/temporal-server';
import { TEMPORAL_CLI_HOWTO, findTemporalCli } from '../../src/dev/temporal-cli';
import { poolId } from '../../src/runtimes/process-marker';
import { serviceKey } from '../../src/runtimes/process-state';
import { Proc, type Line } from './proc';
import { SetupError, waitFor } from './wait';

/** The repository root (this file is dist/bench/chaos/cluster.js once built). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
const CONSUMER_JS = path.join(__dirname, 'consumer.js');

export const SERVICE = {
  name: 'work',
  min: 1,
  max: 4,
  check_interval: 2,
  grace_period: 5,
  work_ms: 300,
} as const;

export const STREAM = 'CHAOS';
export const SUBJECT = 'chaos.work';
export const CONSUMER = 'WORKERS';

export interface ClusterOptions {
  runDir: string;
  seed: number;
  onLine: (line: Line) => void;
  say: (line: string) => void;
}

export class Cluster {
  readonly project: string;
  readonly stateDir: string;
  readonly ledgerDir: string;
  readonly ignoreDir: string;
  readonly configFile: string;
  readonly temporalAddress: string;
  readonly natsUrl: string;
  readonly temporal: Proc;
  readonly nats: Proc;
  readonly workers: [Proc, Proc];
  readonly taskQueue: string;

  private constructor(readonly opts: ClusterOptions, temporalCli: string, natsBin: string, temporalPort: number, natsPort: number) {
    const dir = opts.runDir;
    this.project = `chaos${opts.seed}`;
    this.taskQueue = `chaos-${opts.seed}`;
    this.stateDir = path.join(dir, 'state');
    this.ledgerDir = path.join(dir, 'ledger');
    this.ignoreDir = path.join(dir, 'ignore-sigterm');
    for (const d of [this.stateDir, this.ledgerDir, this.ignoreDir, path.join(dir, 'nats'), path.join(dir, 'logs')]) fs.mkdirSync(d, { recursive: true });
    this.temporalAddress = `127.0.0.1:${temporalPort}`;
    this.natsUrl = `nats://127.0.0.1:${natsPort}`;
    const log = (name: string) => path.join(dir, 'logs', `${name}.log`);
    const temporalArgs = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(temporalPort), '--headless', '--db-filename', path.join(dir, 'temporal.db'), '--namespace', 'default', '--log-level', 'error'];
    for (const [name, kind] of Object.entries(DOCKTOR_SEARCH_ATTRIBUTES)) temporalArgs.push('--search-attribute', `${name}=${kind}`);
    this.temporal = new Proc('temporal', temporalCli, temporalArgs, process.env, log('temporal'), opts.onLine);
    this.nats = new Proc('nats', natsBin, ['-js', '-sd', path.join(dir, 'nats'), '-a', '127.0.0.1', '-p', String(natsPort)], process.env, log('nats'), opts.onLine);
    this.configFile = path.join(dir, 'docktor.yaml');
    const workerEnv = { ...process.env, DOCKTOR_STATE_DIR: this.stateDir, NODE_PATH: path.join(ROOT, 'node_modules') };
    const worker = (n: number) => new Proc(`worker${n}`, process.execPath, [path.join(ROOT, 'bin', 'docktor.js'), 'worker', '-c', this.configFile], workerEnv, log(`worker${n}`), opts.onLine);
    this.workers = [worker(1), worker(2)];
    fs.writeFileSync(this.configFile, stringify(this.config()));
  }

  static async create(opts: ClusterOptions): Promise<Cluster> {
    const cli = await findTemporalCli({ build: false, log: opts.say });
    if (!cli) throw new SetupError(`no Temporal CLI (TEMPORAL_CLI, PATH, ~/.cache/docktor/temporal): ${TEMPORAL_CLI_HOWTO}`);
    const nats = findNatsServerBinary();
    if (!nats) throw new SetupError('no nats-server binary: apt-get install nats-server, or set NATS_SERVER');
    return new Cluster(opts, cli, nats, await freePort('127.0.0.1'), await freePort('127.0.0.1'));
  }

  /** The pool marker of the service's replicas (what /proc is scanned for). */
  get pool(): string {
    return poolId(this.stateDir, serviceKey(this.project, SERVICE.name));
  }

  private config(): Record<string, unknown> {
    return {
      version: '1',
      temporal: { address: this.temporalAddress, namespace: 'default', task_queue: this.taskQueue },
      project: this.project,
      services: [
        {
          name: SERVICE.name,
          min_replicas: SERVICE.min,
          max_replicas: SERVICE.max,
          check_interval: SERVICE.check_interval,
          metrics_window: 6,
          strategy: 'rules',
          rules: {
            scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 15 }],
            scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 2 }],
            step: { up: 2, down: 1 },
          },
          cooldown: { up: 4, down: 6 },
          queue: { kind: 'nats', url: this.natsUrl, stream: STREAM, consumer: CONSUMER },
          runtime: {
            kind: 'process',
            command: [process.execPath, CONSUMER_JS],
            env: {
              NATS_URL: this.natsUrl,
              STREAM,
              CONSUMER,
              LEDGER_DIR: this.ledgerDir,
              IGNORE_DIR: this.ignoreDir,
              WORK_MS: String(SERVICE.work_ms),
              NODE_PATH: path.join(ROOT, 'node_modules'),
            },
            cwd: this.opts.runDir,
            grace_period: SERVICE.grace_period,
          },
        },
      ],
    };
  }

  async startTemporal(): Promise<void> {
    this.temporal.start();
    await waitFor(`the Temporal dev server on ${this.temporalAddress}`, 60_000, async () => {
      if (!this.temporal.alive()) throw new SetupError(`the Temporal dev server exited; see ${path.join(this.opts.runDir, 'logs', 'temporal.log')}`);
      const c = await Connection.connect({ address: this.temporalAddress, connectTimeout: 1000 });
      try {
        const { customAttributes } = await c.operatorService.listSearchAttributes({ namespace: 'default' });
        return Object.keys(DOCKTOR_SEARCH_ATTRIBUTES).every((k) => k in (customAttributes ?? {}));
      } finally {
        await c.close();
      }
    });
  }

  async startNats(): Promise<void> {
    this.nats.start();
    await waitFor(`NATS on ${this.natsUrl}`, 30_000, async () => {
      if (!this.nats.alive()) throw new SetupError(`nats-server exited; see ${path.join(this.opts.runDir, 'logs', 'nats.log')}`);
      const nc = await connect({ servers: this.natsUrl, timeout: 1000, reconnect: false });
      await nc.close();
      return true;
    });
  }

  /** The stream and the durable consumer; ack_wait 10 s: a SIGKILLed replica's message comes back soon. */
  async createQueue(): Promise<void> {
    const nc = await connect({ servers: this.natsUrl });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], duplicate_window: 300_000_000_000 });
      await jsm.consumers.add(STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, ack_wait: 10_000_000_000, max_ack_pending: 1000 });
    } finally {
      await nc.close();
    }
  }

  /** `docktor <args> -c <config>` to completion. */
  async docktor(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'docktor.js'), ...args, '-c', this.configFile], {
        env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      });
    });
  }
}
