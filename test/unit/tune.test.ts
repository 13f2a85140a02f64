// `docktor tune`'s core (issue 29) on real simulations: the warm-up split of the simulator, the
// search (grid, refinement, budget), and the holdout rule: a candidate that is cheapest on the
// earlier part but breaches the SLA on the later, heavier part is never recommended.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServiceSchema, type ServiceConfig } from '../../src/config/service';
import { simulate } from '../../src/simulate/simulator';
import { spikyTrace } from '../../src/simulate/spiky';
import type { Trace } from '../../src/simulate/trace';
import { candidateConfig, coarseGrid } from '../../src/tune/candidates';
import { yamlDiff } from '../../src/tune/config-diff';
import { drainedTrace } from '../../src/tune/drained-trace';
import { inlineEvaluator, runJob } from '../../src/tune/evaluate';
import { EvaluationPool } from '../../src/tune/pool';
import { checkTraffic, tune, TUNE_DEFAULTS, TuneError } from '../../src/tune/tune';
import type { Traffic, TuneResult } from '../../src/tune/types';

function perSecondTrace(rate: (s: number) => number, span: number): Trace {
  const counts = Float64Array.from({ length: span }, (_, s) => rate(s));
  return { kind: 'per-second', times: Float64Array.from({ length: span }, (_, i) => i), counts, widths: new Float64Array(span).fill(1), span, epoch: null, total: counts.reduce((a, b) => a + b, 0) };
}

const predictive = (max = 40): ServiceConfig =>
  ServiceSchema.parse({ name: 'worker', max_replicas: max, strategy: 'predictive', sla: { max_pickup_seconds: 30 }, runtime: { kind: 'process', command: ['true'] } });

function run(traffic: Traffic, service: ServiceConfig, budgetS: number): Promise<TuneResult> {
  return tune(traffic, service, { ...TUNE_DEFAULTS, budgetS, clock: () => performance.now(), evaluate: inlineEvaluator(traffic.trace, traffic) });
}

describe('simulate figuresFrom (the warm-up before a judged part)', () => {
  it('splits a run exactly: worker-seconds, breach, messages and scale events add up', () => {
    const trace = spikyTrace({ seed: 7, span: 1800, meanRate: 3 }).trace;
    const o = { service: predictive(30), serviceTime: 1, startupDelay: 10 };
    const whole = simulate(trace, o).figures;
    const first = simulate(trace, { ...o, duration: 1000 }).figures;
    const rest = simulate(trace, { ...o, figuresFrom: 1000 }).figures;
    assert.ok(Math.abs(first.worker_seconds + rest.worker_seconds - whole.worker_seconds) < 1e-6);
    assert.ok(Math.abs(first.breach_seconds + rest.breach_seconds - whole.breach_seconds) < 1e-6);
    assert.equal(first.messages + rest.messages, whole.messages);
    assert.equal(first.scale_events + rest.scale_events, whole.scale_events);
    assert.equal(rest.duration_s, 800);
    assert.ok(rest.messages > 0 && rest.worker_seconds > 0);
  });
});

describe('tune: what it needs', () => {
  const service = predictive();
  it('refuses too little traffic, no arrivals and no service time, saying what is missing', () => {
    const short = perSecondTrace(() => 2, 600);
    assert.throws(() => checkTraffic({ trace: short, serviceTimeS: 1, startupDelayS: 10 }, service), (e: unknown) => e instanceof TuneError && /at least 20 minutes/.test(e.message) && e.exitCode === 1);
    const empty = perSecondTrace(() => 0, 3600);
    assert.throws(() => checkTraffic({ trace: empty, serviceTimeS: 1, startupDelayS: 10 }, service), /no arrivals/);
    const ok = perSecondTrace(() => 2, 3600);
    assert.throws(() => checkTraffic({ trace: ok, serviceTimeS: Number.NaN, startupDelayS: 10 }, service), /sla\.service_time_seconds.*--service-time/);
  });
});

describe('tune: the search', () => {
  it('refines the grid, keeps the SLA on the holdout and costs no more than the current policy on the part chosen on', async () => {
    const trace = spikyTrace({ seed: 3, span: 2400, meanRate: 3 }).trace;
    const traffic = { trace, serviceTimeS: 1, startupDelayS: 10 };
    const r = await run(traffic, predictive(), 4);
    assert.ok(r.search.refined > 0, `refined ${r.search.refined}`);
    assert.equal(r.candidates[0]!.family, 'current');
    assert.ok(r.recommended, r.reason ?? '');
    assert.ok(r.recommended.figures.breach_seconds <= r.allowance.holdout_s);
    assert.ok(r.recommended.train.breach_seconds <= r.allowance.train_s);
    if (r.current.train.breach_seconds <= r.allowance.train_s) assert.ok(r.recommended.train.worker_seconds <= r.current.train.worker_seconds);
    assert.deepEqual(ServiceSchema.parse(r.recommended.config), r.recommended.config);
    assert.equal(r.holdout.from_s, Math.round(2400 * 0.7));
    assert.ok(r.recommended.figures.clairvoyant_ratio !== null && r.recommended.figures.work_ratio !== null);
  });

  it('stops at its budget', async () => {
    const trace = spikyTrace({ seed: 4, span: 2400, meanRate: 3 }).trace;
    const began = performance.now();
    const r = await run({ trace, serviceTimeS: 1, startupDelayS: 10 }, predictive(), 0.3);
    assert.equal(r.search.stopped_by, 'budget');
    // One batch of simulations may run past it.
    assert.ok((performance.now() - began) / 1000 < 3, `took ${(performance.now() - began) / 1000} s`);
  });

  it('gives the same result in worker threads', async () => {
    const trace = spikyTrace({ seed: 5, span: 1500, meanRate: 2 }).trace;
    const traffic = { trace, serviceTimeS: 1, startupDelayS: 10 };
    const pool = new EvaluationPool({ trace, model: traffic }, 2);
    try {
      const jobs = [{ config: predictive(), part: { from: 300, to: 1000, drain: 30 } }, { config: predictive(20), part: { from: 1000, to: 1500, drain: 30 } }];
      assert.deepEqual(await pool.evaluate(jobs), await inlineEvaluator(trace, traffic)(jobs));
    } finally {
      await pool.close();
    }
  });
});

describe('tune: the holdout rule', () => {
  it('never recommends a candidate that breaches on the held-out, heavier part', async () => {
    // 3 messages/s for the first 70%, then 5/s; a replica serves after 60 s, longer than the SLA,
    // so a policy without headroom breaches at the step however fast it reacts.
    const span = 2400;
    const trace = perSecondTrace((s) => (s < span * 0.7 ? 3 : 5), span);
    const r = await run({ trace, serviceTimeS: 1, startupDelayS: 60 }, predictive(), 4);
    const finalists = r.candidates.filter((c) => c.qualifies && c.holdout !== null && c.family !== 'current');
    assert.ok(finalists.length > 0);
    const cheapest = finalists.reduce((a, b) => (b.train.worker_seconds < a.train.worker_seconds ? b : a));
    assert.ok(cheapest.holdout!.breach_seconds > r.allowance.holdout_s, `the cheapest on train breaches on the holdout (${cheapest.holdout!.breach_seconds} s)`);
    assert.ok(cheapest.train.worker_seconds < r.current.train.worker_seconds);
    if (r.recommended) {
      assert.notDeepEqual(r.recommended.config, cheapest.config);
      assert.ok(r.recommended.figures.breach_seconds <= r.allowance.holdout_s);
    } else assert.match(r.reason ?? '', /held-out/);
  });
});

describe('tune: each part ends with a drain', () => {
  // 1 message/s, then a burst of 40/s in the last minute: the end of the traffic is its busiest part.
  const span = 1500;
  const trace = perSecondTrace((s) => (s < span - 60 ? 1 : 40), span);

  it('cuts the arrivals at the part\'s end and adds the seconds without arrivals', () => {
    const cut = drainedTrace(trace, 1000.5, 30);
    assert.equal(cut.span, 1030.5);
    assert.equal(cut.total, 1000.5);
    assert.deepEqual([cut.times.at(-2), cut.widths.at(-2), cut.counts.at(-2)], [1000, 0.5, 0.5]);
    assert.deepEqual([cut.times.at(-1), cut.widths.at(-1), cut.counts.at(-1)], [1000.5, 30, 0]);
    assert.equal(drainedTrace(trace, span, 0), trace);
    assert.equal(drainedTrace(trace, span, 30).total, trace.total);
  });

  it('charges a policy that falls behind at the end for the breach after it', () => {
    const slow = predictive(4); // 4 replicas for a burst of 40 messages/s: far behind at the end
    const model = { serviceTimeS: 1, startupDelayS: 10 };
    const cut = runJob(trace, model, { config: slow, part: { from: 1000, to: span, drain: 0 } });
    const drained = runJob(trace, model, { config: slow, part: { from: 1000, to: span, drain: 30 } });
    assert.equal(drained.messages, cut.messages);
    assert.ok(drained.breach_seconds > cut.breach_seconds + 20, `breach ${drained.breach_seconds} s with the drain, ${cut.breach_seconds} s without`);
  });

  it('makes the clairvoyant reference pick up the burst at the end, not leave it past the end', async () => {
    const r = await run({ trace, serviceTimeS: 1, startupDelayS: 10 }, predictive(), 2);
    const cv = r.clairvoyant.holdout;
    assert.equal(cv.breach_seconds, 0);
    // It served every message of the held-out part (1 s each): at least that many worker-seconds.
    assert.ok(cv.worker_seconds >= cv.messages, `the reference spent ${cv.worker_seconds} worker-s on ${cv.messages} messages of 1 s`);
  });
});

describe('tune: the config diff', () => {
  it('shows the changed lines of the service YAML with context, nothing when equal', () => {
    const a = predictive();
    assert.equal(yamlDiff(a, a), '');
    const b = ServiceSchema.parse({ ...a, sla: { ...a.sla, breach_threshold: 0.95 }, min_replicas: 2 });
    const d = yamlDiff(a, b);
    assert.match(d, /^- min_replicas: 1\n\+ min_replicas: 2$/m);
    assert.match(d, /^- {3}breach_threshold: 0\.8\n\+ {3}breach_threshold: 0\.95$/m);
    assert.match(d, /^ {2}name: worker$/m, 'context');
  });

  it('gives rules and target tracking the service\'s own SLA block, or none: no predictive fields they do not read', () => {
    const model = { serviceTimeS: 1, startupDelayS: 10, slaS: 30, meanBusy: 4 };
    const rules = ServiceSchema.parse({ name: 'worker', max_replicas: 40, strategy: 'rules', rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 10 }] }, runtime: { kind: 'process', command: ['true'] } });
    const pred = ServiceSchema.parse({ ...predictive(), sla: { max_pickup_seconds: 45, breach_threshold: 0.9 } });
    for (const base of [rules, pred]) {
      for (const k of coarseGrid(base, { ...model, slaS: base.sla?.max_pickup_seconds ?? 30 }).filter((x) => x.family === 'target' || x.family === 'rules')) {
        const c = candidateConfig(base, k, { ...model, slaS: base.sla?.max_pickup_seconds ?? 30 });
        assert.deepEqual(c.sla, base.sla, `${k.family} from ${base.strategy}`);
        assert.doesNotMatch(yamlDiff(base, c), /^[-+] .*(sla:|max_pickup|breach_threshold|startup_seconds|trend_window|forecast|mode:|horizon|min_periods)/m, `${k.family} from ${base.strategy}`);
      }
    }
  });
});
