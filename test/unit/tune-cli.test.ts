// `docktor tune` on a small trace, in-process: the table and diff, the JSON of CONTRACT §8 whose
// recommended config `docktor simulate` accepts (and set_config's validation, the same schema),
// the plot, and the errors: bad flags exit 2 naming the flag, too little to judge exits 1 saying
// what is missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { ServiceSchema } from '../../src/config/service';
import { spikyTrace } from '../../src/simulate/spiky';
import type { TuneResult } from '../../src/tune/types';
import { RecordingStore, serviceRecordingDir } from '../../src/recording/store';
import { runCli } from '../harness/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-tune-'));
fs.writeFileSync(
  path.join(dir, 'docktor.yaml'),
  `version: "1"
project: shop
services:
  - name: worker
    max_replicas: 30
    strategy: rules
    rules:
      scale_up_when: [{ metric: queue.backlog, op: ">", value: 10 }]
      scale_down_when: [{ metric: queue.backlog, op: "<=", value: 1 }]
    sla: { max_pickup_seconds: 30 }
    queue: { kind: nats, url: "nats://app:secret@127.0.0.1:4222", stream: EVENTS, consumer: WORKERS }
    runtime: { kind: process, command: [sleep, "1000"] }
  - name: other
    max_replicas: 3
    strategy: predictive
    sla: { max_pickup_seconds: 30 }
    runtime: { kind: process, command: [sleep, "1000"] }
  - name: laravel
    max_replicas: 30
    strategy: predictive
    sla: { max_pickup_seconds: 30, service_time_seconds: 1 }
    queue: { kind: redis, url: "redis://127.0.0.1:6379", queue: default, format: laravel }
    runtime: { kind: process, command: [sleep, "1000"] }
  - name: bullmq
    max_replicas: 30
    strategy: predictive
    sla: { max_pickup_seconds: 30, service_time_seconds: 1 }
    queue: { kind: redis, url: "redis://127.0.0.1:6379", queue: default, format: bullmq }
    runtime: { kind: process, command: [sleep, "1000"] }
`,
);
const trace = spikyTrace({ seed: 11, span: 1800, meanRate: 2 }).trace;
fs.writeFileSync(path.join(dir, 'spiky.txt'), Array.from(trace.counts).join('\n') + '\n');
fs.writeFileSync(path.join(dir, 'short.txt'), '2\n'.repeat(600));

const tuneArgs = ['tune', 'worker', '--trace', 'spiky.txt', '--service-time', '1', '--budget', '4'];

describe('docktor tune (CLI)', () => {
  it('prints the current policy first, the recommendation and its config as a YAML diff', async () => {
    const r = await runCli(tuneArgs, { cwd: dir });
    assert.equal(r.code, 0, r.err);
    const lines = r.out.split('\n');
    const header = lines.findIndex((l) => /breach s\s+p99 s/.test(l));
    assert.match(lines[header + 1]!, /^\s+(\* )?current\s/);
    assert.match(r.out, /recommended: /);
    assert.match(r.out, /^- strategy: rules$/m);
    assert.match(r.out, /^\+ strategy: (predictive|target)$/m);
    assert.match(r.out, /clairvoyant \(knows the future\)/);
    assert.doesNotMatch(r.out, /secret/);
  });

  it('prints CONTRACT §8 JSON whose recommended config docktor simulate and the set_config schema accept', async () => {
    const r = await runCli([...tuneArgs, '--json', '--plot', 'tune.svg'], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as TuneResult;
    assert.equal(j.service, 'worker');
    assert.equal(j.span_s, 1800);
    assert.deepEqual(j.holdout, { from_s: 1260, to_s: 1800 });
    for (const k of ['breach_seconds', 'pickup_p99_s', 'worker_seconds', 'work_ratio', 'clairvoyant_ratio']) assert.ok(k in j.current.figures, k);
    assert.ok(j.recommended);
    assert.ok(j.recommended.figures.breach_seconds <= j.allowance.holdout_s);
    assert.ok(j.candidates.length > 1 && 'train' in j.candidates[0]! && 'holdout' in j.candidates[0]!);
    assert.doesNotMatch(r.out, /secret/, 'secrets masked');
    // set_config validates with this schema.
    assert.deepEqual(ServiceSchema.parse(j.recommended.config), j.recommended.config);
    fs.writeFileSync(path.join(dir, 'recommended.yaml'), YAML.stringify({ version: '1', project: 'shop', services: [j.recommended.config] }));
    const sim = await runCli(['simulate', '-c', 'recommended.yaml', '--service', 'worker', '--trace', 'spiky.txt', '--service-time', '1', '--json'], { cwd: dir });
    assert.equal(sim.code, 0, sim.err);
    assert.ok((JSON.parse(sim.out) as { messages: number }).messages > 0);
    const svg = fs.readFileSync(path.join(dir, 'tune.svg'), 'utf8');
    assert.match(svg, /^<svg/);
    assert.match(svg, /recommended/);
    assert.match(svg, /clairvoyant/);
  });

  it('replays a queue without arrival counters as the scaler reads it (Laravel), one with them as before (BullMQ)', async () => {
    const run = async (service: string) => {
      const r = await runCli(['tune', service, '--trace', 'spiky.txt', '--budget', '2', '--json'], { cwd: dir });
      assert.equal(r.code, 0, r.err);
      return JSON.parse(r.out) as TuneResult;
    };
    const [laravel, bullmq] = [await run('laravel'), await run('bullmq')];
    assert.equal(laravel.model.no_rates, true);
    assert.equal(bullmq.model.no_rates, false);
    // The same predictive config on the same trace: what it reads differs, so what it spends does.
    assert.notEqual(laravel.current.figures.worker_seconds, bullmq.current.figures.worker_seconds);
    const human = await runCli(['tune', 'laravel', '--trace', 'spiky.txt', '--budget', '2'], { cwd: dir });
    assert.match(human.out, /replayed without counters, as the scaler reads laravel's queue: queue\.backlog and queue\.ack_pending only/);
    assert.doesNotMatch((await runCli(['tune', 'bullmq', '--trace', 'spiky.txt', '--budget', '2'], { cwd: dir })).out, /without counters/);
  });

  it('exits 2 naming the flag on bad input', async () => {
    for (const [args, flag] of [
      [[...tuneArgs, '--holdout', '2'], '--holdout'],
      [[...tuneArgs, '--budget', 'soon'], '--budget'],
      [[...tuneArgs, '--max-breach', '-1'], '--max-breach'],
      [['tune', 'worker', '--service-time', '1'], '--trace'],
      [['tune', 'worker', '--trace', 'nope.txt'], '--trace'],
      [['tune', '--trace', 'spiky.txt'], 'SERVICE'],
    ] as Array<[string[], string]>) {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
      assert.ok(r.err.includes(flag), `${args.join(' ')}: ${r.err}`);
    }
  });

  it('exits 1 saying what is missing: too little traffic, no service time', async () => {
    const short = await runCli(['tune', 'worker', '--trace', 'short.txt', '--service-time', '1'], { cwd: dir });
    assert.equal(short.code, 1);
    assert.match(short.err, /too little traffic.*600 s.*20 minutes/);
    const noS = await runCli(['tune', 'worker', '--trace', 'spiky.txt', '--budget', '1'], { cwd: dir });
    assert.equal(noS.code, 1);
    assert.match(noS.err, /no service time.*sla\.service_time_seconds.*--service-time/);
  });

  it('tunes from a recording its scaler kept (written by the recording store), with the service time it measured', async () => {
    // 30 minutes of 10 s checks of the spiky trace, as a queue with counters records them: the
    // counters (published, acknowledged), in service by Little's law at 0.8 s a job, 2 replicas.
    const store = new RecordingStore();
    const root = path.join(dir, 'rec');
    const write = async (service: string, counted: boolean) => {
      const target = { dir: serviceRecordingDir(root, 'shop', service), retention_s: 1e9 };
      const t0 = Math.floor(Date.now() / 1000) - 1800;
      let published = 0;
      for (let i = 0; i < 180; i++) {
        const arrivals = trace.counts.slice(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0);
        published += arrivals;
        const counters = counted ? { ci: published, co: published } : {};
        await store.appendCheck(target, t0 + i * 10, (prev) => ({ v: 1, t: t0 + i * 10, ...(prev ? { dt: 10 } : {}), ...counters, b: 0, ip: (arrivals / 10) * 0.8, rc: 2, rr: 2, a: 'h', to: 2 }));
      }
      await store.flush();
    };
    await write('worker', true);
    await write('other', false);

    const r = await runCli(['tune', 'worker', '--recording', 'rec', '--since', '2h', '--budget', '3', '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    const result = JSON.parse(r.out) as TuneResult;
    assert.ok(Math.abs(result.model.service_time_s - 0.8) < 0.05, `service time from the recording: ${result.model.service_time_s}`);
    assert.ok(Math.abs(result.model.messages - trace.total) <= 1, `${result.model.messages} messages recorded of ${trace.total}`);

    const estimated = await runCli(['tune', 'other', '--recording', 'rec', '--budget', '3'], { cwd: dir });
    assert.equal(estimated.code, 1);
    assert.match(estimated.err, /other's queue reports no counters, so its recorded arrivals are estimates/);
    const nothing = await runCli(['tune', 'worker', '--recording', 'nowhere'], { cwd: dir });
    assert.equal(nothing.code, 1);
    assert.match(nothing.err, /nowhere/);
    const both = await runCli(['tune', 'worker', '--recording', 'rec', '--trace', 'spiky.txt'], { cwd: dir });
    assert.equal(both.code, 2);
    assert.match(both.err, /--trace, --recording or --prometheus: give one/);
    assert.equal((await runCli(['tune', 'worker', '--prometheus', 'http://127.0.0.1:9', '--trace', 'spiky.txt'], { cwd: dir })).code, 2);
    const notUrl = await runCli(['tune', 'worker', '--prometheus', 'prometheus:9090'], { cwd: dir });
    assert.equal(notUrl.code, 2);
    assert.match(notUrl.err, /--prometheus: "prometheus:9090" is not an http\(s\) URL/);
    // fetch will not connect to port 9 (discard, a "bad port"): the failure names the flag, never the password.
    const refused = await runCli(['tune', 'worker', '--prometheus', 'http://u:secret@127.0.0.1:9', '--since', '1h'], { cwd: dir });
    assert.equal(refused.code, 1);
    assert.match(refused.err, /--prometheus http:\/\/u:\*+@127\.0\.0\.1:9/);
    assert.doesNotMatch(refused.err, /secret/);
    assert.equal((await runCli(['tune', 'worker', '--trace', 'spiky.txt', '--since', '7d'], { cwd: dir })).code, 2);
  });
});
