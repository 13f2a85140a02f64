// Predictive (SLA) strategy: each component on hand-computed inputs, the non-circular service
// time, scale from zero, the conservative scale-down and the host capacity cap.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Sla } from '../../src/config/policy';
import type { Decision } from '../../src/decide/index';
import { decide } from '../../src/decide/index';
import { backlogArrivals, countUpperBound } from '../../src/decide/strategies/predictive/backlog-arrivals';
import { defaultScaleDownWindow, drainNeed, occupancyBound, replicaSecondsBound } from '../../src/decide/strategies/predictive/index';
import type { EngineState } from '../../src/decide/input';
import { input, NOW, service } from './decide-fixtures';
import fc from 'fast-check';

/** Erlang C: the probability an arrival waits in an M/M/c queue with offered load a < c. */
function erlangC(c: number, a: number): number {
  let b = 1; // Erlang B by its recursion, stable for large c
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  return (c * b) / (c - a * (1 - b));
}

type SlaInput = Partial<Sla> & { max_pickup_seconds: number };
const svc = (sla: SlaInput, extra: Parameters<typeof service>[0] = {}) => service({ min_replicas: 0, max_replicas: 100, strategy: 'predictive', sla, ...extra });
const num = (d: Decision, key: string): unknown => (d.details.proposal as Record<string, unknown>)[key];

describe('predictive: steady state (Little\'s law)', () => {
  it('replicas = arrival rate × service time / target utilization, when one is set', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 0.5, target_utilization: 0.8 });
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 0, 'queue.rate_in': 10 } }));
    assert.equal(num(d, 'steady_state'), 6.25); // 10 × 0.5 / 0.8
    assert.deepEqual([d.action, d.target_replicas], ['scale_up', 7]);
    assert.match(d.reason, /^steady state: arrivals 10\/s × 0\.5s\/msg \/ utilization 0\.8 = 6\.25 → 7$/);
  });

  it('otherwise arrival rate × service time + the queueing headroom the SLA needs', () => {
    // budget 24 s (0.8 × 30); headroom (T / budget) × ln(100) = 0.5 / 24 × 4.6052 = 0.0959.
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 0.5 });
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 0, 'queue.rate_in': 10 } }));
    assert.deepEqual([num(d, 'queueing_margin'), num(d, 'steady_state'), num(d, 'utilization')], [0.0959, 5.0959, null]);
    assert.deepEqual([d.action, d.target_replicas], ['scale_up', 6]);
    assert.match(d.reason, /^steady state: arrivals 10\/s × 0\.5s\/msg \+ 0\.096 \(queueing headroom: P\(wait > 24s\) < 1%\) = 5\.1 → 6$/);
    // A service time close to the budget needs several replicas more: 12 s of 24 s → + 2.3026.
    const slow = decide(input({ service: svc({ max_pickup_seconds: 30, service_time_seconds: 12 }), current: 3, observations: { 'queue.backlog': 0, 'queue.rate_in': 1 } }));
    assert.deepEqual([num(slow, 'steady_state'), slow.target_replicas], [14.3026, 15]);
  });

  it('the queueing headroom keeps the M/M/c wait beyond the budget under 1% (exact Erlang C)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 200, noNaN: true }), fc.double({ min: 0.001, max: 50, noNaN: true }), fc.integer({ min: 1, max: 120 }), (load, T, sla) => {
        const s = svc({ max_pickup_seconds: sla, service_time_seconds: T }, { max_replicas: 10_000 });
        // From 0 replicas, so that the 10% tolerance on the way up (a separate rule) plays no part.
        const d = decide(input({ service: s, current: 0, observations: { 'queue.backlog': 0, 'queue.rate_in': load / T } }));
        const c = d.target_replicas;
        const tail = erlangC(c, load) * Math.exp(-((c - load) * (0.8 * sla)) / T);
        assert.ok(tail <= 0.01 + 1e-9, `${c} replicas for load ${load}, T ${T}, budget ${0.8 * sla}: P(wait > budget) = ${tail}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('the service time comes from ack_pending / rate_out, not from the replica count', () => {
    const s = svc({ max_pickup_seconds: 30 });
    const obs = { 'queue.backlog': 0, 'queue.ack_pending': 4, 'queue.rate_out': 8, 'queue.rate_in': 8 };
    // 4 messages in service at 8 acks/s: 0.5 s each; 8/s × 0.5 s / 0.8 = 5 replicas, whatever runs now.
    for (const current of [3, 5, 12]) {
      const d = decide(input({ service: s, current, observations: obs, state: { predictive: { needs: [{ at: NOW - 10, replicas: 5 }], needs_since: NOW - 200 } } }));
      assert.equal(num(d, 'service_time_s'), 0.5);
      assert.equal(num(d, 'service_time_source'), 'queue.ack_pending / queue.rate_out');
      assert.equal(d.target_replicas, 5, `from ${current} replicas`);
    }
  });

  it('the measured service time is smoothed and remembered', () => {
    const s = svc({ max_pickup_seconds: 30 });
    const first = decide(input({ service: s, current: 5, observations: { 'queue.backlog': 0, 'queue.ack_pending': 4, 'queue.rate_out': 4, 'queue.rate_in': 4 } }));
    assert.equal(first.action, 'hold');
    assert.equal(first.state.predictive?.service_time_s, 1);
    const second = decide(input({ service: s, current: 5, now: NOW + 10, state: first.state, observations: { 'queue.backlog': 0, 'queue.ack_pending': 2, 'queue.rate_out': 4, 'queue.rate_in': 4 } }));
    assert.equal(second.state.predictive?.service_time_s, 0.9); // 0.2 × 0.5 + 0.8 × 1
    const idle = decide(input({ service: s, current: 5, now: NOW + 20, state: second.state, observations: { 'queue.backlog': 0, 'queue.ack_pending': 0, 'queue.rate_out': 0, 'queue.rate_in': 4 } }));
    assert.equal(num(idle, 'service_time_source'), 'previous estimate');
    assert.equal(num(idle, 'service_time_s'), 0.9);
  });

  it('is not re-measured while the flow is not steady (recent scale change, or arrivals != acks)', () => {
    const s = svc({ max_pickup_seconds: 30 }, { metrics_window: 30 });
    const prev = { predictive: { service_time_s: 1 } };
    const obs = { 'queue.backlog': 0, 'queue.ack_pending': 20, 'queue.rate_out': 10, 'queue.rate_in': 10 };
    // 20 in service at 10/s would say 2 s, but replicas changed 20 s ago (< 30 s window + 10 s startup).
    const recent = decide(input({ service: s, current: 20, observations: obs, state: { ...prev, last_scale_up_at: NOW - 20 } }));
    assert.deepEqual([num(recent, 'service_time_s'), num(recent, 'service_time_source')], [1, 'previous estimate (flow not steady)']);
    const swing = decide(input({ service: s, current: 20, observations: { ...obs, 'queue.rate_in': 5 }, state: prev }));
    assert.equal(num(swing, 'service_time_s'), 1);
    const steady = decide(input({ service: s, current: 20, observations: obs, state: { ...prev, last_scale_up_at: NOW - 40 } }));
    assert.equal(num(steady, 'service_time_s'), 1.2); // 0.2 × 2 + 0.8 × 1
  });

  it('with only replicas / rate_out (busy upper bound) it never proposes fewer than current', () => {
    const s = svc({ max_pickup_seconds: 30 });
    const d = decide(input({ service: s, current: 4, observations: { 'queue.backlog': 10, 'queue.rate_out': 5, 'queue.rate_in': 1 } }));
    assert.equal(num(d, 'service_time_source'), 'replicas / queue.rate_out (busy upper bound)');
    assert.ok(d.target_replicas >= 4);
  });

  it('replica-seconds over the acknowledgements bound it even while replicas were idle', () => {
    // One replica for 20 s, then 31 (30 asked for 10 s ago count over that whole interval: their
    // startup is not assumed): 20 + 310
    // replica-seconds over 30 s; 1.5 acks/s = 45 acks, of which the one in service when the
    // window began may have started before it: T <= 330 / 44 = 7.5. busy / rate_out would say
    // 31 / 1.5 = 20.7.
    const h = [
      { at: NOW - 30, count: 0, replicas: 1 },
      { at: NOW - 20, count: 0, replicas: 1 },
      { at: NOW - 10, count: 1, replicas: 1 },
      { at: NOW, count: 31, replicas: 31 },
    ];
    assert.equal(replicaSecondsBound(h, NOW, 30, 1.5), 330 / 44);
    assert.equal(replicaSecondsBound(h.slice(1), NOW, 30, 1.5), null, 'the calls must cover the window');
    assert.equal(replicaSecondsBound(h, NOW, 30, 0.3), null, 'too few acknowledgements');
    assert.equal(replicaSecondsBound(h.map(({ replicas: _, ...x }) => x), NOW, 30, 1.5), null, 'replicas not recorded');
  });

  it('over the time since a call too, from the sources\' counts: the startup interval left out', () => {
    // 100 replicas asked at NOW-20 (one busy before), ready and busy from NOW-10 on. Over the
    // window: 10 + 1000 + 1000 replica-seconds for 34 × 30 − 1 acks, T <= 1.97. Since NOW-10:
    // 1000 replica-seconds, and the source counted 1020 acks since NOW-30 against 21 since NOW-40
    // at NOW-10, so at least 999 came after NOW-10, less the 100 in service then: T <= 1000 / 899.
    const h = [
      { at: NOW - 30, count: 0, replicas: 1, acks: 5, acks_since: NOW - 60 },
      { at: NOW - 20, count: 1, replicas: 1, acks: 10, acks_since: NOW - 50 },
      { at: NOW - 10, count: 100, replicas: 100, acks: 21, acks_since: NOW - 40 },
      { at: NOW, count: 100, replicas: 100, acks: 1020, acks_since: NOW - 30 },
    ];
    assert.equal(replicaSecondsBound(h, NOW, 30, 34), 1000 / 899);
    const counts = ({ acks: _a, acks_since: _s, ...x }: (typeof h)[number]) => x;
    assert.equal(replicaSecondsBound(h.map(counts), NOW, 30, 34), 2010 / 1019, 'without the counts, over the window only');
    // A source whose count now starts before the earlier one's (its base sample went older) says
    // nothing about the acks after that call: since NOW-20 (count from NOW-50) it is 2000 / 910,
    // looser than the window's.
    const older = [...h.slice(0, 3), { ...h[3]!, acks_since: NOW - 45 }];
    assert.equal(replicaSecondsBound(older, NOW, 30, 34), 2010 / 1019);
    // Without a whole window of calls, the time since a call still bounds it.
    assert.equal(replicaSecondsBound(h.slice(2), NOW, 30, 34), 1000 / 899);
  });

  it('a burst\'s busy replicas bound it within a check of being ready (end to end, with queue.rate_span_s)', () => {
    const s = svc({ max_pickup_seconds: 30 }, { metrics_window: 30, min_replicas: 1 });
    const calls: Array<{ current: number; obs: Record<string, number> }> = [
      { current: 1, obs: { 'queue.backlog': 0, 'queue.ack_pending': 0, 'queue.rate_in': 0.1, 'queue.rate_out': 0.1, 'queue.rate_span_s': 30 } },
      { current: 1, obs: { 'queue.backlog': 300, 'queue.oldest_age_s': 5, 'queue.ack_pending': 1, 'queue.rate_in': 10, 'queue.rate_out': 0.2, 'queue.rate_span_s': 30 } },
      { current: 100, obs: { 'queue.backlog': 600, 'queue.oldest_age_s': 15, 'queue.ack_pending': 100, 'queue.rate_in': 20, 'queue.rate_out': 0.5, 'queue.rate_span_s': 30 } },
      { current: 100, obs: { 'queue.backlog': 100, 'queue.oldest_age_s': 10, 'queue.ack_pending': 100, 'queue.rate_in': 30, 'queue.rate_out': 33.8, 'queue.rate_span_s': 30 } },
    ];
    let state: EngineState | undefined;
    let d: Decision | undefined;
    calls.forEach((c, i) => {
      d = decide(input({ service: s, current: c.current, now: NOW + i * 10, observations: c.obs, ...(state ? { state } : {}) }));
      state = d.state;
    });
    // Since the third call: 100 × 10 replica-seconds for 33.8 × 30 − 0.5 × 30 − 100 = 899 acks.
    assert.equal(num(d!, 'service_time_source'), 'replica-seconds / acknowledgements over the window (upper bound)');
    assert.equal(num(d!, 'service_time_s'), r4(1000 / 899));
  });

  it('quiet checks bound it from their in-service counts (occupancy), a Poisson upper bound', () => {
    // 40 checks 10 s apart saw 2 messages in service in all, for 25 acks: a message is seen with
    // probability T / 10 s, so T ≈ 2 × 10 / 25 = 0.8 s; the count's upper bound (√3 + 1)² = 7.46
    // makes it 2.99 s at most.
    assert.equal(occupancyBound({ checks: 40, count: 2, seconds: 400, acks: 25 }), ((Math.sqrt(3) + 1) ** 2 * 10) / 25);
    assert.equal(occupancyBound({ checks: 40, count: 0, seconds: 400, acks: 25 }), (4 * 10) / 25, 'no message seen at all still bounds it');
    assert.equal(occupancyBound({ checks: 10, count: 0, seconds: 100, acks: 9 }), null, 'too few acknowledgements');
    assert.equal(occupancyBound(null), null);
    // A message longer than the interval is seen by several checks: the count is not Poisson, and
    // the bound widens by T / Δ (here 5).
    assert.equal(occupancyBound({ checks: 20, count: 100, seconds: 200, acks: 20 }), (5 * (Math.sqrt(21) + 1) ** 2 * 10) / 20);
  });

  it('a trickle between bursts sizes the first burst on the occupancy bound, not on replicas / rate_out', () => {
    // One replica, 0.06 messages/s of 1 s each for 400 s (the checks every 10 s see one of them in
    // service twice), then a burst: 200 waiting. replicas / rate_out would say 1 / 0.06 = 16.7 s.
    const s = svc({ max_pickup_seconds: 30 }, { metrics_window: 30, min_replicas: 1 });
    let state: EngineState | undefined;
    for (let i = 0; i <= 40; i++) {
      const busy = i === 13 || i === 29 ? 1 : 0;
      const obs = { 'queue.backlog': 0, 'queue.ack_pending': busy, 'queue.rate_in': 0.06, 'queue.rate_out': 0.06 };
      const d = decide(input({ service: s, current: 1, now: NOW + i * 10, observations: obs, ...(state ? { state } : {}) }));
      assert.equal(d.target_replicas, 1);
      state = d.state;
    }
    // 39 quiet checks pooled (the first two have no earlier calls to tell them quiet): 2 seen, 23.4
    // acks; and no second replica asked for meanwhile (the bound only sizes work that waits).
    const o = state!.predictive!.occupancy!;
    assert.deepEqual([o.checks, o.count], [39, 2]);
    const burst = decide(input({ service: s, current: 1, now: NOW + 410, state: state!, observations: { 'queue.backlog': 200, 'queue.oldest_age_s': 5, 'queue.ack_pending': 1, 'queue.rate_in': 6.7, 'queue.rate_out': 0.06 } }));
    assert.equal(num(burst, 'service_time_source'), 'queue.ack_pending sampled at quiet checks / acknowledgements (upper bound)');
    assert.equal(num(burst, 'service_time_s'), r4(((Math.sqrt(3) + 1) ** 2 * 10) / 23.4)); // 3.19 s
    // A check with messages waiting is not quiet: it adds nothing to the counts.
    assert.deepEqual(burst.state.predictive!.occupancy, o);
  });
});

describe('predictive: forecast', () => {
  it('a rising arrival rate is extrapolated over startup + one check interval', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1, startup_seconds: 10, target_utilization: 0.8 }, { check_interval: 10 });
    let state: EngineState | undefined;
    let d: Decision | undefined;
    for (const [i, rate] of [10, 12, 14, 16, 18].entries()) {
      d = decide(input({ service: s, current: 30, now: NOW + i * 10, observations: { 'queue.backlog': 0, 'queue.rate_in': rate }, ...(state ? { state } : {}) }));
      state = d.state;
    }
    assert.ok(d);
    assert.equal(num(d, 'trend_slope'), 0.2);
    assert.equal(num(d, 'horizon_s'), 20);
    assert.equal(num(d, 'forecast_rate'), 22); // 18 + 0.2 × 20
    assert.equal(num(d, 'steady_state'), 27.5); // 22 × 1 / 0.8
    assert.match(d.reason, /arrivals 18\/s \(trend → 22\/s in 20s\)/);
  });

  it('a falling rate is not extrapolated downwards', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1 });
    let state: EngineState | undefined;
    let d: Decision | undefined;
    for (const [i, rate] of [18, 16, 14, 12, 10].entries()) {
      d = decide(input({ service: s, current: 30, now: NOW + i * 10, observations: { 'queue.backlog': 0, 'queue.rate_in': rate }, ...(state ? { state } : {}) }));
      state = d.state;
    }
    assert.ok(d);
    assert.equal(num(d, 'forecast_rate'), 10);
  });

  it('the backlog\'s change stands in for a missing rate_in', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1 });
    const first = decide(input({ service: s, current: 5, observations: { 'queue.backlog': 100, 'queue.ack_pending': 5, 'queue.rate_out': 5 } }));
    const d = decide(input({ service: s, current: 5, now: NOW + 10, state: first.state, observations: { 'queue.backlog': 300, 'queue.ack_pending': 5, 'queue.rate_out': 5 } }));
    assert.equal(num(d, 'arrival_rate_from_backlog'), 25); // 5 + (305 - 105) / 10
    assert.equal(num(d, 'arrival_rate'), 25);
    // With rate_in it is only reported: rate_out is a window average, biased after a burst.
    const withIn = decide(input({ service: s, current: 5, now: NOW + 10, state: first.state, observations: { 'queue.backlog': 300, 'queue.ack_pending': 5, 'queue.rate_out': 5, 'queue.rate_in': 6 } }));
    assert.deepEqual([num(withIn, 'arrival_rate'), num(withIn, 'arrival_rate_from_backlog')], [6, 25]);
  });
});

describe('predictive: arrivals that stopped, seen in service', () => {
  it('with nothing waiting, the messages in service cap the window\'s rate', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1 });
    // rate_in still averages a burst that ended; 2 in service at 1 s each: at most
    // (√3 + 1)² / 1 = 7.46/s arrive now, + the 0.19 queueing headroom.
    const after = decide(input({ service: s, current: 30, observations: { 'queue.backlog': 0, 'queue.ack_pending': 2, 'queue.rate_in': 25, 'queue.rate_out': 25 } }));
    assert.equal(num(after, 'forecast_rate'), 7.4641);
    assert.equal(num(after, 'raw_need'), 8);
    // Within the burst the count is about rate × T, and the cap stays above the rate.
    const within = decide(input({ service: s, current: 30, observations: { 'queue.backlog': 0, 'queue.ack_pending': 25, 'queue.rate_in': 25, 'queue.rate_out': 25 } }));
    assert.equal(num(within, 'forecast_rate'), 25);
    // Messages waiting: every replica is busy, the count says nothing of arrivals.
    const waiting = decide(input({ service: s, current: 30, observations: { 'queue.backlog': 5, 'queue.ack_pending': 2, 'queue.rate_in': 25, 'queue.rate_out': 25 } }));
    assert.equal(num(waiting, 'forecast_rate'), 25);
  });

  it('caps the need with only an upper bound of the service time too, and may then go below current', () => {
    // After a first burst: 89 replicas for the whole window, 58.1 acks/s (the drain included), 36
    // in service now, nothing waiting. T is only bounded: replica-seconds / acks = 89 × 30 /
    // (58.1 × 30 − 89) = 1.61 s, an upper bound of this check (utilization 1, and before, never
    // fewer than current: 89 were held until a reading came). The count caps the need whatever
    // T is: at most (√37 + 1)² = 50.2 busy replicas.
    const s = svc({ max_pickup_seconds: 30, startup_seconds: 10 }, { metrics_window: 30, check_interval: 10 });
    const in_service = [-30, -20, -10].map((dt) => ({ at: NOW + dt, count: dt === -10 ? 40 : 89, lag: dt === -10 ? 40 : 89, replicas: 89 }));
    const state = { predictive: { in_service, needs: [{ at: NOW - 10, replicas: 51 }], needs_since: NOW - 100 }, last_scale_up_at: NOW - 60 };
    const obs = { 'queue.backlog': 0, 'queue.ack_pending': 36, 'queue.rate_in': 38.8, 'queue.rate_out': 58.1 };
    const d = decide(input({ service: s, current: 89, state, observations: obs }));
    assert.equal(num(d, 'service_time_source'), 'replica-seconds / acknowledgements over the window (upper bound)');
    assert.equal(num(d, 'raw_need'), 51);
    assert.equal(d.target_replicas, 51);
    assert.match(d.reason, /^steady state: arrivals 38\.8\/s \(at most 31\.\d+\/s: queue\.ack_pending 36 in service, nothing waiting\) × 1\.6\ds\/msg \/ utilization 1 \(upper bound\)/);
    // With messages waiting the count says nothing of arrivals: never fewer than current.
    const waiting = decide(input({ service: s, current: 89, state, observations: { ...obs, 'queue.backlog': 5 } }));
    assert.ok(waiting.target_replicas >= 89);
  });
});

describe('predictive: a queue without counters (Laravel\'s Redis queue)', () => {
  // Laravel 8.83 keeps no counters: the redis source gives queue.backlog and queue.ack_pending
  // (the :reserved zset), no rates, no oldest age. A queue of 1 s jobs, checked every 5 s: steady
  // 0.5 jobs/s, then 150 jobs at once, then nothing.
  function run(sla: SlaInput): { targets: number[]; decisions: Decision[] } {
    const s = svc(sla, { min_replicas: 1, max_replicas: 20, check_interval: 5 });
    let backlog = 0;
    let current = 1;
    let state: EngineState | undefined;
    const targets: number[] = [];
    const decisions: Decision[] = [];
    for (let i = 0; i < 40; i++) {
      const now = NOW + i * 5;
      if (i === 6) backlog += 150;
      backlog = Math.max(0, backlog + 2.5 - current * 5); // 5 s of arrivals and of 1 s jobs per replica
      const ackPending = backlog > 0 ? current : i % 2; // idle: a job in service at every other check
      const d = decide(input({ service: s, current, now, observations: { 'queue.backlog': Math.round(backlog), 'queue.ack_pending': ackPending, 'queue.delayed': 0 }, ...(state ? { state } : {}) }));
      state = d.state;
      current = d.target_replicas;
      targets.push(current);
      decisions.push(d);
    }
    return { targets, decisions };
  }

  it('with sla.service_time_seconds: throughput by Little\'s law, arrivals from the backlog\'s change; up on the burst, back down after', () => {
    const { targets, decisions } = run({ max_pickup_seconds: 30, service_time_seconds: 1, startup_seconds: 2 });
    const peak = Math.max(...targets);
    assert.ok(peak >= 4, `scaled up on the burst: ${targets.join(' ')}`);
    assert.equal(targets[targets.length - 1], 1, `back to 1 after the drain: ${targets.join(' ')}`);
    const burst = decisions[6]!;
    assert.equal(burst.action, 'scale_up');
    assert.equal(num(burst, 'throughput_source'), "queue.ack_pending / sla.service_time_seconds (Little's law)");
    // Jobs in service over the 30 s window (1 at every other check, trapezoid) / 1 s each.
    assert.equal(num(burst, 'throughput'), 0.5833);
    assert.match(burst.reason, /backlog change over 30s \+ throughput 0\.58\/s = queue\.ack_pending 0\.58 \/ 1s, Little's law/);
    assert.ok(decisions.some((d) => d.action === 'scale_down'), 'scale-downs are allowed: nothing is missing');
    assert.deepEqual(decisions.slice(1).filter((d) => d.limited_by === 'missing_metrics'), []);
  });

  it('without sla.service_time_seconds it holds (never scales down on missing data), as before', () => {
    const { targets, decisions } = run({ max_pickup_seconds: 30, startup_seconds: 2 });
    assert.ok(targets.every((t, i) => i === 0 || t >= targets[i - 1]!), `never down: ${targets.join(' ')}`);
    const last = decisions[decisions.length - 1]!;
    assert.deepEqual(last.details.proposal && num(last, 'throughput'), null);
    assert.match(last.reason, /queue\.rate_in \(or queue\.rate_out, or sla\.service_time_seconds with queue\.ack_pending\)/);
  });

  it('a measured rate_out is used as it is', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1 });
    const first = decide(input({ service: s, current: 5, observations: { 'queue.backlog': 100, 'queue.ack_pending': 5, 'queue.rate_out': 4 } }));
    const d = decide(input({ service: s, current: 5, now: NOW + 10, state: first.state, observations: { 'queue.backlog': 100, 'queue.ack_pending': 5, 'queue.rate_out': 4 } }));
    assert.deepEqual([num(d, 'throughput'), num(d, 'throughput_source'), num(d, 'arrival_rate')], [4, 'queue.rate_out', 4]);
  });
});

describe('predictive: a step in a backlog without counters is a burst to drain (issue 28)', () => {
  // The Laravel example: 0.5 s jobs, checks every 5 s over a 30 s window, SLA 30 s, startup 2 s.
  // Quiet for 30 s (1 job/s: one in service at every other check), then 120 jobs pushed at once.
  const s = svc({ max_pickup_seconds: 30, service_time_seconds: 0.5, startup_seconds: 2 }, { min_replicas: 1, max_replicas: 10, check_interval: 5, metrics_window: 30 });
  function quiet(): EngineState {
    let state: EngineState | undefined;
    [1, 0, 1, 0, 1, 0].forEach((ackPending, i) => {
      state = decide(input({ service: s, current: 1, now: NOW - 30 + 5 * i, observations: { 'queue.backlog': 0, 'queue.ack_pending': ackPending }, ...(state ? { state } : {}) })).state;
    });
    return state!;
  }
  const step = () => decide(input({ service: s, current: 1, state: quiet(), observations: { 'queue.backlog': 120, 'queue.ack_pending': 1 } }));

  it('a step of 120 sizes for the drain only: not counted again as a rate, nor trended', () => {
    const d = step();
    // Conservation over the window still says 5/s (4 + 6 + 4 + 6 + 4 + 126 jobs in 30 s): the
    // burst as a rate, what sent the example to 10 workers. The last interval's 126 stand out of
    // the other intervals' 0.96/s (4.8 in 5 s: at most (√5.8 + 1)² = 11.6 by noise); the rest,
    // 114.4 jobs, is a burst, and the rate is (150 − 114.4) / 30 = 1.19/s.
    assert.equal(num(d, 'arrival_rate_from_backlog'), 5);
    const burst = 126 - countUpperBound(0.96 * 5);
    assert.equal(num(d, 'arrival_burst'), r4(burst));
    assert.equal(num(d, 'arrival_rate'), r4((150 - burst) / 30));
    assert.equal(num(d, 'backlog_rising'), false);
    // FIFO: the 120 waiting are the last interval's arrivals; the oldest is taken from its middle.
    assert.deepEqual([num(d, 'oldest_age_s'), num(d, 'oldest_age_source')], [2.5, "backlog's history"]);
    // The need: the drain of 120 jobs (the oldest 2.5 s old, 24 − 2 − 2.5 = 19.5 s left once new
    // workers serve) plus the arrivals still to come at about the quiet rate; nothing else.
    const ahead = num(d, 'drain_arrivals') as number;
    assert.ok(ahead < 1.5, `arrivals still to come ${ahead}/s: about the quiet 1/s`);
    // The ages of the waiting jobs spread at the window's rate, burst included (rate_in's counterpart).
    const drain = drainNeed({ T: 0.5, backlog: 120, oldestAge: 2.5, rate: 5, ready: 1, startup: 2, budget: 24, forecast: ahead });
    assert.equal(num(d, 'backlog_drain'), r4(0.5 * (ahead + drain.rate)));
    assert.deepEqual([d.action, d.target_replicas], ['scale_up', 4]);
    assert.match(d.reason, /^backlog drain: queue\.backlog 120 before 19\.5s \(oldest waiting ~2\.5s by the backlog's history, of 24s = 0\.8 × sla 30s\) at 0\.5s\/msg \+ arrivals 1\.19\/s \(backlog change over 30s \+ throughput 1\/s = queue\.ack_pending 0\.5 \/ 0\.5s, Little's law: no queue\.rate_in\/rate_out; less a burst of 114\.38 at one check, drained from the backlog, not a rate\)/);
  });

  it('a backlog that keeps rising check after check is still read as arrivals', () => {
    const first = step();
    // Five seconds later 110 more are waiting, one worker serving: the step goes on.
    const d = decide(input({ service: s, current: 1, now: NOW + 5, state: first.state, observations: { 'queue.backlog': 230, 'queue.ack_pending': 1 } }));
    assert.equal(num(d, 'backlog_rising'), true);
    assert.equal(num(d, 'arrival_burst'), 0);
    assert.equal(num(d, 'arrival_rate'), num(d, 'arrival_rate_from_backlog'));
    assert.ok((num(d, 'arrival_rate') as number) > 8, `${num(d, 'arrival_rate')}/s`);
    assert.match(d.reason, /the backlog rose check after check: all arrivals/);
    assert.equal(d.target_replicas, 10);
  });

  it('a trickle\'s job waiting at the check before the step does not make it a rise', () => {
    // Poisson arrivals leave a job waiting behind the busy worker now and then: backlog 0 → 1 → 120
    // is one step on a trickle, not a backlog rising check after check (the first e2e run read it
    // so, and started 7 workers).
    let state: EngineState | undefined;
    [[0, 1], [0, 0], [0, 1], [0, 0], [0, 1], [1, 1]].forEach(([backlog, ackPending], i) => {
      state = decide(input({ service: s, current: 1, now: NOW - 30 + 5 * i, observations: { 'queue.backlog': backlog!, 'queue.ack_pending': ackPending! }, ...(state ? { state } : {}) })).state;
    });
    const d = decide(input({ service: s, current: 1, state, observations: { 'queue.backlog': 120, 'queue.ack_pending': 1 } }));
    assert.equal(num(d, 'backlog_rising'), false);
    assert.ok((num(d, 'arrival_burst') as number) > 100);
    assert.equal(d.target_replicas, 4);
    // Right after start: nothing for 15 s, the trickle's first jobs (one waiting), then the burst.
    // Against the empty intervals the trickle is a step of its own, but the burst does not go on at
    // its rate (a second e2e run started 8 workers when it counted as one).
    state = undefined;
    [[0, 0], [0, 0], [0, 0], [0, 0], [1, 1]].forEach(([backlog, ackPending], i) => {
      state = decide(input({ service: s, current: 1, now: NOW - 25 + 5 * i, observations: { 'queue.backlog': backlog!, 'queue.ack_pending': ackPending! }, ...(state ? { state } : {}) })).state;
    });
    const early = decide(input({ service: s, current: 1, state, observations: { 'queue.backlog': 122, 'queue.ack_pending': 1 } }));
    assert.equal(num(early, 'backlog_rising'), false);
    assert.ok(early.target_replicas <= 4, `${early.target_replicas}: ${early.reason}`);
  });

  it('a steady inflow above capacity has no step: all of it is arrivals', () => {
    let state: EngineState | undefined;
    let d: Decision | undefined;
    for (let i = 0; i <= 6; i++) {
      // 6 jobs/s arrive, one worker serves 2/s: the backlog grows by 20 a check.
      d = decide(input({ service: s, current: 1, now: NOW + 5 * i, observations: { 'queue.backlog': 20 * i, 'queue.ack_pending': 1 }, ...(state ? { state } : {}) }));
      state = d.state;
    }
    assert.equal(num(d!, 'arrival_burst'), 0);
    assert.equal(num(d!, 'arrival_rate'), 6);
  });

  it('backlogArrivals: the oldest waiting message from the history, FIFO', () => {
    const served = () => 0;
    // 10, 10 and 5 arrived in three intervals, nothing served: the 25 waiting reach back into the
    // first interval (its middle is 25 s ago). 10 already waiting at the first call, 30 more
    // since: the oldest came before the history, at least its 30 s ago.
    const pts = (b: number) => [0, 10, 20, 30].map((at, i) => ({ at, lag: i === 3 ? b : 10 * i, count: 0 }));
    assert.equal(backlogArrivals(pts(25), served)?.oldestAge, 25);
    assert.equal(backlogArrivals([0, 10, 20, 30].map((at, i) => ({ at, lag: 10 + 10 * i, count: 0 })), served)?.oldestAge, 30);
    assert.equal(backlogArrivals([{ at: 0, lag: 0, count: 0 }, { at: 5, lag: 0, count: 0 }], served)?.oldestAge, 0);
    // One interval: no other rate to compare with, so everything counts as arrivals.
    assert.deepEqual(backlogArrivals([{ at: 0, lag: 0, count: 0 }, { at: 5, lag: 100, count: 0 }], served), { rate: 20, burst: 0, rising: false, oldestAge: 2.5 });
    assert.equal(backlogArrivals([{ at: 0, lag: 0, count: 0 }], served), null);
  });
});

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
/** drainNeed for SLA 30 s (budget 24 s), startup 10 s, 1 s per message. */
const drainNeedOf = (o: Record<string, number>) =>
  // forecast: the arrivals still to come, rate_in less the waiting messages its 30 s window counted.
  drainNeed({ T: 1, backlog: o['queue.backlog']!, oldestAge: o['queue.oldest_age_s']!, rate: o['queue.rate_in']!, ready: o['queue.ack_pending'] ?? 0, startup: 10, budget: 24, forecast: Math.max(0, o['queue.rate_in']! - o['queue.backlog']! / 30) });

describe('predictive: backlog drain', () => {
  it('picks up every waiting message before it is breach_threshold × SLA old, counting the startup', () => {
    const s = svc({ max_pickup_seconds: 30, breach_threshold: 0.8, service_time_seconds: 0.5 });
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 2400, 'queue.oldest_age_s': 5, 'queue.rate_in': 10 } }));
    // budget 24 s, startup 10 s. The 2350 oldest (all but the last 5 s of arrivals at 10/s) are
    // 5 s old: 24 - 10 - 5 = 9 s left once new replicas serve: 2350 / 9 = 261.1/s, more than the
    // newest (2400 / 14). Arrivals still to come: rate_in's 10/s less the 2400 waiting over its
    // 30 s window, 0 (they are the drain's already). 0.5 × 261.1 = 130.56.
    assert.equal(num(d, 'drain_seconds'), 9);
    assert.equal(num(d, 'backlog_drain'), 130.5556);
    assert.equal(num(d, 'drain_arrivals'), 0);
    assert.equal(num(d, 'raw_need'), 131);
    assert.deepEqual([d.target_replicas, d.limited_by], [100, 'max_replicas']);
    assert.match(d.reason, /^backlog drain: queue\.backlog 2400 before 9s \(queue\.oldest_age_s 5 of 24s = 0\.8 × sla 30s\)/);
  });

  it('what the replicas serving now pick up before new ones are ready is not asked of new ones', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1 });
    const obs = { 'queue.backlog': 300, 'queue.oldest_age_s': 2, 'queue.rate_in': 150, 'queue.ack_pending': 10, 'queue.rate_out': 10 };
    // 10 busy replicas pick up 10 × 10 s / 1 s = 100 messages before a new replica serves; the
    // other 200 (the oldest 2 s old, 150/s: all spread) need (300 - 100) / (24 - 10 - 0) = 14.3/s;
    // arrivals still to come: 150/s less the 300 waiting over rate_in's 30 s window, 140/s.
    assert.deepEqual(drainNeedOf(obs), { rate: 200 / 14, seconds: 14, serving: false });
    const d = decide(input({ service: s, current: 10, observations: obs }));
    assert.equal(num(d, 'backlog_drain'), r4(140 + 200 / 14));
  });

  it('a spike that stopped leaves messages all of the oldest age', () => {
    // 300 waiting, the oldest 8 s old, arrivals lately 10/s: at most the newest 80 came in over
    // those 8 s, so 220 are 8 s old and need (24 - 10 - 8) = 6 s: 36.7/s. A spread-out backlog
    // of the same size would be asked 300 / 14 = 21.4/s.
    const spike = drainNeedOf({ 'queue.backlog': 300, 'queue.oldest_age_s': 8, 'queue.rate_in': 10, 'queue.ack_pending': 0 });
    assert.deepEqual(spike, { rate: 220 / 6, seconds: 6, serving: false });
  });

  it('keeps the replicas serving a backlog until they have picked it up', () => {
    // 53 replicas, just ready, serve a spike's 192 messages, the oldest 20 s old (spike over):
    // 4 s left (every message taken as old as the oldest: the youngest one's age is unknown),
    // 192 / 4 = 48/s from the replicas serving now, no new one needed. Counted as if new replicas
    // had to come (after their startup), the serving ones picked it all up first, and the need
    // was the arrivals alone: 1 replica.
    const obs = { 'queue.backlog': 192, 'queue.oldest_age_s': 20, 'queue.rate_in': 0.1, 'queue.ack_pending': 53 };
    assert.deepEqual(drainNeedOf(obs), { rate: 48, seconds: 4, serving: true });
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1, startup_seconds: 10 });
    const d = decide(input({ service: s, current: 53, observations: { ...obs, 'queue.rate_out': 5 } }));
    assert.equal(num(d, 'raw_need'), 48); // 1 × 48: rate_in's 0.1/s are among the 192 waiting
    // More than they can do in time: new replicas (after the startup), and the serving ones kept.
    const more = drainNeedOf({ ...obs, 'queue.backlog': 400, 'queue.oldest_age_s': 5, 'queue.ack_pending': 20 });
    assert.equal(more.serving, false);
    assert.ok(more.rate >= 20 - 0.1);
  });

  it('past the budget it drains within a tenth of it', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 0.5 });
    const d = decide(input({ service: s, current: 3, observations: { 'queue.backlog': 120, 'queue.oldest_age_s': 40, 'queue.rate_in': 0 } }));
    assert.equal(num(d, 'drain_seconds'), 2.4);
    assert.equal(d.target_replicas, 25); // 0.5 × 120 / 2.4
  });

  it('scales from zero when work waits and nothing is known yet', () => {
    const s = svc({ max_pickup_seconds: 30 });
    const d = decide(input({ service: s, current: 0, observations: { 'queue.backlog': 5, 'queue.ack_pending': 0, 'queue.rate_out': 0 } }));
    assert.deepEqual([d.action, d.target_replicas], ['scale_up', 1]);
    assert.match(d.reason, /^work waiting \(queue\.backlog 5\), .* unknown → 1$/);
  });

  it('stays at zero when idle', () => {
    const s = svc({ max_pickup_seconds: 30 });
    const d = decide(input({ service: s, current: 0, observations: { 'queue.backlog': 0, 'queue.ack_pending': 0, 'queue.rate_in': 0, 'queue.rate_out': 0 } }));
    assert.deepEqual([d.action, d.target_replicas], ['hold', 0]);
  });
});

describe('predictive: conservative scale-down', () => {
  const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1, scale_down_window_seconds: 60, target_utilization: 0.8 });
  const at = (rate: number) => ({ 'queue.backlog': 0, 'queue.rate_in': rate });

  it('checks that come a little late still make a continuous history (window = one check interval)', () => {
    // startup 2 s <= check 5 s: the default window is 5 s; checks 5.01 s apart must not restart it.
    const late = svc({ max_pickup_seconds: 30, service_time_seconds: 1, startup_seconds: 2 }, { check_interval: 5 });
    let state: EngineState | undefined;
    let d: Decision | undefined;
    for (let i = 0; i < 3; i++) {
      d = decide(input({ service: late, current: 6, now: NOW + i * 5.01, observations: at(1), ...(state ? { state } : {}) }));
      state = d.state;
    }
    assert.deepEqual([d?.action, d?.target_replicas], ['scale_down', 2]);
  });

  it('waits for a full window of history, then goes to the highest need of the window', () => {
    let d = decide(input({ service: s, current: 13, now: NOW, observations: at(10) })); // need 12.5 → 13
    assert.equal(d.target_replicas, 13);
    const seen: number[] = [];
    for (let t = 10; t <= 120; t += 10) {
      d = decide(input({ service: s, current: d.target_replicas, now: NOW + t, state: d.state, observations: at(t <= 30 ? 8 : 2) }));
      seen.push(d.target_replicas);
    }
    // Needs: t10..30 8/s → 10, from t40 2/s → 3. The 60 s window is covered from t=60: the
    // highest need of the last 60 s is 10 until t=30's need is 60 s old (t=90), then 3.
    assert.deepEqual(seen, [13, 13, 13, 13, 13, 10, 10, 10, 3, 3, 3, 3]);
    assert.equal(num(d, 'raw_need'), 3);
  });

  it('the default window: max(startup_seconds, check_interval)', () => {
    assert.equal(defaultScaleDownWindow(10, 10), 10);
    assert.equal(defaultScaleDownWindow(30, 5), 30);
    assert.equal(defaultScaleDownWindow(0, 5), 5);
    const d = decide(input({ service: svc({ max_pickup_seconds: 30, service_time_seconds: 1, startup_seconds: 20 }), current: 5, observations: at(1) }));
    assert.equal(num(d, 'scale_down_window_s'), 20);
  });

  it('noise around a boundary does not flap', () => {
    let d = decide(input({ service: s, current: 6, now: NOW, observations: at(4.1) })); // 4.1 / 0.8 = 5.1 → 6
    let changes = 0;
    for (let t = 10; t <= 600; t += 10) {
      const rate = t % 20 === 0 ? 4.1 : 3.9; // raw needs 6 and 5 in turn
      const before = d.target_replicas;
      d = decide(input({ service: s, current: before, now: NOW + t, state: d.state, observations: at(rate) }));
      if (d.target_replicas !== before) changes++;
    }
    assert.ok(changes <= 1, `${changes} changes`);
    assert.ok(d.target_replicas === 5 || d.target_replicas === 6);
  });

  it('never scales down while a metric is missing', () => {
    const d = decide(input({ service: s, current: 8, observations: { 'queue.rate_in': 0 }, state: { predictive: { needs: [{ at: NOW - 30, replicas: 0 }], needs_since: NOW - 100 } } }));
    assert.deepEqual([d.action, d.limited_by], ['hold', 'missing_metrics']);
    assert.match(d.reason, /queue\.backlog missing/);
  });
});

describe('predictive: host capacity', () => {
  it('caps growth at the CPU headroom: current + floor((max - host) / per-replica)', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1 }, { capacity: { max_cpu_pct: 85 } });
    // 4 cores; each replica uses 20% of one core = 5% of the host; 70% used: 3 more fit.
    const d = decide(input({ service: s, current: 4, observations: { 'queue.backlog': 0, 'queue.rate_in': 20, 'host.cpu_pct': 70, 'host.cpus': 4, 'cpu.avg_pct': 20 } }));
    assert.deepEqual([d.target_replicas, d.limited_by], [7, 'capacity']);
    assert.match(d.reason, /host capacity caps at 7 \(host\.cpu_pct 70 of 85, 5%\/replica\)/);
  });

  it('memory too, with a configured footprint; an overloaded host stops growth without shedding', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1 }, { capacity: { max_mem_pct: 80, replica_mem_pct: 10 } });
    const d = decide(input({ service: s, current: 4, observations: { 'queue.backlog': 0, 'queue.rate_in': 20, 'host.mem_pct': 95 } }));
    assert.deepEqual([d.target_replicas, d.limited_by], [4, 'capacity']);
  });

  it('no cap without host observations', () => {
    const s = svc({ max_pickup_seconds: 30, service_time_seconds: 1, target_utilization: 0.8 });
    const d = decide(input({ service: s, current: 4, observations: { 'queue.backlog': 0, 'queue.rate_in': 20 } }));
    assert.deepEqual([d.target_replicas, d.limited_by], [25, null]);
  });
});
