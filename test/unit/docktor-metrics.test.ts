// docktor's own Prometheus metrics (src/metrics/docktor-metrics.ts) as a scrape shows them, with a
// fake clock for the staleness rule (the scrape itself is tested with a real Prometheus in
// test/integration/events-metrics.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decide } from '../../src/decide/index';
import { createServer } from 'node:net';
import { DocktorMetrics } from '../../src/metrics/docktor-metrics';
import { serveMetrics } from '../../src/metrics/metrics-server';
import { OperationError } from '../../src/errors';
import { input, service } from './decide-fixtures';

const s = service({ rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }], scale_down_when: [], step: { up: 2, down: 1 } } });
const ref = { project: 'shop', service: 'worker', check_interval: 10 };

describe('docktor metrics', () => {
  it('a check and an apply, as exposition text', async () => {
    const m = new DocktorMetrics(() => 1_000_000);
    const decision = decide(input({ service: s, current: 2, observations: { 'queue.backlog': 500 } }));
    m.check(ref, { observations: { 'queue.backlog': 500, 'replicas.current': 2 }, failures: [{ source: 'external.jobs' }], replicas: 2, decision });
    m.applied(ref, 2, 4);
    const text = await m.text();
    const l = 'project="shop",service="worker"';
    for (const line of [
      `docktor_replicas{${l}} 4`,
      `docktor_desired_replicas{${l}} 4`,
      `docktor_decisions_total{${l},action="scale_up"} 1`,
      `docktor_scale_events_total{${l},direction="up"} 1`,
      `docktor_observation{${l},metric="queue.backlog"} 500`,
      `docktor_source_failures_total{${l},source="external.jobs"} 1`,
      `docktor_last_check_timestamp_seconds{${l}} 1000`,
    ]) assert.ok(text.includes(line), `${line} in:\n${text}`);
  });

  it('an observation missing at the next check is gone (absent, never a stale value)', async () => {
    const m = new DocktorMetrics(() => 1_000_000);
    m.check(ref, { observations: { 'queue.backlog': 5, 'cpu.avg_pct': 40 }, failures: [], replicas: 1, decision: null });
    m.check(ref, { observations: { 'queue.backlog': 6 }, failures: [], replicas: 1, decision: null });
    const text = await m.text();
    assert.match(text, /metric="queue\.backlog"\} 6/);
    assert.doesNotMatch(text, /cpu\.avg_pct/);
  });

  it('a scaler not updated for 3 check intervals (at least 60 s) is dropped; others stay', async () => {
    let now = 1_000_000;
    const m = new DocktorMetrics(() => now);
    m.check(ref, { observations: { 'queue.backlog': 5 }, failures: [], replicas: 1, decision: null });
    m.applied(ref, 1, 2);
    now += 30_000;
    m.check({ ...ref, service: 'other' }, { observations: {}, failures: [], replicas: 1, decision: null });
    now += 30_001;
    const text = await m.text();
    assert.doesNotMatch(text, /service="worker"/);
    assert.match(text, /docktor_replicas\{project="shop",service="other"\} 1/);
  });

  it('serves /metrics with the SDK exporter\'s text appended; a port in use is an error naming the setting', async () => {
    const sdk = createServer((sock) => sock.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\ntemporal_fake_total 7\n'));
    await new Promise<void>((r) => sdk.listen(0, '127.0.0.1', r));
    const m = new DocktorMetrics();
    m.applied(ref, 1, 2);
    const served = await serveMetrics(0, m, (sdk.address() as { port: number }).port, '127.0.0.1').catch((e: unknown) => assert.fail(String(e)));
    try {
      const res = await fetch(`http://127.0.0.1:${served.port}/metrics`);
      const text = await res.text();
      assert.match(text, /^docktor_replicas\{project="shop",service="worker"\} 2$/m);
      assert.match(text, /^temporal_fake_total 7$/m);
      assert.equal((await fetch(`http://127.0.0.1:${served.port}/`)).status, 404);
    } finally {
      await served.close();
    }
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const busyPort = (busy.address() as { port: number }).port;
    const err = await serveMetrics(busyPort, m, 1, '127.0.0.1').then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof OperationError && /temporal\.metrics_port: port \d+ is in use/.test(err.message), String(err));
    busy.close();
    sdk.close();
  });
});
