// The Temporal worker: hosts the `serviceScaler` workflows and their activities.
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Runtime, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createDiscoveryActivities } from './activities/discovery-activities';
import { closeEventSinks, createDeliverEventsActivities } from './activities/deliver-events';
import { createScalerActivities } from './activities/scaler-activities';
import type { PluginLookup } from './sources/collect';
import { dataConverterFor } from './codec/data-converter';
import type { SecretStore } from './sources/secrets';
import type { TemporalConfig } from './config/file';
import { freePort } from './dev/free-port';
import { docktorMetrics } from './metrics/docktor-metrics';
import { serveMetrics } from './metrics/metrics-server';
import { hostTaskQueue } from './model/host-routing';
import { connectOptions } from './temporal-connection';
import { buildHash, bundleCacheDir, cachedBundle } from './workflow-bundle-cache';
import { watchCapacity } from './worker-capacity';

export const WORKFLOWS_PATH = path.join(__dirname, 'workflows', 'index.js');

/**
 * The SDK runs workflow code on one thread by default. With two, 500 scalers at a 5 s interval on
 * one worker beside the Temporal dev server (2 cores) had a p99 tick lateness of 0.19-0.26 s
 * against 0.27-0.61 s with one (docs/benchmarks.md, fleet); more cores, more threads.
 */
export const DEFAULT_WORKFLOW_THREADS = 2;

/**
 * Every running scaler holds one `watchService` activity (asleep between its checks, see
 * src/activities/watch-service.ts), so a worker needs a slot per scaler it carries, plus room for
 * applies: the SDK's default of 100 would leave the 101st scaler unchecked.
 */
export const DEFAULT_MAX_CONCURRENT_ACTIVITIES = 2500;

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

/**
 * Bundled once per build and failure converter (the encoded one goes into the bundle when
 * encryption is on), kept on disk between starts (src/workflow-bundle-cache.ts): several workers
 * (tests, the fleet benchmark) and later starts share it.
 */
export function workflowBundle(failureConverterPath?: string): Promise<WorkflowBundleWithSourceMap> {
  const key = failureConverterPath ?? '';
  let bundle = bundles.get(key);
  if (!bundle) {
    const make = () => bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, failureConverterPath, logger: quietBundlerLogger });
    bundle = cachedBundle(bundleCacheDir(), buildHash(__dirname, [dependenciesVersion(), key]), make);
    bundles.set(key, bundle);
  }
  return bundle;
}

/** What the bundle takes from node_modules: npm's record of the installed tree, else the SDK's version. */
function dependenciesVersion(): string {
  const sdk = require.resolve('@temporalio/workflow/package.json');
  const installed = path.join(sdk, '..', '..', '..', '.package-lock.json');
  try {
    return fs.readFileSync(installed, 'utf8');
  } catch {
    return fs.readFileSync(sdk, 'utf8');
  }
}

const quietBundlerLogger = {
  log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined,
  warn: (m: string) => process.stderr.write(`bundler: ${m}\n`),
  error: (m: string) => process.stderr.write(`bundler: ${m}\n`),
};

let metricsInstalled: { port: number; ready: Promise<void> } | undefined;

/**
 * Prometheus metrics on `port`: docktor's (src/metrics/docktor-metrics.ts) and the SDK runtime's,
 * whose exporter is bound to a private loopback port (src/metrics/metrics-server.ts). The SDK
 * runtime can be installed once per process, so this can be called for one port only.
 */
export function installMetrics(port: number): Promise<void> {
  if (metricsInstalled?.port === port) return metricsInstalled.ready;
  if (metricsInstalled !== undefined) throw new Error(`metrics already on port ${metricsInstalled.port}`);
  const ready = (async () => {
    const sdkPort = await freePort();
    Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${sdkPort}` } } } });
    await serveMetrics(port, docktorMetrics(), sdkPort);
  })();
  metricsInstalled = { port, ready };
  return ready;
}

export interface ScalerWorkerOptions {
  temporal: TemporalConfig;
  /** Overrides temporal.address (e.g. the dev server's). */
  address?: string;
  /** Where activities find queue sources and runtimes; default: the built-in registries. */
  plugins?: PluginLookup;
  connection?: NativeConnection;
  maxConcurrentActivities?: number;
  /** Where temporal.encryption.key_env is looked up (default: this process's environment). */
  env?: NodeJS.ProcessEnv;
  /** The services' config as this worker loaded it, to restore the secrets scalers carry masked. */
  secrets?: SecretStore;
  /** Another build of the workflows (a benchmark's baseline, bench/fleet.bench.ts); default this one's. */
  workflowsPath?: string;
  /**
   * The hosts whose replicas this worker observes and changes (`docktor worker --host`, issue:
   * machines): it also polls each one's task queue (src/model/host-routing.ts) for the watches
   * and applies of services with that `runtime.host`.
   */
  hosts?: string[];
}

export async function createScalerWorker(o: ScalerWorkerOptions): Promise<{ worker: Worker; hostWorkers: Worker[]; connection: NativeConnection; ownsConnection: boolean }> {
  // First: a bad encryption key is bad input, before anything is started.
  const dataConverter = dataConverterFor(o.temporal, o.env);
  if (o.temporal.metrics_port !== undefined) await installMetrics(o.temporal.metrics_port);
  const plugins = o.plugins ?? (await defaultPlugins());
  const connection = o.connection ?? (await NativeConnection.connect(connectOptions(o.temporal, o.address)));
  const scalerActivities = createScalerActivities(plugins, { ...(o.secrets ? { secrets: o.secrets } : {}), metrics: docktorMetrics() });
  const activityOptions = {
    connection,
    namespace: o.temporal.namespace,
    dataConverter,
    maxConcurrentActivityTaskExecutions: o.maxConcurrentActivities ?? DEFAULT_MAX_CONCURRENT_ACTIVITIES,
    // A cancelled apply (pause, resume, override) learns of it from a heartbeat's answer: send
    // them every second, not every 0.8 x the heartbeat timeout.
    maxHeartbeatThrottleInterval: '1s',
  };
  const worker = await Worker.create({
    ...activityOptions,
    taskQueue: o.temporal.task_queue,
    ...(o.workflowsPath
      ? { workflowsPath: o.workflowsPath }
      : { workflowBundle: await workflowBundle(dataConverter?.failureConverterPath) }),
    activities: {
      ...scalerActivities,
      ...createDiscoveryActivities(plugins, o.secrets ? { secrets: o.secrets } : {}),
      ...createDeliverEventsActivities({ ...(o.secrets ? { secrets: o.secrets } : {}), metrics: docktorMetrics() }),
    },
    workflowThreadPoolSize: o.temporal.workflow_threads ?? DEFAULT_WORKFLOW_THREADS,
  });
  // One activity-only worker per owned host, on its task queue: the host-bound work of its services.
  const hostWorkers: Worker[] = [];
  for (const host of new Set(o.hosts ?? [])) {
    hostWorkers.push(await Worker.create({ ...activityOptions, taskQueue: hostTaskQueue(o.temporal.task_queue, host), activities: scalerActivities }));
  }
  for (const w of [worker, ...hostWorkers]) watchCapacity(w, activityOptions.maxConcurrentActivityTaskExecutions);
  return { worker, hostWorkers, connection, ownsConnection: o.connection === undefined };
}

async function defaultPlugins(): Promise<PluginLookup> {
  const { builtInPlugins } = await import('./plugins.js');
  return builtInPlugins();
}

/** Closes what the built-in plugins hold open (NATS connections, Docker clients, process supervisors). */
export async function closePlugins(): Promise<void> {
  const { closeBuiltInPlugins } = await import('./plugins.js');
  await closeBuiltInPlugins();
}

/**
 * Runs a worker until `signal` aborts (SIGINT/SIGTERM in the CLI), then shuts down gracefully:
 * running activities finish, then plugins are closed (replicas stay as they are).
 */
export async function runWorkerUntil(o: ScalerWorkerOptions, signal: AbortSignal): Promise<void> {
  const { worker, hostWorkers, connection, ownsConnection } = await createScalerWorker(o);
  // run() first: it makes the worker RUNNING at once, so a stop requested while the worker was
  // being created (bundling takes seconds) can shut it down; shutdown() throws before that.
  const all = [worker, ...hostWorkers];
  // The host workers live and die with the main one: one that fails stops them all.
  const stopAll = () => all.forEach((w) => w.getState() === 'RUNNING' && w.shutdown());
  const running = Promise.all(all.map((w) => w.run().catch((e: unknown) => (stopAll(), Promise.reject(e)))));
  const onAbort = stopAll;
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  try {
    await running;
  } finally {
    signal.removeEventListener('abort', onAbort);
    if (ownsConnection) await connection.close();
    if (!o.plugins) await closePlugins();
    await closeEventSinks();
  }
}
