// One worker PROCESS of the fleet benchmark (`--fleet-workers N`, bench/fleet.bench.ts): a
// `createScalerWorker` with the FAKE plugins of the fleet (fleetPlugins), polling the task queue
// its parent names, as a `docktor worker` would. Its parent talks to it over the IPC channel of
// fork(): the worker says `ready`; asked for `reads`, it hands over when each service's checks
// began (its fake queue sources record them); `stop` shuts it down. It exits when its parent goes.
import { createScalerWorker } from '../src/worker';
import { fleetPlugins, installQuietRuntime } from './fleet.bench';
import { FLEET_WORKER_ENV, FleetWorkerArgs, FleetWorkerRequest, type FleetWorkerReply } from './fleet-ipc';

async function main(): Promise<void> {
  const send = (m: FleetWorkerReply) => process.send?.(m);
  const args = FleetWorkerArgs.parse(JSON.parse(process.env[FLEET_WORKER_ENV] ?? '{}'));
  installQuietRuntime();
  const plugins = fleetPlugins();
  const { worker, connection } = await createScalerWorker({ temporal: { namespace: args.namespace, task_queue: args.taskQueue }, address: args.address, plugins });
  const running = worker.run();
  const stop = async () => {
    worker.shutdown();
    await running.catch(() => undefined);
    await connection.close();
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('message', (raw) => {
    const m = FleetWorkerRequest.parse(raw);
    if (m.type === 'reads') send({ type: 'reads', reads: plugins.readsSince(m.from) });
    else void stop();
  });
  send({ type: 'ready' });
  await running;
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.send?.({ type: 'failed', error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FleetWorkerReply);
    process.exit(1);
  });
}
