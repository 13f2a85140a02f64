// Pure parts of the NATS queue source: rates, metrics, oldest-message start, URLs (no NATS needed).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { natsServers, redactNatsUrl } from '../../src/queues/nats/connections';
import { ackedCounters, consumerObservations, oldestUnackedStart, type ConsumerProgress } from '../../src/queues/nats/metrics';
import { advanceRates, MAX_SAMPLES, parseRateState, rateStateToJson, type NatsCounterSample, type NatsRateState } from '../../src/queues/nats/rates';

const s = (at_s: number, last_seq: number, acked_stream_seq: number, acked_consumer_seq = acked_stream_seq): NatsCounterSample => ({
  at_ms: at_s * 1000,
  last_seq,
  acked_stream_seq,
  acked_consumer_seq,
});

/** Feeds samples one by one through the state, as successive reads do. */
function run(samples: NatsCounterSample[], window_seconds: number, identity = 'A') {
  let state: NatsRateState | undefined;
  let last: ReturnType<typeof advanceRates> | undefined;
  for (const sample of samples) {
    last = advanceRates(state, identity, sample, window_seconds);
    state = parseRateState(rateStateToJson(last.state));
  }
  return last!;
}

describe('rates from kept samples', () => {
  test('first sample: no rates', () => {
    assert.equal(run([s(0, 10, 5)], 30).rates, undefined);
  });

  test('two samples: change over elapsed seconds', () => {
    assert.deepEqual(run([s(0, 10, 5), s(10, 40, 15)], 30).rates, { rate_in: 3, rate_out: 1, span_s: 10 });
  });

  test('the base is the newest sample at or before the window start', () => {
    // window 30 at t=50: start t=20, newest at or before is t=20.
    const r = run([s(0, 0, 0), s(10, 100, 0), s(20, 200, 0), s(30, 300, 0), s(50, 500, 0)], 30);
    assert.deepEqual(r.rates, { rate_in: 10, rate_out: 0, span_s: 30 });
    assert.deepEqual(r.state.samples.map((x) => x.at_ms / 1000), [20, 30, 50]);
  });

  test('counters going backwards (stream recreated) reset: no rate, never negative', () => {
    const r = run([s(0, 1000, 900), s(10, 5, 0)], 30);
    assert.equal(r.rates, undefined);
    assert.deepEqual(r.state.samples, [s(10, 5, 0)]);
  });

  test('a new identity (stream or consumer recreated) resets even when counters grew', () => {
    const first = advanceRates(undefined, 'A', s(0, 10, 10), 30);
    const second = advanceRates(first.state, 'B', s(10, 5000, 10), 30);
    assert.equal(second.rates, undefined);
  });

  test('a purge jumps the ack floor stream sequence; only consumer-sequence progress counts', () => {
    // 3 delivered and unacknowledged, then 100 purged: floor stream 0 -> 100, consumer 0 -> 3.
    const r = run([s(0, 100, 0, 0), s(10, 100, 100, 3)], 30);
    assert.deepEqual(r.rates, { rate_in: 0, rate_out: 0.3, span_s: 10 });
  });

  test('clock going backwards resets; the same instant again gives no rate', () => {
    assert.equal(run([s(10, 0, 0), s(5, 10, 10)], 30).rates, undefined);
    assert.equal(run([s(10, 0, 0), s(10, 10, 10)], 30).rates, undefined);
  });

  test('samples too old for the window are dropped', () => {
    assert.equal(run([s(0, 0, 0), s(1000, 10, 10)], 30).rates, undefined);
  });

  test('foreign or corrupt state is ignored', () => {
    assert.equal(parseRateState(null), undefined);
    assert.equal(parseRateState({ identity: 'A', samples: [{ at_ms: 'x' }] }), undefined);
    assert.equal(parseRateState({ identity: 'A', samples: [{ at_ms: 1, last_seq: -1, acked_stream_seq: 0, acked_consumer_seq: 0 }] }), undefined);
  });

  test('property: rates are finite and >= 0, state stays bounded and covers the window', () => {
    const step = fc.record({
      dt_ms: fc.integer({ min: -2000, max: 20_000 }),
      d_last: fc.integer({ min: -50, max: 1000 }),
      d_acked: fc.integer({ min: -50, max: 1000 }),
      d_consumer: fc.integer({ min: -50, max: 1000 }),
      identity: fc.constantFrom('A', 'A', 'A', 'B'),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), fc.integer({ min: 0, max: 120 }), (steps, window_seconds) => {
        let state: NatsRateState | undefined;
        let cur = s(1_000_000, 0, 0, 0);
        for (const st of steps) {
          cur = {
            at_ms: cur.at_ms + st.dt_ms,
            last_seq: Math.max(0, cur.last_seq + st.d_last),
            acked_stream_seq: Math.max(0, cur.acked_stream_seq + st.d_acked),
            acked_consumer_seq: Math.max(0, cur.acked_consumer_seq + st.d_consumer),
          };
          const r = advanceRates(state, st.identity, cur, window_seconds);
          if (r.rates) {
            for (const v of [r.rates.rate_in, r.rates.rate_out, r.rates.span_s]) assert.ok(Number.isFinite(v) && v >= 0, `${JSON.stringify(r.rates)}`);
            assert.ok(r.rates.span_s > 0);
          }
          assert.ok(r.state.samples.length <= MAX_SAMPLES);
          assert.deepEqual(r.state.samples.at(-1), cur);
          state = r.state;
        }
      }),
    );
  });
});

describe('consumer metrics and where the oldest unacknowledged message starts', () => {
  const ci = (over: Partial<Omit<ConsumerProgress, 'config'>> & { config?: Partial<ConsumerProgress['config']> } = {}): ConsumerProgress => ({
    created: '2026-01-01T00:00:00Z',
    num_pending: 0,
    num_ack_pending: 0,
    delivered: { stream_seq: 0 },
    ack_floor: { consumer_seq: 0, stream_seq: 0 },
    ...over,
    config: { deliver_policy: 'all', ...over.config },
  });

  test('acknowledged: the ack floor plus the deliveries above it that are no longer pending', () => {
    // 10 delivered, the first still in service (the floor at 0) and 2 more pending: 7 acknowledged.
    const held = { delivered: { stream_seq: 10, consumer_seq: 10 }, ack_floor: { stream_seq: 0, consumer_seq: 0 }, num_ack_pending: 3 };
    assert.deepEqual(ackedCounters(held), { acked_stream_seq: 7, acked_consumer_seq: 7 });
    // It is acknowledged: the floor moves to 8 (9 and 10 pending), and the count only moves by 1.
    assert.deepEqual(ackedCounters({ ...held, ack_floor: { stream_seq: 8, consumer_seq: 8 }, num_ack_pending: 2 }), { acked_stream_seq: 8, acked_consumer_seq: 8 });
    // A redelivery of a pending message moves the consumer sequence only.
    const redelivered = ackedCounters({ ...held, delivered: { stream_seq: 10, consumer_seq: 11 } });
    assert.deepEqual(redelivered, { acked_stream_seq: 7, acked_consumer_seq: 8 });
    // After a purge the floor's stream sequence may pass the delivered one: the floor alone counts.
    assert.deepEqual(ackedCounters({ delivered: { stream_seq: 3, consumer_seq: 3 }, ack_floor: { stream_seq: 100, consumer_seq: 3 }, num_ack_pending: 0 }), { acked_stream_seq: 100, acked_consumer_seq: 3 });
  });

  test('lag is backlog plus ack pending', () => {
    assert.deepEqual(consumerObservations({ num_pending: 7, num_ack_pending: 3, num_redelivered: 1, num_waiting: 2 }), {
      'queue.backlog': 7,
      'queue.ack_pending': 3,
      'queue.lag': 10,
      'queue.redelivered': 1,
      'queue.waiting': 2,
    });
  });

  test('nothing pending: none', () => {
    assert.deepEqual(oldestUnackedStart(ci()), { kind: 'none' });
  });

  test('all delivered acknowledged: after the last delivered', () => {
    assert.deepEqual(oldestUnackedStart(ci({ num_pending: 4, delivered: { stream_seq: 9 }, ack_floor: { consumer_seq: 3, stream_seq: 9 } })), { kind: 'seq', seq: 10 });
  });

  test('some awaiting ack: after the ack floor', () => {
    assert.deepEqual(oldestUnackedStart(ci({ num_ack_pending: 2, delivered: { stream_seq: 12 }, ack_floor: { consumer_seq: 3, stream_seq: 8 } })), { kind: 'seq', seq: 9 });
  });

  test('nothing acknowledged yet: where the consumer started', () => {
    const pending = { num_ack_pending: 2, delivered: { stream_seq: 7 } };
    assert.deepEqual(oldestUnackedStart(ci({ ...pending, config: { deliver_policy: 'by_start_sequence', opt_start_seq: 6 } })), { kind: 'seq', seq: 6 });
    assert.deepEqual(oldestUnackedStart(ci({ ...pending, config: { deliver_policy: 'new' } })), { kind: 'time', time_ms: Date.parse('2026-01-01T00:00:00Z') });
    assert.deepEqual(oldestUnackedStart(ci({ ...pending, config: { deliver_policy: 'by_start_time', opt_start_time: '2026-02-01T00:00:00Z' } })), {
      kind: 'time',
      time_ms: Date.parse('2026-02-01T00:00:00Z'),
    });
    assert.deepEqual(oldestUnackedStart(ci({ ...pending })), { kind: 'seq', seq: 1 });
  });
});

describe('queue.url', () => {
  test('several servers separated by commas', () => {
    assert.deepEqual(natsServers('nats://a:4222, nats://b:4222,'), ['nats://a:4222', 'nats://b:4222']);
  });
  test('passwords and tokens in URLs are masked in messages', () => {
    assert.equal(redactNatsUrl('nats://bob:pw@h:4222,nats://tok@k:4222,nats://h2:4222'), 'nats://bob:***@h:4222,nats://***@k:4222,nats://h2:4222');
  });
});
