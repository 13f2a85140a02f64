// Properties of decide() over generated configs, observations and states (fast-check):
// bounds, no NaN, JSON-safe, deterministic, monotone in queue.backlog (target average, predictive),
// and a state that stays bounded over 10,000 calls.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ServiceSchema, type ServiceConfig, type ServiceInput } from '../../src/config/service';
import { decide } from '../../src/decide/index';
import { scheduledBounds } from '../../src/decide/schedule';
import { MAX_NEEDS, MAX_SAMPLES } from '../../src/decide/strategies/predictive/index';
import { MAX_RECOMMENDATIONS, MAX_SCALE_EVENTS } from '../../src/decide/history';
import { EngineStateSchema, type DecisionInput, type EngineState } from '../../src/decide/input';

const T0 = 1_700_000_000;
const METRICS = ['queue.backlog', 'queue.ack_pending', 'queue.rate_in', 'queue.rate_out', 'queue.oldest_age_s', 'cpu.avg_pct', 'mem.avg_pct', 'host.cpu_pct', 'host.mem_pct', 'host.cpus'] as const;

const nonNeg = (max: number) => fc.double({ min: 0, max, noNaN: true, noDefaultInfinity: true });
const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const policy = fc.record({ type: fc.constantFrom('pods' as const, 'percent' as const), value: fc.integer({ min: 1, max: 300 }), period_seconds: fc.integer({ min: 1, max: 600 }) });
const scalingRules = fc.record(
  {
    stabilization_window_seconds: fc.integer({ min: 0, max: 600 }),
    select_policy: fc.constantFrom('max' as const, 'min' as const, 'disabled' as const),
    policies: fc.array(policy, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);
const condition = fc.record({ metric: fc.constantFrom(...METRICS), op: fc.constantFrom('>' as const, '>=' as const, '<' as const, '<=' as const, '==' as const, '!=' as const), value: nonNeg(2000) });

const common = fc.record({
  min: fc.integer({ min: 0, max: 5 }),
  span: fc.integer({ min: 0, max: 30 }),
  cooldown: fc.record({ up: fc.integer({ min: 0, max: 120 }), down: fc.integer({ min: 0, max: 300 }) }),
  behavior: opt(fc.record({ scale_up: scalingRules, scale_down: scalingRules }, { requiredKeys: [] })),
  fallback: opt(fc.record({ failure_threshold: fc.integer({ min: 1, max: 4 }), behavior: fc.constantFrom('current_if_higher' as const, 'current_if_lower' as const) })),
  dry_run: fc.boolean(),
  check_interval: fc.integer({ min: 1, max: 60 }),
});

const rulesPart = fc.record({
  strategy: fc.constant('rules' as const),
  rules: fc.record({ scale_up_when: fc.array(condition, { maxLength: 3 }), scale_down_when: fc.array(condition, { maxLength: 3 }), step: fc.record({ up: fc.integer({ min: 1, max: 5 }), down: fc.integer({ min: 1, max: 5 }) }) }),
});
const targetMetric = fc.record({ metric: fc.constantFrom(...METRICS), type: fc.constantFrom('average' as const, 'value' as const, 'utilization' as const), value: fc.double({ min: 0.01, max: 1000, noNaN: true }) });
const tolerance = fc.oneof(nonNeg(0.5), fc.record({ up: nonNeg(0.5), down: nonNeg(0.5) }));
const targetPart = fc.record({ strategy: fc.constant('target' as const), target: fc.record({ metrics: fc.array(targetMetric, { minLength: 1, maxLength: 3 }), tolerance }) });
const slaArb = fc.record(
  {
    max_pickup_seconds: fc.double({ min: 1, max: 600, noNaN: true }),
    breach_threshold: fc.double({ min: 0.1, max: 1, noNaN: true }),
    service_time_seconds: fc.double({ min: 0.01, max: 10, noNaN: true }),
    target_utilization: fc.double({ min: 0.1, max: 1, noNaN: true }),
    startup_seconds: fc.integer({ min: 0, max: 60 }),
    trend_window_seconds: fc.integer({ min: 10, max: 600 }),
    scale_down_window_seconds: fc.integer({ min: 0, max: 600 }),
  },
  { requiredKeys: ['max_pickup_seconds'] },
);
const capacityArb = fc.record({ max_cpu_pct: fc.integer({ min: 10, max: 100 }), max_mem_pct: fc.integer({ min: 10, max: 100 }), replica_cpu_pct: fc.double({ min: 0.1, max: 50, noNaN: true }) }, { requiredKeys: [] });
const predictivePart = fc.record({ strategy: fc.constant('predictive' as const), sla: slaArb, capacity: opt(capacityArb) });

type Common = typeof common extends fc.Arbitrary<infer C> ? C : never;

function buildService(c: Common, part: Record<string, unknown>): ServiceConfig {
  const min = c.min;
  const max = c.min + c.span;
  const raw: Record<string, unknown> = { name: 'w', min_replicas: min, max_replicas: max, cooldown: c.cooldown, dry_run: c.dry_run, check_interval: c.check_interval, ...part };
  if (c.behavior) raw.behavior = c.behavior;
  if (c.fallback) raw.fallback = { ...c.fallback, replicas: min + Math.floor(c.span / 2) };
  for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
  return ServiceSchema.parse(raw as ServiceInput);
}

const observationsArb = fc.record(Object.fromEntries(METRICS.map((m) => [m, nonNeg(m === 'host.cpus' ? 64 : m.endsWith('pct') ? 120 : 5000)])) as Record<(typeof METRICS)[number], fc.Arbitrary<number>>, { requiredKeys: [] });

const timed = (max: number) => fc.record({ at: fc.integer({ min: T0 - 1200, max: T0 }), replicas: fc.integer({ min: 0, max }) });
const stateArb = opt(
  fc.record(
    {
      recommendations: fc.array(timed(40), { maxLength: 12 }),
      scale_events: fc.array(fc.record({ at: fc.integer({ min: T0 - 1200, max: T0 }), delta: fc.integer({ min: -10, max: 10 }) }), { maxLength: 12 }),
      last_scale_up_at: fc.option(fc.integer({ min: T0 - 600, max: T0 }), { nil: null }),
      last_scale_down_at: fc.option(fc.integer({ min: T0 - 600, max: T0 }), { nil: null }),
      predictive: fc.record(
        {
          samples: fc.array(fc.record({ at: fc.integer({ min: T0 - 600, max: T0 - 1 }), rate: nonNeg(100) }), { maxLength: 10 }),
          last_lag: fc.option(fc.record({ at: fc.integer({ min: T0 - 600, max: T0 - 1 }), lag: nonNeg(5000) }), { nil: null }),
          service_time_s: fc.option(fc.double({ min: 0.01, max: 10, noNaN: true }), { nil: null }),
          needs: fc.array(timed(40), { maxLength: 8 }),
          needs_since: fc.option(fc.integer({ min: T0 - 1200, max: T0 }), { nil: null }),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  ),
);

const anyPart = fc.oneof(rulesPart, targetPart, predictivePart);
const inputArb = fc
  .record({ c: common, part: anyPart, obs: observationsArb, currentOver: fc.integer({ min: 0, max: 40 }), state: stateArb, failures: opt(fc.integer({ min: 0, max: 6 })) })
  .map(({ c, part, obs, currentOver, state, failures }) => {
    const service = buildService(c, part);
    const i: DecisionInput = { now: T0, service, current_replicas: currentOver, observations: { ...obs } };
    if (state) i.state = EngineStateSchema.parse(state);
    if (failures !== undefined) i.metric_failures = failures;
    return i;
  });

function assertFiniteNumbers(v: unknown, path = 'decision'): void {
  if (typeof v === 'number') assert.ok(Number.isFinite(v), `${path} is ${v}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertFiniteNumbers(x, `${path}[${i}]`));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertFiniteNumbers(x, `${path}.${k}`);
  else assert.ok(v === null || typeof v === 'string' || typeof v === 'boolean', `${path} is ${typeof v}`);
}

describe('decide() properties', () => {
  it('target within min..max, integer, consistent action, finite and JSON-safe', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const d = decide(i);
        assert.ok(Number.isInteger(d.target_replicas));
        assert.ok(d.target_replicas >= i.service.min_replicas && d.target_replicas <= i.service.max_replicas, `target ${d.target_replicas} outside ${i.service.min_replicas}..${i.service.max_replicas}`);
        assert.equal(d.action, d.target_replicas > d.current_replicas ? 'scale_up' : d.target_replicas < d.current_replicas ? 'scale_down' : 'hold');
        assertFiniteNumbers(d);
        assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
        assert.ok(d.reason.length > 0);
        EngineStateSchema.parse(d.state); // the state parses back
      }),
      { numRuns: 1500 },
    );
  });

  it('deterministic, and the input is not mutated', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        const copy = structuredClone(i);
        const a = decide(i);
        assert.deepEqual(i, copy);
        assert.deepEqual(decide(copy), a);
      }),
      { numRuns: 500 },
    );
  });

  it('never scales down on missing metrics or a failed collection (without fallback)', () => {
    fc.assert(
      fc.property(inputArb, (i) => {
        fc.pre(i.service.fallback === undefined && i.current_replicas <= i.service.max_replicas && i.current_replicas >= i.service.min_replicas);
        const noData = decide({ ...i, observations: {} });
        assert.ok(noData.target_replicas >= i.current_replicas);
        const failed = decide({ ...i, metric_failures: 1 });
        assert.ok(failed.target_replicas >= i.current_replicas);
      }),
      { numRuns: 500 },
    );
  });

  const monotone = (part: fc.Arbitrary<Record<string, unknown>>, name: string) =>
    it(`monotone non-decreasing in queue.backlog (${name})`, () => {
      fc.assert(
        fc.property(common, part, observationsArb, fc.integer({ min: 0, max: 40 }), stateArb, nonNeg(20000), nonNeg(20000), (c, p, obs, current, state, b1, b2) => {
          const service = buildService(c, p);
          const base: DecisionInput = { now: T0, service, current_replicas: current, observations: obs };
          if (state) base.state = EngineStateSchema.parse(state);
          const [lo, hi] = b1 <= b2 ? [b1, b2] : [b2, b1];
          const tLo = decide({ ...base, observations: { ...obs, 'queue.backlog': lo } }).target_replicas;
          const tHi = decide({ ...base, observations: { ...obs, 'queue.backlog': hi } }).target_replicas;
          assert.ok(tLo <= tHi, `backlog ${lo} → ${tLo} but ${hi} → ${tHi}`);
        }),
        { numRuns: 1500 },
      );
    });

  const averageOnBacklog = fc.record({
    strategy: fc.constant('target' as const),
    target: fc.record({
      metrics: fc.tuple(fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.array(targetMetric, { maxLength: 2 })).map(([v, rest]) => [{ metric: 'queue.backlog', type: 'average' as const, value: v }, ...rest]),
      tolerance,
    }),
  });
  monotone(averageOnBacklog, 'target, average type');
  monotone(predictivePart, 'predictive');

  // Windows of whole hours in a few zones (two with DST), at any time of a year.
  const windowArb = fc.record({
    start: fc.integer({ min: 0, max: 23 }).map((h) => `0 ${h} * * *`),
    end: fc.integer({ min: 0, max: 23 }).map((h) => `30 ${h} * * 1-5`),
    timezone: fc.constantFrom('UTC', 'Europe/Copenhagen', 'America/New_York', 'Asia/Kolkata'),
    floor: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
    ceiling: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
  });
  it('with schedule windows: target within the bounds in force, which stay within the service\'s own', () => {
    fc.assert(
      fc.property(inputArb, fc.array(windowArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 366 * 86400 }), (i, windows, offset) => {
        const { min_replicas: min, max_replicas: max } = i.service;
        const schedule = windows.map((w) => {
          // As the config requires: a floor up to max, a ceiling down to min and not below the
          // window's floor, and at least one of them.
          const floor = w.floor === null ? (w.ceiling === null ? min : null) : Math.min(w.floor, max);
          const ceiling = w.ceiling === null ? null : Math.max(w.ceiling, min, floor ?? 0);
          return { start: w.start, end: w.end, timezone: w.timezone, min_replicas: floor, max_replicas: ceiling };
        });
        const input: DecisionInput = { ...i, now: T0 + offset, service: ServiceSchema.parse({ ...i.service, schedule }) };
        const d = decide(input);
        const b = scheduledBounds(input.service, input.now);
        assert.ok(min <= b.min_replicas && b.min_replicas <= b.max_replicas && b.max_replicas <= max, JSON.stringify(b));
        assert.ok(d.target_replicas >= b.min_replicas && d.target_replicas <= b.max_replicas, `target ${d.target_replicas} outside ${b.min_replicas}..${b.max_replicas}`);
        if (d.limited_by === 'schedule') assert.ok(b.floor_from_schedule || b.ceiling_from_schedule);
        assert.deepEqual(decide(structuredClone(input)), d);
      }),
      { numRuns: 400 },
    );
  });
});

describe('state stays bounded over 10,000 calls', () => {
  // A fixed-seed generator so the run is repeatable; the engine itself has no randomness.
  function lcg(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 4294967296;
    };
  }
  const services: Record<string, ServiceConfig> = {
    rules: ServiceSchema.parse({ name: 'w', min_replicas: 0, max_replicas: 500, cooldown: { up: 0, down: 0 }, rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }], scale_down_when: [{ metric: 'queue.backlog', op: '<', value: 10 }] }, behavior: { scale_up: { stabilization_window_seconds: 3600, policies: [{ type: 'pods', value: 50, period_seconds: 1800 }] }, scale_down: { stabilization_window_seconds: 3600, policies: [{ type: 'percent', value: 10, period_seconds: 1800 }] } } }),
    target: ServiceSchema.parse({ name: 'w', min_replicas: 0, max_replicas: 500, cooldown: { up: 0, down: 0 }, strategy: 'target', target: { metrics: [{ metric: 'queue.backlog', type: 'average', value: 10 }] }, behavior: { scale_up: { stabilization_window_seconds: 3600, policies: [{ type: 'pods', value: 1, period_seconds: 1800 }] }, scale_down: { stabilization_window_seconds: 3600, policies: [{ type: 'pods', value: 1, period_seconds: 1800 }] } } }),
    predictive: ServiceSchema.parse({ name: 'w', min_replicas: 0, max_replicas: 500, cooldown: { up: 0, down: 0 }, strategy: 'predictive', sla: { max_pickup_seconds: 30, trend_window_seconds: 600, scale_down_window_seconds: 600 }, behavior: { scale_down: { stabilization_window_seconds: 3600, policies: [{ type: 'pods', value: 3, period_seconds: 1800 }] } } }),
  };
  for (const [name, service] of Object.entries(services)) {
    it(name, () => {
      const rand = lcg(42);
      let state: EngineState | undefined;
      let current = 5;
      let now = T0;
      let maxJson = 0;
      for (let i = 0; i < 10_000; i++) {
        now += rand() * 2; // far more often than any real check interval
        const observations = { 'queue.backlog': Math.floor(rand() * 5000), 'queue.ack_pending': Math.floor(rand() * 50), 'queue.rate_in': rand() * 100, 'queue.rate_out': rand() * 100, 'queue.oldest_age_s': rand() * 60 };
        const input: DecisionInput = { now, service, current_replicas: current, observations };
        if (state) input.state = state;
        const d = decide(input);
        state = d.state;
        current = d.target_replicas;
        assert.ok(state.recommendations.length <= MAX_RECOMMENDATIONS);
        assert.ok(state.scale_events.length <= MAX_SCALE_EVENTS);
        assert.ok((state.predictive?.samples.length ?? 0) <= MAX_SAMPLES + 1);
        assert.ok((state.predictive?.needs.length ?? 0) <= MAX_NEEDS);
        if (i % 100 === 0) maxJson = Math.max(maxJson, JSON.stringify(state).length);
      }
      assert.ok(maxJson < 32_000, `state JSON reached ${maxJson} bytes`);
    });
  }
});
