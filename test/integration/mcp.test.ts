// `docktor mcp` with the MCP SDK's own client, over stdio and streamable HTTP, against the real
// Temporal dev server, a real NATS JetStream queue and real process replicas supervised by a
// worker: the agent lists the tools, reads the queue, asks the engine, pins the replica count and
// sees it in `explain`; read-only mode refuses writes; an unreachable Temporal or NATS is a tool
// error and the server goes on answering.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Worker } from '@temporalio/worker';
import { loadConfig, type Config } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { freePort } from '../../src/dev/free-port';
import { queueSourceFor, closeQueueSources } from '../../src/queues/registry';
import { createRuntimeRegistry, runtimeFor, type RuntimeRegistry } from '../../src/runtimes/registry';
import type { Runtime } from '../../src/runtimes/runtime';
import { createScalerWorker } from '../../src/worker';
import { runCli } from '../harness/cli';
import { mcpOverHttp, mcpOverStdio, type McpConnection } from '../harness/mcp-client';
import { testNats, testTemporal } from '../harness/services';
import { killAllRecorded, makeFixture, outDirOf, recordedPids, waitFor, type Fixture } from './process-fixtures';

const TASK_QUEUE = `mcp-${process.pid}`;
const BACKLOG = 300;
const ALL_TOOLS = ['apply_scale', 'decide_scale_multi', 'explain', 'get_queue_metrics', 'get_service_metrics', 'pause', 'resume', 'simulate', 'status', 'tune'];

interface Entry {
  action: string;
  from: number;
  to: number;
  reason: string;
  limited_by: string | null;
}

describe('docktor mcp (real Temporal, NATS and process replicas)', () => {
  let f: Fixture;
  let file = '';
  let config: Config;
  let env: NodeJS.ProcessEnv = {};
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let stream = '';
  let registry: RuntimeRegistry;
  let worker: Worker;
  let running: Promise<void>;
  let control: ControlClient;
  let mcp: McpConnection;

  before(async () => {
    const [t, nats] = await Promise.all([testTemporal(), testNats()]);
    f = makeFixture('mcp');
    f.project = `mcp${Date.now().toString(36)}`;
    fs.mkdirSync(outDirOf(f, 'worker'), { recursive: true });
    stream = `DOCKTOR_MCP_${process.pid}_${Date.now()}`;
    nc = await connect({ servers: nats.url, timeout: 3000 });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await jsm.consumers.add(stream, { durable_name: 'WORKERS', ack_policy: AckPolicy.Explicit });
    const js = jetstream(nc);
    await Promise.all(Array.from({ length: BACKLOG }, (_, i) => js.publish(`${stream}.work`, `m${i}`)));

    file = path.join(f.root, 'docktor.yaml');
    fs.writeFileSync(
      file,
      JSON.stringify({
        project: f.project,
        temporal: { namespace: t.namespace, task_queue: TASK_QUEUE },
        services: [
          {
            name: 'worker',
            min_replicas: 1,
            max_replicas: 3,
            check_interval: 1,
            rules: {
              scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }],
              scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 10 }],
              step: { up: 1, down: 1 },
            },
            queue: { kind: 'nats', url: nats.url, stream, consumer: 'WORKERS' },
            runtime: { kind: 'process', command: [process.execPath, f.script], env: { OUT_DIR: outDirOf(f, 'worker'), MODE: 'graceful' }, cwd: f.root, grace_period: 5 },
          },
          { name: 'idle', max_replicas: 2, rules: {}, runtime: { kind: 'process', command: [process.execPath, f.script], cwd: f.root } },
        ],
      }),
    );
    config = loadConfig(file);
    env = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: t.address, DOCKTOR_STATE_DIR: f.stateDir };

    registry = createRuntimeRegistry({ process: { stateDir: f.stateDir } });
    const w = await createScalerWorker({
      temporal: config.temporal,
      address: t.address,
      plugins: { runtimeFor: (target) => runtimeFor(target, registry), queueSourceFor },
    });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
    control = await connectClient(config.temporal, t.address);
    mcp = await mcpOverStdio(['-c', file], env, f.root);
  });

  after(async () => {
    await mcp?.close();
    if (control) {
      await scalers.down(control, config).catch(() => undefined);
      await control.close();
    }
    const service = config?.services[0];
    if (service && registry) {
      const target = { project: f.project, service, runtime: service.runtime };
      await runtimeFor(target, registry).ensure(target, 0).catch(() => undefined);
    }
    worker?.shutdown();
    await running;
    if (registry) await Promise.all(Object.values(registry).map((r: Runtime) => r.close()));
    await closeQueueSources();
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
    if (f) killAllRecorded(f);
  });

  it('lists every tool of CONTRACT §7 with a JSON Schema input, and the scalers as resources', async () => {
    const { tools } = await mcp.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS);
    for (const t of tools) {
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.ok((t.description ?? '').length > 80, `${t.name} has a description an agent can act on`);
    }
    const apply = tools.find((t) => t.name === 'apply_scale');
    assert.deepEqual(apply?.inputSchema.required, ['service', 'target_replicas', 'reason']);
    assert.deepEqual((apply?.inputSchema.properties?.service as { enum: string[] }).enum, ['worker', 'idle']);
    const { resources } = await mcp.client.listResources();
    assert.deepEqual(resources.map((r) => r.uri).sort(), [
      `docktor://${f.project}/idle/history`,
      `docktor://${f.project}/idle/status`,
      `docktor://${f.project}/worker/history`,
      `docktor://${f.project}/worker/status`,
    ]);
  });

  it('reads the queue and the service metrics', async () => {
    const q = await mcp.call('get_queue_metrics', { service: 'worker' });
    assert.equal(q.isError, false, q.text);
    const obs = q.structured?.observations as Record<string, number>;
    assert.equal(obs['queue.backlog'], BACKLOG, q.text);
    assert.ok(Object.keys(obs).every((k) => k.startsWith('queue.')), q.text);
    assert.deepEqual(JSON.parse(q.text), q.structured, 'the text is the same JSON as the structured content');

    const s = await mcp.call('get_service_metrics', { service: 'worker' });
    assert.equal(s.isError, false, s.text);
    const all = s.structured?.observations as Record<string, number>;
    assert.equal(all['queue.backlog'], BACKLOG, s.text);
    assert.equal(typeof all['replicas.current'], 'number', s.text);
  });

  it('decides with the pure engine, from a configured service or a service config', async () => {
    const d = await mcp.call('decide_scale_multi', { service: 'worker', current_replicas: 1, observations: { 'queue.backlog': BACKLOG }, now: 1_700_000_000 });
    assert.equal(d.isError, false, d.text);
    assert.deepEqual([d.structured?.action, d.structured?.target_replicas, d.structured?.reason], ['scale_up', 2, `queue.backlog ${BACKLOG} > 100`]);

    const own = await mcp.call('decide_scale_multi', {
      service: { name: 'x', max_replicas: 20, strategy: 'target', target: { metrics: [{ metric: 'queue.backlog', type: 'average', value: 100 }] } },
      current_replicas: 1,
      observations: { 'queue.backlog': 1000 },
    });
    assert.equal(own.isError, false, own.text);
    assert.equal(own.structured?.target_replicas, 10, own.text);

    const bad = await mcp.call('decide_scale_multi', { service: { name: 'x', max_replicas: 2 }, current_replicas: -1, observations: {} });
    assert.equal(bad.isError, true);
    assert.match(bad.text, /current_replicas/);
    assert.match(bad.text, /required when strategy is rules at service\.rules/);

    // A config that fails on a field names the field and the reason, in the CLI's words (not "Invalid input at service").
    const typo = await mcp.call('decide_scale_multi', { service: { name: 'x', max_replicas: 'lots', rules: {}, colour: 'blue' }, current_replicas: 1, observations: {} });
    assert.equal(typo.isError, true);
    assert.match(typo.text, /must be a number, got the string "lots" at service\.max_replicas/);
    assert.match(typo.text, /unknown field \(check the spelling; see `docktor config schema`\) at service\.colour/);
    assert.doesNotMatch(typo.text, /Invalid input/);
    const unknown = await mcp.call('decide_scale_multi', { service: 'nope', current_replicas: 1, observations: {} });
    assert.equal(unknown.isError, true);
    assert.match(unknown.text, /no service "nope" in project '[^']+' \(one of: worker, idle\), nor a service config at service/);
  });

  it('simulates a trace under a service policy', async () => {
    const r = await mcp.call('simulate', { service: 'worker', trace_text: Array.from({ length: 120 }, () => '3').join('\n'), service_time: 0.5, startup_delay: 2 });
    assert.equal(r.isError, false, r.text);
    assert.equal(r.structured?.messages, 360);
    assert.equal(r.structured?.duration_s, 120);
    fs.writeFileSync(path.join(f.root, 'trace.txt'), '10\n10\n');
    const fromFile = await mcp.call('simulate', { service: 'worker', trace_file: 'trace.txt' });
    assert.equal(fromFile.structured?.messages, 20, 'trace_file is relative to the config file: ' + fromFile.text);
    const none = await mcp.call('simulate', { service: 'worker' });
    assert.equal(none.isError, true);
    assert.match(none.text, /^trace_file, trace_text: give exactly one of them/);
    // no_rates: a source without counters (issue 28), so a rule on queue.rate_in never fires.
    const onRates = { name: 'r', min_replicas: 1, max_replicas: 5, check_interval: 5, rules: { scale_up_when: [{ metric: 'queue.rate_in', op: '>', value: 1 }] } };
    const trace_text = Array.from({ length: 120 }, () => '3').join('\n');
    const counted = await mcp.call('simulate', { service: onRates, trace_text });
    const counterless = await mcp.call('simulate', { service: onRates, trace_text, no_rates: true });
    assert.deepEqual([(counted.structured?.peak_replicas as number) > 1, counterless.structured?.peak_replicas], [true, 1], counted.text + counterless.text);
    const bad = await mcp.call('simulate', { service: { name: 'x', max_replicas: -1, rules: {} }, trace_text: '1\n' });
    assert.equal(bad.isError, true);
    assert.match(bad.text, /must be >= 0 at service\.max_replicas/);
    assert.doesNotMatch(bad.text, /Invalid input/);
  });

  it('tunes a service on a trace: recommends (CONTRACT §8), never applies', async () => {
    // 25 minutes: 2 messages/s, with a burst of 6/s for a minute every 5 minutes.
    const trace_text = Array.from({ length: 1500 }, (_, s) => (s % 300 < 60 ? '6' : '2')).join('\n');
    const r = await mcp.call('tune', { service: 'worker', trace_text, service_time: 0.5, startup_delay: 2, budget: 3 });
    assert.equal(r.isError, false, r.text);
    const s = r.structured as { service: string; holdout: { from_s: number }; current: { figures: { worker_seconds: number } }; recommended: { config: { name: string }; figures: { breach_seconds: number } }; allowance: { holdout_s: number } };
    assert.equal(s.service, 'worker');
    assert.equal(s.holdout.from_s, 1050);
    assert.ok(s.current.figures.worker_seconds > 0);
    assert.equal(s.recommended.config.name, 'worker');
    assert.ok(s.recommended.figures.breach_seconds <= s.allowance.holdout_s);
    const short = await mcp.call('tune', { service: 'worker', trace_text: '2\n'.repeat(300), service_time: 0.5 });
    assert.equal(short.isError, true);
    assert.match(short.text, /too little traffic to judge: 300 s/);
  });

  it('pins the replica count with apply_scale; explain, status and the resources show it; resume ends it', async () => {
    const notRunning = await mcp.call('status', { service: 'worker' });
    assert.equal(notRunning.isError, true);
    assert.match(notRunning.text, /the scaler of 'worker' is not running .*start it with `docktor up worker`/);

    await scalers.up(control, config, ['worker']);
    await waitFor('the scaler to reach max_replicas (3) on the backlog', () => recordedPids(f, 'worker').size === 3, 30_000);

    const outside = await mcp.call('apply_scale', { service: 'worker', target_replicas: 9, reason: 'too many' });
    assert.equal(outside.isError, true);
    assert.match(outside.text, /override rejected: replicas 9 is outside worker's min_replicas\.\.max_replicas \(1\.\.3\)/);
    const typo = await mcp.call('apply_scale', { service: 'worker', replicas: 2, reason: 'x' });
    assert.equal(typo.isError, true);
    assert.match(typo.text, /target_replicas/);
    assert.match(typo.text, /Unrecognized key: "replicas"/);

    const pinned = await mcp.call('apply_scale', { service: 'worker', target_replicas: 2, reason: 'load test', duration_seconds: 3600 });
    assert.equal(pinned.isError, false, pinned.text);
    const override = pinned.structured?.override as { replicas: number; until: number; reason: string };
    assert.equal(override.replicas, 2);
    assert.match(override.reason, /^load test/);
    assert.ok(Math.abs(override.until - Date.now() / 1000 - 3600) < 60, pinned.text);
    await waitFor('the pin to be applied (2 process replicas)', () => recordedPids(f, 'worker').size === 2, 30_000);

    let entries: Entry[] = [];
    await waitFor('the override in explain', async () => {
      const ex = await mcp.call('explain', { service: 'worker', tail: 20 });
      assert.equal(ex.isError, false, ex.text);
      entries = ex.structured?.entries as Entry[];
      return entries.some((e) => e.limited_by === 'override' && e.to === 2);
    });
    const e = entries.find((x) => x.limited_by === 'override')!;
    assert.match(e.reason, /^override to 2: load test/);
    assert.ok(entries.some((x) => x.action === 'scale_up' && x.reason === `queue.backlog ${BACKLOG} > 100`), JSON.stringify(entries));

    const st = await mcp.call('status', { service: 'worker' });
    assert.equal((st.structured?.override as { replicas: number }).replicas, 2);
    const all = await mcp.call('status');
    assert.deepEqual((all.structured?.services as Array<{ service: string; running: boolean }>).map((s) => [s.service, s.running]), [['worker', true], ['idle', false]]);

    const res = await mcp.client.readResource({ uri: `docktor://${f.project}/worker/status` });
    const text = (res.contents[0] as { text: string }).text;
    assert.equal((JSON.parse(text) as { override: { replicas: number } }).override.replicas, 2);
    const hist = await mcp.client.readResource({ uri: `docktor://${f.project}/worker/history` });
    assert.ok((JSON.parse((hist.contents[0] as { text: string }).text) as Entry[]).some((x) => x.limited_by === 'override'));
    await assert.rejects(mcp.client.readResource({ uri: `docktor://other/worker/status` }), /project "other" is not this server's project/);

    const paused = await mcp.call('pause', { service: 'worker', reason: 'investigating' });
    assert.equal(paused.isError, false, paused.text);
    await waitFor('paused in status', async () => ((await mcp.call('status', { service: 'worker' })).structured?.pause as { reason?: string } | null)?.reason?.startsWith('investigating'));
    const resumed = await mcp.call('resume', { service: 'worker' });
    assert.equal(resumed.isError, false, resumed.text);
    await waitFor('the override gone', async () => {
      const s = await mcp.call('status', { service: 'worker' });
      return s.structured?.override === null && s.structured?.paused === false;
    });
    await waitFor('back to 3 replicas after resume', () => recordedPids(f, 'worker').size === 3, 30_000);
  });

  it('read-only over streamable HTTP: no write tools, writes refused; loopback only', async () => {
    const ro = await mcpOverHttp(['-c', file, '--read-only'], env);
    try {
      assert.match(ro.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const { tools } = await ro.client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ALL_TOOLS.filter((n) => !['apply_scale', 'pause', 'resume'].includes(n)));
      const refused = await ro.call('apply_scale', { service: 'worker', target_replicas: 1, reason: 'x' });
      assert.equal(refused.isError, true);
      assert.match(refused.text, /Tool apply_scale not found/);
      const st = await ro.call('status', { service: 'worker' });
      assert.equal(st.isError, false, st.text);
      assert.equal(st.structured?.service, 'worker');

      // DNS rebinding: a loopback server answers only to loopback host names.
      const port = new URL(ro.url).port;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { host: `evil.example:${port}`, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end('{}');
      });
      assert.equal(status, 403);
      assert.equal((await fetch(ro.url)).status, 405, 'GET: the server is stateless, no SSE stream');
      assert.equal((await fetch(new URL('/other', ro.url))).status, 404);
    } finally {
      await ro.close();
    }
  });

  it('bad usage exits 2 before serving', async () => {
    const missing = await runCli(['mcp', '-c', 'nope.yaml'], { cwd: f.root });
    assert.equal(missing.code, 2);
    assert.match(missing.err, /config file not found: nope\.yaml/);
    const port = await runCli(['mcp', '-c', file, '--http', '70000'], { cwd: f.root });
    assert.equal(port.code, 2);
    assert.match(port.err, /--http: 70000 is not a port number/);
  });

  it('an unreachable Temporal or NATS is a tool error with the fix; the server keeps answering', async () => {
    const [temporalPort, natsPort] = await Promise.all([freePort(), freePort()]);
    const broken = path.join(f.root, 'broken.yaml');
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { services: Array<{ queue?: { url: string } }> };
    raw.services[0]!.queue!.url = `nats://127.0.0.1:${natsPort}`;
    fs.writeFileSync(broken, JSON.stringify(raw));
    const down = await mcpOverStdio(['-c', broken], { ...env, DOCKTOR_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}` }, f.root);
    try {
      const st = await down.call('status', { service: 'worker' });
      assert.equal(st.isError, true);
      assert.match(st.text, new RegExp(`cannot reach Temporal at 127\\.0\\.0\\.1:${temporalPort} .*is \`docktor dev\` or your Temporal server running\\? \\(config: temporal\\.address\\)`));
      const q = await down.call('get_queue_metrics', { service: 'worker' });
      assert.equal(q.isError, true);
      assert.match(q.text, new RegExp(`NATS unreachable at nats://127\\.0\\.0\\.1:${natsPort}.*is nats-server running there\\? \\(queue\\.url\\)`));
      const d = await down.call('decide_scale_multi', { service: 'worker', current_replicas: 1, observations: {} });
      assert.equal(d.isError, false, `still serving after the failures: ${d.text}`);
    } finally {
      await down.close();
    }
  });
});
