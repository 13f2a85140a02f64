// Events and metrics end to end (CONTRACT §2 "Events and metrics"): a real scale-up on the real
// Temporal dev server, of real processes (the process runtime), decided on a real HTTP source;
// its CloudEvents reach a webhook receiver (an HTTP server here that refuses the first POST, so
// the retry is seen to send the same id) and a NATS subscriber (the subject is in a JetStream
// stream, which keeps each id once); a sink that never answers is reported in status and dropped
// after events.retry_seconds; and a real Prometheus (Debian's package) scrapes the worker's
// metrics port for docktor's metrics and the SDK's.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { closeEventSinks } from '../../src/activities/deliver-events';
import { parseConfig, type Config } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { freePort } from '../../src/dev/free-port';
import { EVENT_TYPES } from '../../src/model/event-spec';
import { ProcessRuntime } from '../../src/runtimes/process';
import { externalSourceFor } from '../../src/sources/external/registry';
import { SecretStore } from '../../src/sources/secrets';
import { scalerWorkflowId, statusQuery } from '../../src/workflows/definitions';
import type { ScalerStatus } from '../../src/model/scaler-state';
import { createScalerWorker } from '../../src/worker';
import { DASHBOARD, dashboardQueries } from '../harness/grafana';
import { basicAuth, startPrometheus, type TestPrometheus } from '../harness/prometheus';
import { testNats, testTemporal } from '../harness/services';
import { until as pollUntil } from '../harness/until';

interface Received {
  id: string;
  type: string;
  source: string;
  specversion: string;
  time: string;
  data: { from: number; to: number; reason: string; direction?: string; observations: Record<string, number> };
}

/** Slower polls and a longer limit than the harness default: real brokers and processes. */
const until = <T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 30_000) => pollUntil(what, probe, ok, timeoutMs, 200);

describe('events and metrics (real Temporal, processes, webhook, NATS, Prometheus)', () => {
  const pid = process.pid;
  const subject = `docktor.events.t${pid}`;
  const stream = `DOCKTOR_EVENTS_T${pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-events-'));
  let backlog = 500;
  /** Every POST the webhook got: the event, and whether it was refused. */
  const posts: Array<{ event: Received; refused: boolean; authorization: string | undefined; path: string | undefined; contentType: string | undefined }> = [];
  const natsEvents: Received[] = [];
  let server: http.Server;
  let nc: NatsConnection;
  let prometheus: TestPrometheus;
  let c: ControlClient;
  let config: Config;
  let metricsPort: number;
  const runtime = new ProcessRuntime({ stateDir: path.join(dir, 'state') });
  let stopWorker: () => Promise<void>;

  before(async () => {
    server = http.createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/backlog') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ pending: backlog }));
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        const refused = posts.length === 0;
        posts.push({ event: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Received, refused, authorization: req.headers.authorization, path: req.url, contentType: req.headers['content-type'] });
        res.writeHead(refused ? 503 : 204).end(refused ? 'warming up' : undefined);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;

    const n = await testNats();
    nc = await connect({ servers: n.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [subject], duplicate_window: 60_000_000_000 });
    const sub = nc.subscribe(subject);
    void (async () => {
      for await (const m of sub) natsEvents.push(m.json<Received>());
    })();

    metricsPort = await freePort();
    prometheus = await startPrometheus([`127.0.0.1:${metricsPort}`]);
    const deadPort = await freePort();
    const t = await testTemporal();
    config = parseConfig(
      `project: ev${Date.now().toString(36)}
temporal: { task_queue: events-${pid}, namespace: ${t.namespace}, metrics_port: ${metricsPort} }
events:
  retry_seconds: 4
  sinks:
    - { kind: webhook, url: "http://127.0.0.1:${port}/hook/T0SECRET", headers: { Authorization: "Bearer hook-token" } }
    - { kind: nats, url: "${n.url}", subject: ${subject} }
    - { kind: webhook, name: dead, url: "http://127.0.0.1:${deadPort}/", timeout: 1 }
services:
  - name: worker
    min_replicas: 1
    max_replicas: 4
    check_interval: 0.5
    cooldown: { up: 0, down: 0 }
    rules:
      scale_up_when: [{ metric: external.pending, op: ">", value: 10 }]
      scale_down_when: [{ metric: external.pending, op: "<=", value: 10 }]
      step: { up: 2, down: 1 }
    external: [{ name: pending, kind: http, url: "http://127.0.0.1:${port}/backlog", value_path: pending }]
    runtime: { kind: process, command: ["${process.execPath}", "-e", "setInterval(() => {}, 1000)"], grace_period: 1 }
`,
      path.join(dir, 'docktor.yaml'),
    );
    const w = await createScalerWorker({
      temporal: config.temporal,
      address: t.address,
      plugins: { runtimeFor: () => runtime, queueSourceFor: () => assert.fail('no queue here'), externalSourceFor },
      secrets: SecretStore.of(config.project, config.services, config.file),
    });
    const running = w.worker.run();
    stopWorker = async () => {
      if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
      await running;
      await w.connection.close();
    };
    c = await connectClient(config.temporal, t.address);
  });

  after(async () => {
    if (c) {
      await scalers.down(c, config).catch(() => undefined);
      await c.close();
    }
    await stopWorker?.();
    await closeEventSinks();
    const service = config?.services[0];
    if (service?.runtime.kind === 'process') await runtime.ensure({ project: config.project, service, runtime: service.runtime }, 0).catch(() => undefined);
    await runtime.close();
    await prometheus?.stop();
    if (nc) {
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
    server?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a scale-up sends its CloudEvents to the webhook and NATS, retried with the same ids; status and Prometheus show it', async () => {
    await scalers.up(c, config);
    const h = c.client.workflow.getHandle(scalerWorkflowId(config.project, 'worker'));
    const delivered = () => posts.filter((p) => !p.refused).map((p) => p.event);
    const scaledTo = (events: Received[]) => events.filter((e) => e.type === EVENT_TYPES.scaled).map((e) => e.data.to);
    // The first POST is refused: its batch comes again a second later, possibly after later
    // batches (a scaler does not wait for its events), so events are ordered by their time.
    const refusedId = () => posts.find((p) => p.refused)?.event.id;
    await until('WorkersScaled from 0 and up to 4 at the webhook, and the refused event again', delivered, (es) => scaledTo(es).includes(4) && es.some((e) => e.id === refusedId()) && es.some((e) => e.type === EVENT_TYPES.scaled && e.data.from === 0));
    const inTime = () => delivered().sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const ups = inTime().filter((e) => e.type === EVENT_TYPES.scaled);
    assert.equal(ups[0]!.data.from, 0, 'from no process at all');
    assert.ok(ups.every((e, i) => e.data.to > e.data.from && (i === 0 || e.data.from === ups[i - 1]!.data.to)), JSON.stringify(ups.map((e) => e.data)));

    // The refused first POST was sent again, with the same id; nothing is delivered twice after.
    const refused = posts.find((p) => p.refused)!;
    assert.ok(delivered().some((e) => e.id === refused.event.id), `the refused ${refused.event.id} came again`);
    const ids = delivered().map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, `no id delivered twice: ${ids.join(', ')}`);

    // What each event says.
    const source = `docktor/${config.project}/worker`;
    for (const p of posts) {
      assert.equal(p.event.specversion, '1.0');
      assert.equal(p.event.source, source);
      assert.match(p.contentType ?? '', /^application\/cloudevents\+json/);
      // The scaler holds both masked; the worker restored them.
      assert.equal(p.authorization, 'Bearer hook-token');
      assert.equal(p.path, '/hook/T0SECRET');
    }
    const made = inTime().find((e) => e.type === EVENT_TYPES.decision)!;
    assert.deepEqual([made.data.from, made.data.to], [0, ups[0]!.data.to]);
    assert.match(made.data.reason, /^external\.pending 500 > 10\b/);
    assert.equal(made.data.observations['external.pending'], 500);
    const scaled = delivered().find((e) => e.type === EVENT_TYPES.scaled && e.data.to === 4)!;
    assert.deepEqual([scaled.data.from < 4, scaled.data.direction], [true, 'up']);
    assert.ok(scaled.id.startsWith(`${scalerWorkflowId(config.project, 'worker')}/`), scaled.id);

    // NATS got the same events, through JetStream (the stream keeps each id once).
    await until('the same events on NATS', () => natsEvents.map((e) => e.id), (got) => ids.every((id) => got.includes(id)));
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    assert.equal(info.state.messages, new Set(natsEvents.map((e) => e.id)).size);

    // Status: the webhook's one refusal was retried within the first round, so the sink never
    // counted as failing (the metric below counts the attempt); the dead sink failed and dropped its
    // events after retry_seconds.
    const st = await until('the dead sink to drop', () => h.query(statusQuery), (s: ScalerStatus) => (s.events.sinks.dead?.dropped ?? 0) > 0);
    const hook = st.events.sinks['webhook-0']!;
    assert.deepEqual([hook.failures, hook.last_error, hook.dropped], [0, null, 0]);
    assert.ok(hook.delivered >= ids.length, JSON.stringify(hook));
    const dead = st.events.sinks.dead!;
    assert.ok(dead.failures >= 1 && dead.last_error && dead.last_error.cleared_at === null, JSON.stringify(dead));
    assert.match(dead.last_error.message, /ECONNREFUSED/);
    assert.match(dead.last_error.at_iso, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(st.events.sinks['nats-1']!.failures, 0);
    assert.equal(st.paused, false);
    // The status shows the sinks' config masked.
    assert.ok(!JSON.stringify(st.config).includes('T0SECRET') && !JSON.stringify(st.config).includes('hook-token'));

    // The apply activity's summary names the change (what the Temporal UI shows).
    const summaries: string[] = [];
    for (const e of (await h.fetchHistory()).events ?? []) {
      const data = e.activityTaskScheduledEventAttributes && e.userMetadata?.summary?.data;
      if (data) summaries.push(JSON.parse(Buffer.from(data).toString('utf8')) as string);
    }
    for (const e of ups) assert.ok(summaries.includes(`apply replicas ${e.data.from}→${e.data.to} (process)`), summaries.join(' | '));

    // Prometheus scraped docktor's metrics and the SDK's from the one port.
    const q = async (query: string): Promise<number | undefined> => {
      const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`, { headers: { authorization: basicAuth() } });
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      const v = body.data.result[0]?.value[1];
      return v === undefined ? undefined : Number(v);
    };
    const sel = `project="${config.project}",service="worker"`;
    await until('docktor_replicas 4 in Prometheus', () => q(`docktor_replicas{${sel}}`), (v) => v === 4);
    assert.equal(await q(`docktor_desired_replicas{${sel}}`), 4);
    assert.ok((await q(`docktor_scale_events_total{${sel},direction="up"}`))! >= 2);
    assert.ok((await q(`sum(docktor_decisions_total{${sel}})`))! >= 2);
    assert.equal(await q(`docktor_observation{${sel},metric="external.pending"}`), 500);
    await until('delivery failures of the dead sink', () => q(`docktor_event_delivery_failures_total{${sel},sink="dead"}`), (v) => (v ?? 0) >= 3);
    assert.equal(await q(`docktor_event_delivery_failures_total{${sel},sink="webhook-0"}`), 1, 'the refused POST');
    assert.ok((await q('count({__name__=~"temporal_.+"})'))! > 0, 'the SDK\'s metrics are served too');
    // The Grafana dashboard's queries run, and those on data this run made have some.
    const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as unknown;
    for (const query of dashboardQueries(dashboard)) {
      const promql = query.replace(/label_values\(([^,)]*)(,[^)]*)?\)/, '$1').replaceAll('$__rate_interval', '1m').replace(/\$(project|service)\b/g, '.*');
      const run = async () => (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(promql)}`, { headers: { authorization: basicAuth() } })).json()) as { status: string; error?: string; data?: { result: unknown[] } };
      const body = await run();
      assert.equal(body.status, 'success', `${promql}: ${body.error}`);
      if (/docktor_(replicas|desired_replicas|decisions_total|scale_events_total)\b/.test(query)) {
        // A rate over a window needs two scrapes (1 s apart) of a series made a moment ago.
        const later = await pollUntil(`${promql} to have data`, run, (b) => (b.data?.result.length ?? 0) > 0, 10_000, 500);
        assert.ok((later.data?.result.length ?? 0) > 0, `${promql} has data`);
      }
    }

    // Backlog gone: a scale-down, and its events.
    backlog = 0;
    await until('WorkersScaled down', delivered, (es) => es.some((e) => e.type === EVENT_TYPES.scaled && e.data.direction === 'down'));
  });
});
