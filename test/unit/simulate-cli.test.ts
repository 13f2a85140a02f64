// `runSimulate` (the `docktor simulate` command): output, plot and typed errors naming the flag.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { CliIO } from '../../src/cli/io';
import { runSimulate, type SimulateOptions } from '../../src/cli/commands/simulate';
import { InputError, UsageError } from '../../src/errors';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-simulate-'));
fs.writeFileSync(
  path.join(dir, 'docktor.yaml'),
  `version: "1"
project: shop
services:
  - name: worker
    min_replicas: 2
    max_replicas: 2
    check_interval: 5
    rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 100 }] }
  - name: elastic
    min_replicas: 1
    max_replicas: 10
    check_interval: 5
    strategy: predictive
    sla: { max_pickup_seconds: 20, startup_seconds: 5 }
  - name: laravel
    min_replicas: 1
    max_replicas: 10
    check_interval: 5
    metrics_window: 30
    strategy: predictive
    sla: { max_pickup_seconds: 30, service_time_seconds: 0.5, startup_seconds: 2 }
    cooldown: { up: 0, down: 30 }
`,
);
fs.writeFileSync(path.join(dir, 'steady.txt'), '1\n'.repeat(120));
fs.writeFileSync(path.join(dir, 'burst.csv'), 'time,count\n0,40\n60,0\n120,0\n');
// Isolated spikes, as the Laravel example's producer pushes them: 120 jobs at once every 3 minutes.
fs.writeFileSync(path.join(dir, 'spikes.txt'), Array.from({ length: 1800 }, (_, s) => (s % 180 === 20 ? '120' : '0')).join('\n') + '\n');

async function sim(o: Partial<SimulateOptions>): Promise<string> {
  let out = '';
  const io: CliIO = { out: (t) => void (out += t), err: () => undefined, readStdin: async () => '', env: {}, cwd: dir };
  const code = await runSimulate(io, { service: 'worker', trace: 'steady.txt', ...o });
  assert.equal(code, 0);
  return out;
}

const CONTRACT_FIELDS = [
  'messages', 'duration_s', 'sla_seconds', 'breach_seconds', 'pickup_p50_s', 'pickup_p95_s', 'pickup_p99_s',
  'max_backlog', 'worker_seconds', 'mean_replicas', 'scale_events',
];

describe('docktor simulate (runSimulate)', () => {
  it('--json prints one object with the CONTRACT §5 figures', async () => {
    const f = JSON.parse(await sim({ json: true, serviceTime: '1.5' })) as Record<string, unknown>;
    for (const k of CONTRACT_FIELDS) assert.ok(k in f, `missing ${k}`);
    assert.equal(f.messages, 120);
    assert.equal(f.duration_s, 120);
    assert.equal(f.sla_seconds, 30);
    assert.equal(f.pickup_p99_s, 0);
    assert.equal(f.worker_seconds, 240);
    assert.equal(f.mean_replicas, 2);
  });

  it('without --json prints a readable summary', async () => {
    const out = await sim({ trace: 'burst.csv', service: 'elastic', startupDelay: '5s' });
    assert.match(out, /simulate elastic \(strategy predictive\) on burst\.csv \(counts\)/);
    assert.match(out, /40 messages over 180 s/);
    assert.match(out, /pickup {4}p50 .* p95 .* p99 /);
    assert.match(out, /breach {4}\d/);
    assert.match(out, /worker-seconds/);
  });

  it('--plot writes an SVG with four panels', async () => {
    const out = await sim({ trace: 'burst.csv', service: 'elastic', plot: 'run.svg', json: true });
    assert.ok(JSON.parse(out));
    const svg = fs.readFileSync(path.join(dir, 'run.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    for (const title of ['Arrivals', 'Backlog', 'Replicas', 'Pickup latency']) assert.ok(svg.includes(`>${title}`), `no ${title} panel`);
    assert.ok((svg.match(/<polyline/g) ?? []).length >= 5);
    assert.match(svg, /time \((seconds|minutes) since the start\)/);
  });

  it('--start, --duration and --scale cut and resize the trace', async () => {
    const f = JSON.parse(await sim({ json: true, start: '20', duration: '1m', scale: '2' })) as Record<string, number>;
    assert.equal(f.messages, 120);
    assert.equal(f.duration_s, 60);
  });

  it('--no-rates: a source without counters peaks as one with them on isolated spikes (±1), with no breach', async () => {
    const run = async (rates: boolean) => JSON.parse(await sim({ service: 'laravel', trace: 'spikes.txt', serviceTime: '0.5', startupDelay: '2', json: true, rates })) as Record<string, number>;
    const [counted, counterless] = [await run(true), await run(false)];
    assert.ok(Math.abs(counted.peak_replicas! - counterless.peak_replicas!) <= 1, `peaks ${counted.peak_replicas} with rates, ${counterless.peak_replicas} without`);
    assert.ok(counterless.peak_replicas! <= 4, `at most 4 workers for 120 jobs of 0.5 s: ${counterless.peak_replicas}`);
    assert.deepEqual([counted.breach_seconds, counterless.breach_seconds], [0, 0]);
    assert.ok(counterless.pickup_max_s! < 30);
    assert.match(await sim({ service: 'laravel', trace: 'spikes.txt', serviceTime: '0.5', rates: false }), /source without counters \(--no-rates: queue\.backlog and queue\.ack_pending only\)/);
  });

  it('rejects bad input with a typed error that names the flag', async () => {
    const fails = async (o: Partial<SimulateOptions>, type: typeof UsageError | typeof InputError, message: RegExp) => {
      await assert.rejects(sim(o), (e: unknown) => {
        assert.ok(e instanceof type, `${String(e)} is not a ${type.name}`);
        assert.match((e as Error).message, message);
        return true;
      });
    };
    await fails({ service: 'nope' }, UsageError, /--service: no service "nope" in docktor\.yaml \(services: worker, elastic, laravel\)/);
    await fails({ trace: 'missing.txt' }, UsageError, /--trace: cannot read missing\.txt: no such file/);
    await fails({ serviceTime: 'fast' }, UsageError, /--service-time: must be a number of seconds > 0/);
    await fails({ serviceTime: '0' }, UsageError, /--service-time/);
    await fails({ startupDelay: '-3' }, UsageError, /--startup-delay/);
    await fails({ scale: 'x2' }, UsageError, /--scale: must be a number >= 0/);
    await fails({ seed: '1.5' }, UsageError, /--seed: must be a whole number/);
    await fails({ start: '500' }, UsageError, /--start: 500 s is at or past the end of the trace \(120 s long\)/);
    await fails({ traceFormat: 'xml' }, UsageError, /--trace-format/);
    await fails({ serviceTimeDist: 'normal' }, UsageError, /--service-time-dist/);
    await fails({ config: 'other.yaml' }, UsageError, /config file not found/);
    fs.writeFileSync(path.join(dir, 'bad.txt'), '1\nlots\n');
    await fails({ trace: 'bad.txt' }, InputError, /--trace bad\.txt: line 2: "lots" is not a count/);
  });
});
