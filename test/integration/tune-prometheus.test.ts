// `docktor tune --prometheus` against the real thing: a real Prometheus (Debian's package,
// scraping every second, basic auth) scrapes a real worker's metrics port while its scaler checks
// every second on the real dev server; the traffic read back from Prometheus must be what the
// queue reported. The queue and runtime are the fake plugins (in-process, FAKES named as such):
// what is tested is the path from a check's observations through Prometheus to tune's trace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from '@temporalio/worker';
import type { QueueConfig } from '../../src/config/queue';
import { freePort } from '../../src/dev/free-port';
import type { Json, Observations } from '../../src/observations';
import { readPrometheusTraffic } from '../../src/recording/prometheus-traffic';
import { createScalerWorker } from '../../src/worker';
import { runCli, type CliRun } from '../harness/cli';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';
import { PROMETHEUS_PASSWORD, PROMETHEUS_USER, startPrometheus, type TestPrometheus } from '../harness/prometheus';
import { testTemporal } from '../harness/services';
import { until } from '../harness/until';

/** The fake queue, keeping what it reported at each check: [unix s, rate_in]. */
class ReportingQueue extends FakeQueueSource {
  readonly reported: Array<[number, number]> = [];
  override async read(c: QueueConfig, o: { state?: Json }): Promise<{ observations: Observations; state: Json }> {
    const r = await super.read(c, o);
    this.reported.push([Date.now() / 1000, r.observations['queue.rate_in'] ?? NaN]);
    return r;
  }
}

/** ∫ of the rate the queue reported (the latest report at each moment) over [from, to]. */
function reportedArrivals(reported: Array<[number, number]>, from: number, to: number): number {
  let sum = 0;
  for (let i = 0; i < reported.length; i++) {
    const [t, rate] = reported[i]!;
    const next = i + 1 < reported.length ? reported[i + 1]![0] : Infinity;
    const a = Math.max(t, from);
    const b = Math.min(next, to);
    if (b > a) sum += rate * (b - a);
  }
  return sum;
}

const TASK_QUEUE = `tune-prom-${process.pid}`;
const SLOW = 4;
const FAST = 10;

describe('docktor tune --prometheus (real Prometheus scraping a real worker)', () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let prometheus: TestPrometheus;
  let worker: Worker;
  let running: Promise<void>;
  let project = '';
  const queue = new ReportingQueue();
  const docktor = (...args: string[]): Promise<CliRun> => runCli(args, { cwd: dir, env });

  before(async () => {
    const t = await testTemporal();
    const metricsPort = await freePort();
    prometheus = await startPrometheus([`127.0.0.1:${metricsPort}`]);
    env = { DOCKTOR_TEMPORAL_ADDRESS: t.address };
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-tune-prom-'));
    project = `tuneprom${Date.now().toString(36)}`;
    fs.writeFileSync(
      path.join(dir, 'docktor.yaml'),
      `project: ${project}
temporal: { namespace: ${t.namespace}, task_queue: ${TASK_QUEUE}, metrics_port: ${metricsPort} }
services:
  - name: worker
    max_replicas: 4
    check_interval: 1
    rules: &rules
      scale_up_when: [{ metric: queue.backlog, op: ">", value: 1000 }]
      scale_down_when: [{ metric: queue.backlog, op: "<=", value: 0 }]
    recording: { enabled: false }
    queue: { kind: nats, stream: S, consumer: C }
  - name: idle
    max_replicas: 1
    rules: *rules
    queue: { kind: nats, stream: S, consumer: C2 }
`,
    );
    // 2 in service completing 4/s: 0.5 s a job by Little's law.
    queue.observations = { 'queue.rate_in': SLOW, 'queue.rate_out': 4, 'queue.ack_pending': 2, 'queue.backlog': 0 };
    const w = await createScalerWorker({ temporal: { namespace: t.namespace, task_queue: TASK_QUEUE, metrics_port: metricsPort }, address: t.address, plugins: fakePlugins(new FakeRuntime(1), queue) });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
  });

  after(async () => {
    if (dir) await docktor('down');
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running;
    await prometheus?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads back the arrivals the queue reported, and tune refuses the few seconds of them', async (t) => {
    const started = Date.now() / 1000;
    const up = await docktor('up', 'worker');
    assert.equal(up.code, 0, up.err);
    // From when Prometheus has the gauges (it starts scraping a target up to 5 s after it starts,
    // its discovery's update interval): 4 s slow, then 6 s fast; the trace must show both.
    const url = prometheus.url.replace('://', `://${PROMETHEUS_USER}:${PROMETHEUS_PASSWORD}@`);
    const points = () => readPrometheusTraffic({ url, project, service: 'worker', since: started - 5, now: Date.now() / 1000, stepS: 1 }).then((r) => r.points, () => 0);
    await until('Prometheus has the scaler\'s gauges', points, (n) => n >= 2, 20_000);
    await sleep(4000);
    queue.observations = { ...queue.observations, 'queue.rate_in': FAST };
    await sleep(6000);

    const read = await readPrometheusTraffic({ url, project, service: 'worker', since: started - 5, now: Date.now() / 1000, stepS: 1 });
    assert.equal(read.counted, true);
    assert.equal(read.queries, 1);
    assert.ok(read.to - read.from >= 8, `${read.to - read.from} s of points (${read.points}); the first check ${(queue.reported[0]![0] - started).toFixed(1)} s after up, the first point ${(read.from - queue.reported[0]![0]).toFixed(1)} s after it`);
    const expected = reportedArrivals(queue.reported, read.from, read.to);
    // The gauge Prometheus holds lags the queue's report by the rest of the check and one scrape
    // (under 2 s): at most 2 s of the rate change, plus 5%.
    const tolerance = 2 * (FAST - SLOW) + 0.05 * expected;
    assert.ok(Math.abs(read.trace.total - expected) <= tolerance, `Prometheus gave ${read.trace.total} arrivals, the queue reported ${expected.toFixed(1)} over ${(read.to - read.from).toFixed(1)} s (tolerance ${tolerance.toFixed(1)})`);
    t.diagnostic(`Prometheus: ${read.trace.total} arrivals over ${(read.to - read.from).toFixed(1)} s (${read.points} points); the queue reported ${expected.toFixed(1)}`);
    const perSecond = Array.from(read.trace.counts!, (c, k) => c / read.trace.widths![k]!);
    assert.equal(perSecond[0], SLOW);
    assert.equal(perSecond.at(-1), FAST);
    assert.ok(Math.abs(read.service_time_s! - 0.5) < 1e-9, `service time ${read.service_time_s}`);

    const wrong = await readPrometheusTraffic({ url: prometheus.url.replace('://', `://${PROMETHEUS_USER}:nope@`), project, service: 'worker', since: started, now: Date.now() / 1000, stepS: 1 }).catch((e: Error) => e);
    assert.ok(wrong instanceof Error);
    assert.match(wrong.message, /--prometheus http:\/\/docktor:\*+@.* answered 401.*--prometheus: the user and password in its URL/);
    assert.doesNotMatch(wrong.message, /nope/);

    const tune = await docktor('tune', 'worker', '--prometheus', url, '--since', '5m', '--budget', '1');
    assert.equal(tune.code, 1, tune.err);
    assert.match(tune.err, /too little traffic to judge: \d+ s of it, at least 20 minutes/);
    const idle = await docktor('tune', 'idle', '--prometheus', url, '--since', '5m');
    assert.equal(idle.code, 1);
    assert.match(idle.err, new RegExp(`no docktor_observation of ${project}/idle since .*temporal\\.metrics_port`));
  });
});
