// Decisions per second per strategy: decide() in a loop on one core, each call fed the previous
// state and varying observations, as the workflow and the simulator call it. Goal: > 50,000/s.
import { performance } from 'node:perf_hooks';
import { ServiceSchema, type ServiceConfig } from '../src/config/service';
import { decide } from '../src/decide/index';
import type { DecisionInput, EngineState } from '../src/decide/input';

const BEHAVIOR = {
  scale_up: { stabilization_window_seconds: 60, policies: [{ type: 'pods', value: 4, period_seconds: 60 }, { type: 'percent', value: 100, period_seconds: 60 }] },
  scale_down: { stabilization_window_seconds: 300, policies: [{ type: 'percent', value: 50, period_seconds: 60 }] },
};

const SERVICES: Record<string, ServiceConfig> = {
  rules: ServiceSchema.parse({
    name: 'bench',
    min_replicas: 1,
    max_replicas: 50,
    rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 1000 }, { metric: 'cpu.avg_pct', op: '>', value: 80 }], scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 50 }] },
    behavior: BEHAVIOR,
  }),
  target: ServiceSchema.parse({
    name: 'bench',
    min_replicas: 1,
    max_replicas: 50,
    strategy: 'target',
    target: { metrics: [{ metric: 'queue.backlog', type: 'average', value: 100 }, { metric: 'cpu.avg_pct', type: 'utilization', value: 70 }] },
    behavior: BEHAVIOR,
  }),
  predictive: ServiceSchema.parse({
    name: 'bench',
    min_replicas: 1,
    max_replicas: 50,
    strategy: 'predictive',
    sla: { max_pickup_seconds: 30 },
    behavior: BEHAVIOR,
  }),
};

function runFor(service: ServiceConfig, seconds: number): number {
  let state: EngineState | undefined;
  let current = 3;
  let now = 1_700_000_000;
  let calls = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    // A batch between clock reads keeps the timer out of the measurement.
    for (let i = 0; i < 1000; i++) {
      now += 10;
      const phase = (calls % 360) / 360;
      const load = 20 + 15 * Math.sin(phase * 2 * Math.PI);
      const input: DecisionInput = {
        now,
        service,
        current_replicas: current,
        observations: {
          'queue.backlog': Math.max(0, Math.round(load * 40 - current * 30)),
          'queue.ack_pending': Math.min(current, 5),
          'queue.rate_in': load,
          'queue.rate_out': Math.min(load, current * 4),
          'queue.oldest_age_s': (calls % 7) * 2,
          'cpu.avg_pct': 40 + (calls % 50),
        },
      };
      if (state !== undefined) input.state = state;
      const d = decide(input);
      state = d.state;
      current = d.target_replicas;
      calls++;
    }
  }
  return calls / ((performance.now() - start) / 1000);
}

/** Decisions per second per strategy, after a short warm-up. */
export async function benchDecide(secondsPerStrategy = 2): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, service] of Object.entries(SERVICES)) {
    runFor(service, 0.3);
    out[name] = Math.round(runFor(service, secondsPerStrategy));
    await new Promise((r) => setImmediate(r));
  }
  return out;
}

if (require.main === module) {
  void benchDecide().then((r) => process.stdout.write(JSON.stringify(r) + '\n'));
}
