// `docktor simulate` through the real command line (argument parsing, exit codes) on the real
// traces in ../shared/traces (see /work/shared/traces/README.md).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, type CliRun } from '../harness/cli';

const TRACES = path.resolve(process.cwd(), '../shared/traces');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-simulate-cli-'));
fs.writeFileSync(
  path.join(dir, 'docktor.yaml'),
  `version: "1"
project: shop
services:
  - name: llm
    min_replicas: 1
    max_replicas: 40
    check_interval: 5
    strategy: predictive
    sla: { max_pickup_seconds: 30, startup_seconds: 30 }
  - name: laravel
    min_replicas: 1
    max_replicas: 10
    check_interval: 5
    strategy: predictive
    sla: { max_pickup_seconds: 30, service_time_seconds: 0.5, startup_seconds: 2 }
`,
);

function docktor(args: string[]): Promise<CliRun> {
  return runCli(args, { cwd: dir });
}

describe('docktor simulate on a real trace', () => {
  it('replays the Azure LLM trace (one row per request) and prints the figures as JSON', async () => {
    const trace = path.join(TRACES, 'azure_llm_2023_conv.csv');
    assert.ok(fs.existsSync(trace), `missing ${trace}: the shared traces must sit in ../shared/traces next to the project`);
    const r = await docktor(['simulate', '--service', 'llm', '--trace', trace, '--trace-format', 'requests', '--service-time', '1.4', '--startup-delay', '30', '--json', '--plot', 'azure.svg']);
    assert.equal(r.code, 0, r.err);
    const f = JSON.parse(r.out) as Record<string, number>;
    assert.equal(f.messages, 19_366);
    assert.ok(f.duration_s > 3400 && f.duration_s < 3600);
    assert.ok(f.worker_seconds >= f.messages * 1.4 * 0.99, 'no policy can spend less than the work itself');
    assert.ok(f.mean_replicas > 1);
    assert.ok(fs.statSync(path.join(dir, 'azure.svg')).size > 1000);
  });

  it('--no-rates: a source without counters (issue 28) on the noisy trace, no breach', async () => {
    const trace = path.join(TRACES, 'autothrottle_noisy_1h_rps.txt');
    const args = ['simulate', '--service', 'laravel', '--trace', trace, '--service-time', '0.5', '--startup-delay', '2', '--scale', '0.1', '--duration', '600'];
    const r = await docktor([...args, '--no-rates']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /source without counters \(--no-rates: queue\.backlog and queue\.ack_pending only\)/);
    assert.match(r.out, /breach {4}0 s/);
    const counted = await docktor(args);
    assert.doesNotMatch(counted.out, /without counters/);
  });

  it('exits 2 naming the flag on bad usage', async () => {
    const missing = await docktor(['simulate', '--service', 'llm', '--trace', 'nope.csv']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--trace/);
    const bad = await docktor(['simulate', '--service', 'llm', '--trace', path.join(TRACES, 'autothrottle_noisy_1h_rps.txt'), '--service-time', 'slow']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--service-time/);
  });
});
