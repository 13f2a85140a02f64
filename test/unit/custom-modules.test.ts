// Custom strategy and policy modules (CONTRACT §2) through `docktor decide`, the check activity
// and `docktor simulate`: real modules (test/fixtures/modules) in real worker threads, ESM and
// CommonJS, good ones and ones that throw, hang or return garbage.
import '../harness/temp-state-dir';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createScalerActivities } from '../../src/activities/scaler-activities';
import { parseConfig } from '../../src/config/load';
import { ServiceSchema, type ServiceInput } from '../../src/config/service';
import type { Decision } from '../../src/decide/index';
import { moduleChecks } from '../../src/extend/module-checks';
import { ModuleHost } from '../../src/extend/module-host';
import { docktorArgv } from '../e2e/cli';
import { runCli } from '../harness/cli';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';

const MODULES = path.resolve(process.cwd(), 'test', 'fixtures', 'modules');
const mod = (name: string) => path.join(MODULES, name);
const NOW = 1_700_000_000;

function decisionInput(service: Partial<ServiceInput>, o: { current?: number; backlog?: number; state?: unknown } = {}) {
  return {
    now: NOW,
    service: { name: 'w', min_replicas: 1, max_replicas: 10, cooldown: { up: 0, down: 0 }, ...service },
    current_replicas: o.current ?? 2,
    observations: o.backlog === undefined ? {} : { 'queue.backlog': o.backlog },
    ...(o.state ? { state: o.state } : {}),
  };
}

async function decideCli(json: unknown, cwd = process.cwd()): Promise<{ code: number; decision: Decision | null; err: string }> {
  const r = await runCli(['decide'], { cwd, stdin: JSON.stringify(json) });
  return { code: r.code, decision: r.out ? (JSON.parse(r.out) as Decision) : null, err: r.err };
}

const custom = (module: string, extra: Record<string, unknown> = {}) => ({ strategy: 'custom' as const, custom: { module, options: { per_replica: 100 }, ...extra } });

describe('custom strategies through docktor decide', () => {
  it('an ES module (async) decides; the engine keeps its details and the module path', async () => {
    const { code, decision, err } = await decideCli(decisionInput(custom(mod('per-backlog.mjs')), { backlog: 450 }));
    assert.equal(code, 0, err);
    assert.deepEqual([decision?.action, decision?.target_replicas, decision?.limited_by, decision?.reason], ['scale_up', 5, null, 'backlog 450 / 100 per replica']);
    assert.equal(decision?.details.strategy, 'custom');
    assert.deepEqual(decision?.details.proposal, { replicas: 5, reason: 'backlog 450 / 100 per replica', missing: [], per_replica: 100, module: mod('per-backlog.mjs') });
  });

  it('the real command: a module\'s console.log goes to stderr, stdout is the decision alone', () => {
    const r = spawnSync(process.execPath, docktorArgv(['decide']), { input: JSON.stringify(decisionInput(custom(mod('per-backlog.mjs')), { backlog: 450 })), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as Decision).target_replicas, 5);
    assert.match(r.stderr, /per-backlog\.mjs loaded/);
  });

  it('a CommonJS module (sync) decides, its path relative to the working directory', async () => {
    const { code, decision, err } = await decideCli(decisionInput(custom('./per-backlog.cjs'), { backlog: 250 }), MODULES);
    assert.equal(code, 0, err);
    assert.deepEqual([decision?.target_replicas, decision?.reason], [3, 'cjs: backlog 250 / 100 per replica']);
  });

  it('bounds, behavior and cooldown apply after the module', async () => {
    const capped = await decideCli(decisionInput(custom(mod('per-backlog.mjs')), { backlog: 5000 }));
    assert.deepEqual([capped.code, capped.decision?.target_replicas, capped.decision?.limited_by], [0, 10, 'max_replicas']);
    const limited = await decideCli(decisionInput({ ...custom(mod('per-backlog.mjs')), behavior: { scale_up: { policies: [{ type: 'pods', value: 1, period_seconds: 60 }] } } }, { backlog: 5000 }));
    assert.deepEqual([limited.decision?.target_replicas, limited.decision?.limited_by], [3, 'scale_up_limit']);
    const cooling = await decideCli(
      decisionInput({ ...custom(mod('per-backlog.mjs')), cooldown: { up: 0, down: 300 } }, { current: 6, backlog: 100, state: { last_scale_up_at: NOW - 60 } }),
    );
    assert.deepEqual([cooling.decision?.action, cooling.decision?.target_replicas, cooling.decision?.limited_by], ['hold', 6, 'cooldown']);
  });

  for (const [file, pattern] of [
    ['throws.mjs', /^decide\(\) threw Error: boom from the strategy$/],
    ['wrong-type.mjs', /^decide\(\) returned \{"target_replicas":"5","reason":42\}, not \{ target_replicas: whole number >= 0, reason: text, details\?: object \} \(target_replicas: must be a number, got the string "5"; reason: must be a string, got number 42\)$/],
    ['not-a-strategy.mjs', /^exports no decide\(\) function \(functions: none\)$/],
    ['missing.mjs', /^cannot load: Error: Cannot find module .*missing\.mjs/],
  ] as const) {
    it(`${file}: exit 1 naming the module; the decision printed is a hold (limited_by module_error)`, async () => {
      const { code, decision, err } = await decideCli(decisionInput(custom(mod(file)), { backlog: 5000 }));
      assert.equal(code, 1);
      const message = err.replace(`docktor: custom strategy ${mod(file)}: `, '').trim();
      assert.ok(err.startsWith(`docktor: custom strategy ${mod(file)}: `), err);
      assert.match(message, pattern);
      assert.deepEqual([decision?.action, decision?.target_replicas, decision?.limited_by], ['hold', 2, 'module_error']);
      assert.equal(decision?.reason, `custom strategy ${mod(file)} failed: ${message}`);
    });
  }

  for (const file of ['spins.mjs', 'never-resolves.mjs']) {
    it(`${file}: a module that never answers times out (timeout_seconds), exit 1`, async () => {
      const { code, decision, err } = await decideCli(decisionInput(custom(mod(file), { timeout_seconds: 0.5 }), { backlog: 5000 }));
      assert.equal(code, 1);
      assert.equal(err, `docktor: custom strategy ${mod(file)}: decide() did not answer within 0.5 s (timeout_seconds); its thread was stopped\n`);
      assert.deepEqual([decision?.action, decision?.limited_by], ['hold', 'module_error']);
    });
  }

  it('importing the module is not counted in timeout_seconds (it has a limit of its own)', async () => {
    const { code, decision, err } = await decideCli(decisionInput(custom(mod('slow-import.mjs'), { timeout_seconds: 0.5 }), { current: 2 }));
    assert.equal(code, 0, err);
    assert.deepEqual([decision?.target_replicas, decision?.reason], [3, 'imported slowly, decided fast']);
  });

  it('exit 2 naming the field when strategy custom has no module', async () => {
    const r = await runCli(['decide'], { cwd: process.cwd(), stdin: JSON.stringify(decisionInput({ strategy: 'custom' })) });
    assert.deepEqual([r.code, r.out, r.err], [2, '', 'input: service.custom: required when strategy is custom\n']);
  });
});

describe('policies through docktor decide', () => {
  const rules = { rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>' as const, value: 100 }], step: { up: 4, down: 1 } } };

  it('after() changes the result: limited_by policy, the reason says which policy and how', async () => {
    const { code, decision } = await decideCli(decisionInput({ ...rules, policies: [{ module: mod('cap-policy.mjs'), options: { cap: 4 } }] }, { backlog: 500 }));
    assert.equal(code, 0);
    assert.deepEqual([decision?.target_replicas, decision?.limited_by], [4, 'policy']);
    assert.equal(decision?.reason, 'queue.backlog 500 > 100; policy cap-policy.mjs changed 6 → 4: capped at 4 by the budget policy');
    // Under the cap nothing changes, and nothing says so
    const under = await decideCli(decisionInput({ ...rules, policies: [{ module: mod('cap-policy.mjs'), options: { cap: 8 } }] }, { backlog: 500 }));
    assert.deepEqual([under.decision?.target_replicas, under.decision?.limited_by, under.decision?.reason], [6, null, 'queue.backlog 500 > 100']);
  });

  it('before() changes the input the strategy sees (CommonJS policy, custom ESM strategy); bounds still apply after the policies', async () => {
    const { code, decision } = await decideCli(decisionInput({ ...custom(mod('per-backlog.mjs')), policies: [{ module: mod('double-backlog-policy.cjs') }] }, { backlog: 300 }));
    assert.equal(code, 0);
    assert.deepEqual([decision?.target_replicas, decision?.reason], [6, 'backlog 600 / 100 per replica; policy double-backlog-policy.cjs changed the input (observations.queue.backlog)']);
    const both = await decideCli(
      decisionInput(
        { ...custom(mod('per-backlog.mjs')), max_replicas: 5, policies: [{ module: mod('double-backlog-policy.cjs') }, { module: mod('cap-policy.mjs'), options: { cap: 7 } }] },
        { backlog: 400 },
      ),
    );
    assert.deepEqual([both.decision?.target_replicas, both.decision?.limited_by], [5, 'max_replicas']);
  });

  it('a before() that returns an invalid input fails naming the policy and the field', async () => {
    const { code, decision, err } = await decideCli(decisionInput({ ...rules, policies: [{ module: mod('bad-before-policy.mjs') }] }, { backlog: 500 }));
    assert.equal(code, 1);
    assert.equal(err, `docktor: policy ${mod('bad-before-policy.mjs')}: before() returned an invalid decision input (current_replicas: must be >= 0)\n`);
    assert.deepEqual([decision?.action, decision?.limited_by], ['hold', 'module_error']);
  });

  it('a failing policy keeps the predictive strategy\'s state (it is not reset by the hold)', async () => {
    const predictive = { samples: [{ at: NOW - 30, rate: 4 }], last_lag: { at: NOW - 10, lag: 40 } };
    const { code, decision } = await decideCli(
      decisionInput({ strategy: 'predictive', sla: { max_pickup_seconds: 30 }, policies: [{ module: mod('throws.mjs') }] }, { backlog: 50, state: { predictive } }),
    );
    assert.equal(code, 1);
    assert.equal(decision?.limited_by, 'module_error');
    assert.deepEqual([decision?.state.predictive?.samples, decision?.state.predictive?.last_lag], [predictive.samples, predictive.last_lag]);
  });

  it('a policy with neither before() nor after() fails', async () => {
    const { code, err } = await decideCli(decisionInput({ ...rules, policies: [{ module: mod('not-a-strategy.mjs') }] }, { backlog: 500 }));
    assert.equal(code, 1);
    assert.match(err, /policy .*not-a-strategy\.mjs: exports neither before\(\) nor after\(\) \(functions: none\)/);
  });
});

describe('modules in the check activity and the config', () => {
  const service = (fields: Partial<ServiceInput>) =>
    ServiceSchema.parse({ name: 'w', min_replicas: 1, max_replicas: 10, queue: { kind: 'nats', stream: 'S', consumer: 'c' }, cooldown: { up: 0, down: 0 }, ...fields });
  const check = { project: 'p', now: NOW, queue_state: null, last_replicas: null, paused: false, metric_failures: 0 };

  it('a good module decides in the check; a failing one holds and is reported like a failed source (not a metric failure)', async () => {
    const queue = new FakeQueueSource();
    queue.observations = { 'queue.backlog': 700 };
    const modules = new ModuleHost();
    try {
      const { checkService } = createScalerActivities(fakePlugins(new FakeRuntime(2), queue), { modules });
      const good = await checkService({ ...check, service: service(custom(mod('per-backlog.mjs'))) });
      assert.deepEqual([good.decision?.action, good.decision?.target_replicas, good.failures], ['scale_up', 7, []]);
      const bad = await checkService({ ...check, service: service(custom(mod('throws.mjs'))) });
      assert.deepEqual([bad.decision?.action, bad.decision?.target_replicas, bad.decision?.limited_by, bad.metric_failures], ['hold', 2, 'module_error', 0]);
      assert.deepEqual(bad.failures, [{ source: 'module', error: `custom strategy ${mod('throws.mjs')}: decide() threw Error: boom from the strategy`, configuration: false }]);
    } finally {
      modules.close();
    }
  });

  it('config validate checks that each module loads and exports what its role needs, calling nothing', async () => {
    const modules = new ModuleHost();
    try {
      const svc = service({
        ...custom(mod('per-backlog.cjs')),
        policies: [{ module: mod('cap-policy.mjs') }, { module: mod('not-a-strategy.mjs') }, { module: mod('missing.mjs') }],
      });
      const checks = await moduleChecks(svc, modules);
      assert.deepEqual(
        checks.map((c) => [c.ok, c.label.replace(MODULES, 'M'), c.detail?.replace(MODULES, 'M').split(' imported from')[0]]),
        [
          [true, 'w: custom strategy M/per-backlog.cjs', 'exports decide()'],
          [true, 'w: policy M/cap-policy.mjs', 'exports after()'],
          [false, 'w: policy M/not-a-strategy.mjs', 'exports no before() or after() (functions: none)'],
          [false, 'w: policy M/missing.mjs', "cannot load: Error: Cannot find module 'M/missing.mjs'"],
        ],
      );
    } finally {
      modules.close();
    }
  });

  it('module paths in docktor.yaml are relative to the file; strategy custom needs custom', () => {
    const c = parseConfig(
      'services:\n  - { name: w, max_replicas: 4, strategy: custom, custom: { module: ./s.mjs }, policies: [{ module: ../p.cjs, options: { cap: 2 } }] }\n',
      '/srv/app/docktor.yaml',
    );
    assert.deepEqual(c.services[0]!.custom, { module: '/srv/app/s.mjs', options: {}, timeout_seconds: 2 });
    assert.deepEqual(c.services[0]!.policies, [{ module: '/srv/p.cjs', options: { cap: 2 }, timeout_seconds: 2 }]);
    assert.throws(() => parseConfig('services:\n  - { name: w, max_replicas: 4, strategy: custom }\n', '/srv/docktor.yaml'), /services\[0\]\.custom: required when strategy is custom/);
    assert.throws(
      () => parseConfig('services:\n  - { name: w, max_replicas: 4, strategy: custom, custom: { module: ./s.mjs, timeout_seconds: 60 } }\n', '/srv/docktor.yaml'),
      /services\[0\]\.custom\.timeout_seconds: must be <= 5/,
    );
  });
});

describe('custom strategies through docktor simulate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-custom-sim-'));
  fs.copyFileSync(mod('per-backlog.mjs'), path.join(dir, 'strategy.mjs'));
  fs.copyFileSync(mod('throws.mjs'), path.join(dir, 'throws.mjs'));
  fs.writeFileSync(
    path.join(dir, 'docktor.yaml'),
    `services:
  - { name: custom, min_replicas: 1, max_replicas: 20, check_interval: 5, cooldown: { down: 0 }, strategy: custom, custom: { module: ./strategy.mjs, options: { per_replica: 10 } } }
  - { name: capped, min_replicas: 1, max_replicas: 20, check_interval: 5, cooldown: { down: 0 }, strategy: custom, custom: { module: ./strategy.mjs, options: { per_replica: 10 } }, policies: [{ module: ${JSON.stringify(mod('cap-policy.mjs'))}, options: { cap: 3 } }] }
  - { name: broken, min_replicas: 1, max_replicas: 20, check_interval: 5, strategy: custom, custom: { module: ./throws.mjs } }
`,
  );
  // 20 messages/s for two minutes, each taking a replica 1 s: 20 replicas keep up.
  fs.writeFileSync(path.join(dir, 'trace.txt'), '20\n'.repeat(120));
  const simulate = (serviceName: string) => runCli(['simulate', '--service', serviceName, '--trace', 'trace.txt', '--startup-delay', '2', '--json'], { cwd: dir });

  it('runs the module at every check: it scales out; an after() policy caps it', async () => {
    const r = await simulate('custom');
    assert.equal(r.code, 0, r.err);
    const f = JSON.parse(r.out) as { peak_replicas: number; scale_events: number; checks: number };
    assert.ok(f.scale_events > 0 && f.peak_replicas === 20, r.out);
    const capped = JSON.parse((await simulate('capped')).out) as { peak_replicas: number };
    assert.equal(capped.peak_replicas, 3);
  });

  it('exit 1 naming the module when it fails', async () => {
    const r = await simulate('broken');
    assert.equal(r.code, 1);
    assert.equal(r.err, `docktor: custom strategy ${path.join(dir, 'throws.mjs')}: decide() threw Error: boom from the strategy (at simulated time ${NOW})\n`);
  });
});
