// The clairvoyant reference (src/simulate/clairvoyant.ts) on cases small enough to check by hand,
// and its schedule replayed by the simulator (SimulationOptions.schedule).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceSchema } from '../../src/config/service';
import { clairvoyantSchedule, tautString, workerSecondsLowerBound } from '../../src/simulate/clairvoyant';
import { simulate } from '../../src/simulate/simulator';
import type { Trace } from '../../src/simulate/trace';

/** `n` arrivals at t = 0, the run lasting `span` seconds. */
const batch = (n: number, span: number): Trace => ({ kind: 'requests', times: Float64Array.of(0), counts: Float64Array.of(n), widths: Float64Array.of(0), span, epoch: null, total: n });
const perSecond = (n: number, span: number) => Float64Array.from({ length: span }, (_, i) => (i === 0 ? n : 0));
const service = (min: number, max: number) =>
  ServiceSchema.parse({ name: 'w', min_replicas: min, max_replicas: max, check_interval: 10, sla: { max_pickup_seconds: 30 }, rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 0 }] } });

describe('clairvoyant reference', () => {
  it('the taut string is the straight line when the tube allows it', () => {
    const y = tautString(Float64Array.of(0, 0, 0, 9), Float64Array.of(0, 9, 9, 9));
    assert.deepEqual(Array.from(y), [0, 3, 6, 9]);
    // It bends where the upper bound holds it down.
    const bent = tautString(Float64Array.of(0, 0, 0, 10), Float64Array.of(0, 1, 10, 10));
    assert.deepEqual(Array.from(bent).map((v) => Math.round(v * 1000) / 1000), [0, 1, 5.5, 10]);
  });

  it('100 messages at once, SLA 30 s, 1 s each, no startup: spread over 30 s, exactly the work', () => {
    // String: 100/30 per second from 0 to 30 s. Per 10 s interval the fewest replicas that keep
    // up with it: 4 (40 served by 10 s, 33.3 needed), then 3 (70 ≥ 66.7), then 3 (100).
    const plan = clairvoyantSchedule(perSecond(100, 60), { slaSeconds: 30, serviceTime: 1, startupDelay: 0, checkInterval: 10, minReplicas: 0, maxReplicas: 100, span: 60 });
    assert.deepEqual(plan.ready, [4, 3, 3, 0, 0, 0]);
    assert.deepEqual(plan.targets, plan.ready);
    assert.equal(plan.infeasible, false);
    const sim = simulate(batch(100, 60), { service: service(0, 100), serviceTime: 1, startupDelay: 0, schedule: (k) => plan.targets[k]! });
    // 40 + 30 + 30 replica-seconds of work, plus 1: the replica removed at 10 s is busy (it took
    // a message at 10 s) and finishes it first.
    assert.equal(sim.figures.worker_seconds, 101);
    assert.equal(sim.figures.breach_seconds, 0);
    assert.equal(sim.figures.pickup_max_s, 29);
  });

  it('with a 10 s startup: one replica until new ones are ready, asked for one check ahead', () => {
    // Before 10 s only the min replica serves (10 messages); the other 90 by 30 s: 4.5/s.
    // Intervals: 1, then 5 (60 ≥ 55 by 20 s), then 4 (100 by 30 s), then min 1. Each check asks
    // for the most needed now and when its new replicas are ready (one check later).
    const plan = clairvoyantSchedule(perSecond(100, 60), { slaSeconds: 30, serviceTime: 1, startupDelay: 10, checkInterval: 10, minReplicas: 1, maxReplicas: 100, span: 60 });
    assert.deepEqual(plan.ready, [1, 5, 4, 1, 1, 1]);
    assert.deepEqual(plan.targets, [5, 5, 4, 1, 1, 1]);
    const sim = simulate(batch(100, 60), { service: service(1, 100), serviceTime: 1, startupDelay: 10, schedule: (k) => plan.targets[k]! });
    assert.equal(sim.figures.breach_seconds, 0);
    // 5 replicas for 20 s (4 of them starting for the first 10), 4 for 10 s, 1 for the last 30,
    // plus 1 s for the busy replica removed at 20 s finishing its message.
    assert.equal(sim.figures.worker_seconds, 5 * 20 + 4 * 10 + 30 + 1);
  });

  it('the lower bound: no schedule spends less, and here the clairvoyant is within 2 s of it', () => {
    // 100 messages at 0, SLA 30 s, 1 s each, startup 10 s, min 1. Before 10 s the one replica
    // starts at most s + 1 by s; all 100 must have started by 31 s. The string: 1.1/s to (10, 11),
    // then 89/21 per second to (31, 100), then nothing: sum of max(1, rate) = 11 + 89 + 29 = 129
    // replica-seconds, and a peak of 4.24/s needs 5 replicas, 4 of them started: + 4 × 10.
    const lb = workerSecondsLowerBound(perSecond(100, 60), { slaSeconds: 30, serviceTime: 1, startupDelay: 10, minReplicas: 1, span: 60 });
    assert.ok(Math.abs(lb - 169) < 1e-6, String(lb));
    assert.ok(lb <= 5 * 20 + 4 * 10 + 30 + 1, 'the clairvoyant replay above spends 171');
  });

  it('says so when max_replicas puts a deadline out of reach', () => {
    const plan = clairvoyantSchedule(perSecond(100, 60), { slaSeconds: 30, serviceTime: 1, startupDelay: 0, checkInterval: 10, minReplicas: 1, maxReplicas: 2, span: 60 });
    assert.equal(plan.infeasible, true);
    assert.ok(plan.ready.every((r) => r <= 2));
  });
});
