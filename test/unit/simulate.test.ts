// The simulator against queueing arithmetic: where the answer is known, it must be exact.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceSchema, type ServiceInput } from '../../src/config/service';
import type { Decision, DecisionInput } from '../../src/decide/index';
import { DEFAULT_EPOCH, simulate, type SimulationOptions } from '../../src/simulate/simulator';
import type { Trace } from '../../src/simulate/trace';

/** `count` arrivals per second for `seconds` seconds (bins of 1 s). */
function constantTrace(perSecond: number, seconds: number): Trace {
  return {
    kind: 'per-second',
    times: Float64Array.from({ length: seconds }, (_, i) => i),
    counts: new Float64Array(seconds).fill(perSecond),
    widths: new Float64Array(seconds).fill(1),
    span: seconds,
    epoch: null,
    total: perSecond * seconds,
  };
}

/** `n` arrivals at t = 0, the run lasting `span` seconds. */
function burstTrace(n: number, span: number): Trace {
  return { kind: 'requests', times: Float64Array.of(0), counts: Float64Array.of(n), widths: Float64Array.of(0), span, epoch: null, total: n };
}

function service(extra: Partial<ServiceInput> & { min_replicas: number; max_replicas: number }) {
  return ServiceSchema.parse({
    name: 'worker',
    check_interval: 10,
    rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 0 }] },
    ...extra,
  });
}

function fixed(replicas: number, extra: Partial<ServiceInput> = {}) {
  return service({ min_replicas: replicas, max_replicas: replicas, ...extra });
}

/** Nearest-rank percentile of exact values. */
function nearestRank(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
}

function run(trace: Trace, o: SimulationOptions) {
  return simulate(trace, o).figures;
}

describe('simulate: fixed replicas, constant rate', () => {
  it('below capacity: no backlog, pickup 0, worker-seconds = replicas x duration', () => {
    const f = run(constantTrace(3, 600), { service: fixed(4), serviceTime: 1, startupDelay: 10 });
    assert.equal(f.messages, 1800);
    assert.equal(f.picked_up, 1800);
    assert.equal(f.max_backlog, 0);
    assert.equal(f.pickup_p50_s, 0);
    assert.equal(f.pickup_p99_s, 0);
    assert.equal(f.pickup_max_s, 0);
    assert.equal(f.breach_seconds, 0);
    assert.equal(f.worker_seconds, 4 * 600);
    assert.equal(f.mean_replicas, 4);
    assert.equal(f.scale_events, 0);
    assert.equal(f.duration_s, 600);
    assert.equal(f.work_seconds, 1800);
  });

  it('exactly at capacity: a replica freed at t takes the message arriving at t', () => {
    const f = run(constantTrace(3, 300), { service: fixed(3), serviceTime: 1, startupDelay: 0 });
    assert.equal(f.max_backlog, 0);
    assert.equal(f.pickup_max_s, 0);
  });

  it('above capacity: the backlog grows by the excess, pickups and breach follow', () => {
    // 1/s arrive, one replica serves one per 2 s: message i arrives at i, starts at 2i, waits i.
    const f = run(constantTrace(1, 100), { service: fixed(1), serviceTime: 2, startupDelay: 0 });
    const waits = Array.from({ length: 51 }, (_, i) => i); // started by t = 100: i <= 50
    assert.equal(f.picked_up, 51);
    assert.equal(f.pickup_p50_s, nearestRank(waits, 50));
    assert.equal(f.pickup_p99_s, nearestRank(waits, 99));
    assert.equal(f.pickup_max_s, 50);
    // At t = 99: 100 arrived, 50 started.
    assert.equal(f.max_backlog, 50);
    assert.equal(f.waiting_at_end, 49);
    // The head is older than 30 s from t = 61 (message 31, waiting since 31) to the end.
    assert.equal(f.breach_seconds, 39);
    assert.equal(f.worker_seconds, 100);
  });

  it('the timeline splits breach seconds exactly between checks', () => {
    const sim = simulate(constantTrace(1, 100), { service: fixed(1), serviceTime: 2, startupDelay: 0 });
    const tl = sim.timeline;
    assert.equal(tl.length, 10); // checks at 0, 10, …, 90
    const perCheck = Array.from(tl.breach.subarray(0, tl.length), (b) => Math.round(b * 1e6) / 1e6);
    // Breach runs from t = 61: 9 s in (60, 70], 10 s in each later interval, 10 s after the last check.
    assert.deepEqual(perCheck, [0, 0, 0, 0, 0, 0, 0, 9, 10, 10]);
    assert.equal(sim.figures.breach_seconds, 39);
  });
});

describe('simulate: a burst at t = 0', () => {
  for (const [n, r, s] of [
    [100, 4, 2],
    [37, 3, 5],
    [1000, 7, 0.5],
  ] as const) {
    it(`${n} messages, ${r} replicas, ${s} s each: message i waits floor(i/R) x S`, () => {
      const span = 1000;
      const f = run(burstTrace(n, span), { service: fixed(r), serviceTime: s, startupDelay: 10 });
      const waits = Array.from({ length: n }, (_, i) => Math.floor(i / r) * s);
      assert.equal(f.messages, n);
      assert.equal(f.picked_up, n);
      assert.equal(f.pickup_p50_s, nearestRank(waits, 50));
      assert.equal(f.pickup_p95_s, nearestRank(waits, 95));
      assert.equal(f.pickup_p99_s, nearestRank(waits, 99));
      assert.equal(f.pickup_max_s, waits[n - 1]);
      assert.equal(f.max_backlog, Math.max(0, n - r));
      // The oldest waiting message is as old as the run until the last one starts.
      assert.equal(f.breach_seconds, Math.max(0, waits[n - 1]! - 30));
      assert.equal(f.worker_seconds, r * span);
    });
  }

  it('a queue nobody serves breaches from SLA seconds on, and has no pickups', () => {
    const f = run(burstTrace(10, 100), { service: fixed(0), serviceTime: 1, startupDelay: 10 });
    assert.equal(f.breach_seconds, 70);
    assert.equal(f.pickup_p50_s, null);
    assert.equal(f.waiting_at_end, 10);
    assert.equal(f.worker_seconds, 0);
  });

  it('uses the service SLA when it has one', () => {
    const f = run(burstTrace(10, 100), { service: fixed(0, { sla: { max_pickup_seconds: 45 } }), serviceTime: 1, startupDelay: 10 });
    assert.equal(f.sla_seconds, 45);
    assert.equal(f.breach_seconds, 55);
  });
});

describe('simulate: scaling', () => {
  const scaleUp = (startupDelay: number) =>
    run(burstTrace(3, 100), {
      service: service({ min_replicas: 1, max_replicas: 3, rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 0 }], step: { up: 2, down: 1 } } }),
      serviceTime: 1000,
      startupDelay,
    });

  it('new replicas serve only after the startup delay; worker-seconds include the start-up', () => {
    // The check at t = 0 sees 2 waiting and adds 2 replicas, which serve from t = 25.
    const f = scaleUp(25);
    assert.equal(f.scale_events, 1);
    assert.equal(f.pickup_p50_s, 25);
    assert.equal(f.pickup_max_s, 25);
    assert.equal(f.pickup_p95_s, 25);
    assert.equal(f.worker_seconds, 3 * 100);
    assert.equal(f.peak_replicas, 3);
  });

  it('with no startup delay they serve at once', () => {
    const f = scaleUp(0);
    assert.equal(f.pickup_max_s, 0);
  });

  it('a removed busy replica finishes its message, then goes', () => {
    const seen: Array<{ input: DecisionInput; decision: Decision }> = [];
    const f = simulate(burstTrace(2, 60), {
      service: service({
        min_replicas: 1,
        max_replicas: 2,
        cooldown: { up: 0, down: 0 },
        rules: {
          scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 0 }],
          scale_down_when: [{ metric: 'queue.backlog', op: '==', value: 0 }],
          step: { up: 1, down: 1 },
        },
      }),
      serviceTime: 15,
      startupDelay: 0,
      onDecision: (input, decision) => seen.push({ input, decision }),
    }).figures;
    // t=0: one waits, +1 replica (serves at once). t=10: both busy, nothing waits: -1 replica, which
    // keeps serving until t=15. Worker-seconds: 60 for the first, 15 for the second.
    assert.deepEqual(seen.slice(0, 3).map((s) => [s.input.now - DEFAULT_EPOCH, s.input.current_replicas, s.decision.target_replicas]), [
      [0, 1, 2],
      [10, 2, 1],
      [20, 1, 1],
    ]);
    assert.equal(seen[1]!.input.observations['queue.ack_pending'], 2);
    assert.equal(seen[2]!.input.observations['queue.ack_pending'], 0);
    assert.equal(f.picked_up, 2);
    assert.equal(f.pickup_max_s, 0);
    assert.equal(f.work_seconds, 30);
    assert.equal(f.worker_seconds, 60 + 15);
  });

  it('a scale-down removes starting replicas before serving ones', () => {
    const seen: number[] = [];
    const f = simulate(burstTrace(5, 100), {
      service: service({
        min_replicas: 1,
        max_replicas: 4,
        cooldown: { up: 0, down: 0 },
        rules: {
          scale_up_when: [{ metric: 'queue.oldest_age_s', op: '<', value: 5 }],
          scale_down_when: [{ metric: 'queue.oldest_age_s', op: '>=', value: 5 }],
          step: { up: 3, down: 3 },
        },
      }),
      serviceTime: 1000,
      startupDelay: 50,
      onDecision: (input) => seen.push(input.current_replicas),
    }).figures;
    // t=0: +3 (starting until t=50). t=10: -3: the three starting ones go, the busy one stays.
    assert.deepEqual(seen.slice(0, 3), [1, 4, 1]);
    assert.equal(f.worker_seconds, 100 + 3 * 10);
    assert.equal(f.picked_up, 1);
  });
});

describe('simulate: what the engine sees', () => {
  it('passes each decision state back, with now in Unix seconds every check_interval', () => {
    const seen: Array<{ input: DecisionInput; decision: Decision }> = [];
    simulate(constantTrace(3, 120), {
      service: fixed(4),
      serviceTime: 1,
      startupDelay: 0,
      onDecision: (input, decision) => seen.push({ input, decision }),
    });
    assert.equal(seen.length, 12);
    assert.equal(seen[0]!.input.state, undefined);
    for (let k = 1; k < seen.length; k++) {
      assert.equal(seen[k]!.input.state, seen[k - 1]!.decision.state);
      assert.equal(seen[k]!.input.now, DEFAULT_EPOCH + 10 * k);
      assert.equal(seen[k]!.input.paused, false);
      assert.equal(seen[k]!.input.metric_failures, 0);
    }
  });

  it('builds the observations of the real sources: rates over the window, busy share as CPU', () => {
    const seen: DecisionInput[] = [];
    simulate(constantTrace(3, 120), { service: fixed(4), serviceTime: 1, startupDelay: 0, onDecision: (i) => seen.push(i) });
    // First check: no rates yet (as the NATS source's first read).
    assert.equal(seen[0]!.observations['queue.rate_in'], undefined);
    const late = seen[6]!.observations;
    assert.equal(late['queue.rate_in'], 3);
    assert.equal(late['queue.rate_out'], 3);
    assert.equal(late['queue.rate_span_s'], 30, 'from the newest sample at or before the window start');
    assert.equal(late['queue.backlog'], 0);
    assert.equal(late['queue.lag'], late['queue.ack_pending']);
    assert.equal(late['cpu.avg_pct'], 75);
    assert.equal(late['replicas.current'], 4);
    assert.equal(late['replicas.ready'], 4);
    assert.ok(late['queue.oldest_age_s']! >= 0 && late['queue.oldest_age_s']! <= 1);
  });

  it('without counters (noRates, --no-rates) only the backlog and the messages in service, as Laravel\'s queue', () => {
    const seen: DecisionInput[] = [];
    simulate(constantTrace(3, 120), { service: fixed(4), serviceTime: 1, startupDelay: 0, noRates: true, onDecision: (i) => seen.push(i) });
    const late = seen[6]!.observations;
    assert.deepEqual(Object.keys(late).filter((k) => k.startsWith('queue.')).sort(), ['queue.ack_pending', 'queue.backlog', 'queue.lag']);
    assert.equal(late['queue.ack_pending'], 3);
    assert.equal(late['cpu.avg_pct'], 75, 'the runtime still measures its replicas');
  });
});

describe('simulate: trace cuts and randomness', () => {
  it('--scale, --start and --duration cut and resize the arrivals', () => {
    const trace = constantTrace(4, 100);
    const svc = fixed(10);
    assert.equal(run(trace, { service: svc, serviceTime: 1, startupDelay: 0, scale: 0.5 }).messages, 200);
    assert.equal(run(trace, { service: svc, serviceTime: 1, startupDelay: 0, scale: 2.5 }).messages, 1000);
    const cut = run(trace, { service: svc, serviceTime: 1, startupDelay: 0, start: 30, duration: 20 });
    assert.equal(cut.messages, 80);
    assert.equal(cut.duration_s, 20);
    assert.equal(cut.worker_seconds, 200);
    assert.equal(run(trace, { service: svc, serviceTime: 1, startupDelay: 0, start: 90 }).duration_s, 10);
  });

  it('exponential service times: the same seed gives the same run, another seed another', () => {
    const o = { service: fixed(5), serviceTime: 1, serviceTimeDist: 'exp' as const, startupDelay: 0 };
    const trace = constantTrace(4, 2000);
    const a = run(trace, { ...o, seed: 7 });
    const b = run(trace, { ...o, seed: 7 });
    const c = run(trace, { ...o, seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // The mean service time is the one asked for (8,000 draws: within 5%).
    assert.ok(Math.abs(a.work_seconds / a.picked_up - 1) < 0.05, `mean ${a.work_seconds / a.picked_up}`);
    assert.ok(a.pickup_p99_s! > 0, 'random service at 80% load makes some messages wait');
  });
});
