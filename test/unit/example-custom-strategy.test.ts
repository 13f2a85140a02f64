// examples/custom-strategy: its strategy, policy and schedule through `docktor decide` and
// `docktor simulate`, and its JSDoc types checked against the types the package exports.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load';
import type { Decision } from '../../src/decide/index';
import { runCli } from '../harness/cli';

const DIR = path.resolve(process.cwd(), 'examples', 'custom-strategy');
const service = loadConfig(path.join(DIR, 'docktor.yaml')).services[0]!;
const at = (iso: string) => Date.parse(iso) / 1000;

async function decide(now: number, current: number, observations: Record<string, number>): Promise<Decision> {
  const r = await runCli(['decide'], { cwd: DIR, stdin: JSON.stringify({ now, service, current_replicas: current, observations }) });
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as Decision;
}

describe('examples/custom-strategy', () => {
  it('the strategy sizes for arrivals plus the backlog over the drain time', async () => {
    // Monday 30 March 2026, 10:00 in Copenhagen (office hours: floor 4)
    const d = await decide(at('2026-03-30T08:00:00Z'), 4, { 'queue.backlog': 600, 'queue.rate_in': 10 });
    assert.deepEqual([d.action, d.target_replicas, d.limited_by], ['scale_up', 10, null]);
    assert.equal(d.reason, '20.0 msg/s to handle (rate_in 10, backlog 600 over 60 s) at 0.5 s each');
  });

  it('the policy keeps replicas while the queue is behind; the office-hours floor holds otherwise', async () => {
    const behind = await decide(at('2026-03-30T08:00:00Z'), 8, { 'queue.backlog': 0, 'queue.rate_in': 2, 'queue.oldest_age_s': 45 });
    assert.deepEqual([behind.action, behind.target_replicas, behind.limited_by], ['hold', 8, 'policy']);
    assert.match(behind.reason, /policy policy\.mjs changed 1 → 8: no scale-down while the oldest message waits 45 s > 30 s$/);
    const caughtUp = await decide(at('2026-03-30T08:00:00Z'), 8, { 'queue.backlog': 0, 'queue.rate_in': 2, 'queue.oldest_age_s': 1 });
    assert.deepEqual([caughtUp.action, caughtUp.target_replicas, caughtUp.limited_by], ['scale_down', 4, 'schedule']);
  });

  it('at night the schedule caps the strategy', async () => {
    const d = await decide(at('2026-03-30T21:00:00Z'), 1, { 'queue.backlog': 6000, 'queue.rate_in': 50 });
    assert.deepEqual([d.target_replicas, d.limited_by], [2, 'schedule']);
  });

  it('docktor simulate runs the example service: strategy, policy and schedule, at the trace\'s own times', async () => {
    // Per 10 s from Monday 30 March 2026 10:00 in Copenhagen: 2/s, then 30/s for 2 minutes, then 2/s.
    const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-example-')), 'trace.csv');
    const rows = [...Array(6).fill(20), ...Array(12).fill(300), ...Array(12).fill(20)].map((n: number, i) => `${new Date((at('2026-03-30T08:00:00Z') + i * 10) * 1000).toISOString()},${n}`);
    fs.writeFileSync(trace, `time,count\n${rows.join('\n')}\n`);
    const r = await runCli(['simulate', '-c', 'docktor.yaml', '--service', 'worker', '--trace', trace, '--service-time', '0.5', '--startup-delay', '5', '--json'], { cwd: DIR });
    assert.equal(r.code, 0, r.err);
    const f = JSON.parse(r.out) as { scale_events: number; peak_replicas: number; messages: number };
    assert.equal(f.messages, 60 * 2 + 120 * 30 + 120 * 2);
    assert.ok(f.scale_events >= 2 && f.peak_replicas > 4, r.out);
  });

  it('the modules type-check against the package types (package.json exports → dist/types)', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    const types = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.types.json'], { encoding: 'utf8' });
    assert.equal(types.status, 0, types.stdout + types.stderr);
    const check = spawnSync(process.execPath, [tsc, '-p', path.join(DIR, 'tsconfig.json')], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stdout + check.stderr);
  });
});
