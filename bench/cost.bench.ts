// The durable-cost benchmark (issue 15): what an idle scaler costs Temporal per check, at
// check_interval 2 s and 10 s. A few scalers per interval (each interval in its own namespace of
// one dev server, run side by side) hold steadily; over a window that begins after every scaler
// has ended its first quiet stretch and lasts one more (so each contributes exactly the stretch
// ends of steady state), it counts the server's own `action` counter for the namespace (what
// Temporal Cloud bills), and the events and bytes the histories gained. Goal: <= 0.25 actions and
// <= 1 event per check at both intervals.
import { startDevServer } from '../src/dev/temporal-server';
import { WATCH_QUIET_SECONDS } from '../src/workflows/scaler-activity-options';
import { fleetWorker, installQuietRuntime, runOne, type FleetRun } from './fleet.bench';

export const COST_GOAL = { actionsPerCheck: 0.25, eventsPerCheck: 1, intervals: [2, 10] };

export interface CostOptions {
  intervals: number[];
  services: number;
  /** Default: one quiet stretch (and a little), then one more. */
  settleSeconds?: number;
  measureSeconds?: number;
  log?: (line: string) => void;
}

export async function benchCost(o: CostOptions): Promise<{ runs: FleetRun[]; quietSeconds: number }> {
  const log = o.log ?? (() => undefined);
  installQuietRuntime();
  const namespaces = o.intervals.map((i) => `cost-${String(i).replace('.', '_')}s`);
  const server = await startDevServer({ port: 0, ui: false, metricsPort: 0, namespace: namespaces[0], extraNamespaces: namespaces.slice(1), log });
  if (!server.metricsUrl) throw new Error('the dev server serves no metrics (the SDK fallback server): the cost needs `temporal server start-dev --metrics-port`');
  try {
    const settleSeconds = o.settleSeconds ?? WATCH_QUIET_SECONDS + 15;
    const measureSeconds = o.measureSeconds ?? WATCH_QUIET_SECONDS;
    log(`cost: ${o.services} scaler(s) at each of ${o.intervals.join(', ')} s; ${settleSeconds} s to settle, ${measureSeconds} s measured`);
    const runs = await Promise.all(
      o.intervals.map(async (checkInterval, i) => {
        const target = await fleetWorker(server.address, namespaces[i]!, `bench-cost-${i}-${process.pid}`, server.metricsUrl);
        try {
          return await runOne(target, o.services, { sizes: [o.services], checkInterval, settleSeconds, measureSeconds, log }, 0);
        } finally {
          await target.stop();
        }
      }),
    );
    return { runs, quietSeconds: WATCH_QUIET_SECONDS };
  } finally {
    await server.stop();
  }
}
