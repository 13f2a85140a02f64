// Discovery end to end on the Temporal dev server, with real Redis and RabbitMQ: a `discover:` entry
// over Redis lists; a list that appears gets a scaler, which starts real processes (runtime kind
// process); a list that is deleted has its scaler stopped after the grace period, its processes
// left running; a queue `services:` already scales is left alone; a restarted discovery adopts
// the scaler it finds instead of starting a second one; secrets stay out of workflow histories.
// Then the same appear/disappear cycle over RabbitMQ queues listed by the management API.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import amqp from 'amqplib';
import Redis from 'ioredis';
import { loadConfig, type Config } from '../../src/config/load';
import { ServiceSchema } from '../../src/config/service';
import { connectClient, type ControlClient } from '../../src/control/client';
import { discoveryStatuses, downDiscovery, upDiscovery } from '../../src/control/discovery';
import * as scalers from '../../src/control/scalers';
import { closeQueueSources, queueSourceFor } from '../../src/queues/registry';
import { ProcessRuntime } from '../../src/runtimes/process';
import { SecretStore } from '../../src/sources/secrets';
import { scalerWorkflowId } from '../../src/workflows/definitions';
import type { DiscoveryStatus } from '../../src/model/discovery';
import { discoveryWorkflowId } from '../../src/workflows/discovery-definitions';
import { createScalerWorker, workflowBundle } from '../../src/worker';
import { runCli } from '../harness/cli';
import { testRabbitmq } from '../harness/rabbitmq';
import { testRedis } from '../harness/redis';
import { testTemporal } from '../harness/services';
import { until as pollUntil } from '../harness/until';

const DB = 7;

/** Records its queue argument and its environment's token, then idles until SIGTERM. */
const WORKER_JS = `
const fs = require('fs');
const path = require('path');
fs.writeFileSync(path.join(process.env.OUT_DIR, process.argv[2] + '-' + process.pid + '.json'), JSON.stringify({ queue: process.argv[2], token: process.env.API_TOKEN }));
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 1000);
`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Slower polls and a longer limit than the harness default: real brokers and processes. */
const until = <T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 30_000) => pollUntil(what, probe, ok, timeoutMs, 200);

/** A project with a worker of its own (process runtime, real queue sources) on the dev server. */
interface Project {
  id: string;
  dir: string;
  configFile: string;
  config: Config;
  c: ControlClient;
  address: string;
  /** The process runtime's field, for the discover template and services (`{queue}` → its argument). */
  processRuntime(arg: string): string;
  /** The worker processes that have started: their queue argument, token and pid. */
  workers(): Array<{ queue: string; token: string; pid: number }>;
  status(): Promise<DiscoveryStatus | undefined>;
  /** Stops discoveries, scalers, the worker, and the processes of these services. */
  close(services: string[]): Promise<void>;
}

async function discoveryProject(id: string, yaml: (p: Pick<Project, 'processRuntime'>) => string): Promise<Project> {
  const t = await testTemporal();
  const project = `disc-${id}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-discovery-'));
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(dir, 'worker.js'), WORKER_JS);
  const runtime = new ProcessRuntime({ stateDir: path.join(dir, 'state') });
  const processRuntime = (arg: string) =>
    `{ kind: process, command: [${JSON.stringify(process.execPath)}, worker.js, "${arg}"], env: { OUT_DIR: ${JSON.stringify(out)}, API_TOKEN: tok-${id} }, grace_period: 1 }`;
  const configFile = path.join(dir, 'docktor.yaml');
  fs.writeFileSync(configFile, `project: ${project}\ntemporal: { namespace: ${t.namespace}, task_queue: ${project} }\n${yaml({ processRuntime })}`);
  const config = loadConfig(configFile);
  const c = await connectClient(config.temporal, t.address);
  const w = await createScalerWorker({
    temporal: config.temporal,
    address: t.address,
    plugins: { runtimeFor: () => runtime, queueSourceFor },
    secrets: SecretStore.of(config.project, config.services, configFile, config.discover),
  });
  const running = w.worker.run().finally(() => w.connection.close());
  return {
    id,
    dir,
    configFile,
    config,
    c,
    address: t.address,
    processRuntime,
    workers: () =>
      fs.readdirSync(out).map((f) => ({ ...(JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as { queue: string; token: string }), pid: Number(/-(\d+)\.json$/.exec(f)![1]) })),
    status: async () => (await discoveryStatuses(c, config))[0],
    async close(services) {
      await downDiscovery(c, config).catch(() => undefined);
      await scalers.down(c, config).catch(() => undefined);
      if (w.worker.getState() === 'RUNNING') w.worker.shutdown();
      await running;
      await c.close();
      // The replicas a stopped scaler leaves are the test's to remove.
      const template = ServiceSchema.parse({ name: 'x', max_replicas: 1, rules: {}, runtime: { kind: 'process', command: ['true'] } });
      for (const name of services) await runtime.ensure({ project, service: { ...template, name }, runtime: template.runtime as never }, 0).catch(() => undefined);
      await runtime.close();
      await closeQueueSources();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

const RULES = '{ scale_up_when: [{ metric: queue.backlog, op: ">", value: 0 }], scale_down_when: [{ metric: queue.backlog, op: "==", value: 0 }], step: { up: 2, down: 1 } }';

describe('discovery (Temporal dev server, real Redis, real processes)', () => {
  const id = randomBytes(3).toString('hex');
  const project = `disc-${id}`;
  const prefix = `disc-${id}-`;
  let p: Project;
  let redis: Redis;
  let config: Config;
  let c: ControlClient;

  before(async () => {
    const url = (await testRedis()).url(DB);
    redis = new Redis(url);
    p = await discoveryProject(
      id,
      ({ processRuntime }) => `services:
  - name: taken
    min_replicas: 0
    max_replicas: 1
    rules: ${RULES}
    queue: { kind: redis, url: "${url}", format: list, queue: ${prefix}taken }
    runtime: ${processRuntime('taken')}
discover:
  - name: lists
    queue: { kind: redis, url: "${url}", format: list }
    match: "${prefix}*"
    interval: 1
    grace_period: 3
    template:
      name: "w-{queue}"
      min_replicas: 0
      max_replicas: 2
      check_interval: 0.5
      rules: ${RULES}
      cooldown: { up: 0, down: 3600 }
      runtime: ${processRuntime('{queue}')}
`,
    );
    ({ config, c } = p);
  });

  after(async () => {
    await p.close(['taken', `w-${prefix}a`]);
    await redis.del(`${prefix}a`, `${prefix}taken`);
    redis.disconnect();
  });

  const status = () => p.status();
  const workers = () => p.workers();

  it('a queue that appears gets one scaler, which scales its processes; a queue services: scales is left alone', async () => {
    const [started] = await upDiscovery(c, config);
    assert.equal(started?.outcome, 'started');
    assert.equal(started?.workflowId, discoveryWorkflowId(project, 'lists'));
    // Generous: the worker bundles the workflow code first (seconds, more on a busy machine).
    await until('a first listing', status, (s) => (s?.listings ?? 0) > 0, 90_000);

    await redis.rpush(`${prefix}a`, 'j1', 'j2', 'j3');
    await redis.rpush(`${prefix}taken`, 'j1');
    const st = await until('a scaler for the new queue', status, (s) => s?.scalers.length === 1 && s.skipped.length === 1);
    const service = `w-${prefix}a`;
    assert.deepEqual(st!.scalers.map((s) => [s.queue, s.service, s.workflow_id]), [[`${prefix}a`, service, scalerWorkflowId(project, service)]]);
    assert.deepEqual(st!.skipped, [{ queue: `${prefix}taken`, reason: 'a service in services: scales this queue (docktor.yaml wins)' }]);

    // The backlog (3 > 0) scales it 0 → 2 (its max): two real processes, given the queue and the real secret.
    const procs = await until('two worker processes', async () => workers().filter((w) => w.queue === `${prefix}a`), (ws) => ws.length === 2);
    assert.ok(procs.every((p) => p.token === `tok-${id}` && alive(p.pid)));

    // Secrets are masked in both workflows' histories; the worker restored the real one above.
    for (const wf of [discoveryWorkflowId(project, 'lists'), scalerWorkflowId(project, service)]) {
      const history = JSON.stringify(await c.client.workflow.getHandle(wf).fetchHistory());
      assert.ok(!history.includes(Buffer.from(`tok-${id}`).toString('base64')) && !history.includes(`tok-${id}`), `${wf} history holds the secret`);
    }

    // `docktor status` shows the discovered scaler and the skipped queue.
    const shown = await runCli(['status', '-c', p.configFile], { cwd: p.dir, env: { DOCKTOR_TEMPORAL_ADDRESS: p.address } });
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, new RegExp(`${service} \\[discover lists\\]\\s+2 \\(0\\.\\.2\\)`));
    assert.match(shown.out, new RegExp(`discover lists: 1 scaler\\(s\\) for 1 redis queue\\(s\\) matching '${prefix}\\*'`));
    assert.match(shown.out, new RegExp(`discover lists: skipped queue '${prefix}taken': a service in services: scales this queue`));
    assert.equal((await scalers.status(c, config, service))[0]?.service, service, 'a discovered scaler is found by name');
    assert.ok((await scalers.explain(c, config, undefined, 5)).some((e) => e.service === service && e.action === 'scale_up'), 'explain shows discovered scalers');
  });

  it('a restarted discovery adopts the running scaler instead of starting a second one', async () => {
    const service = `w-${prefix}a`;
    const scaler = c.client.workflow.getHandle(scalerWorkflowId(project, service));
    const runBefore = (await scaler.describe()).runId;
    // Terminated, the discovery cannot stop its scalers: they run on (ABANDON), and a new one finds them.
    await c.client.workflow.getHandle(discoveryWorkflowId(project, 'lists')).terminate('test: lost discovery');
    const [again] = await upDiscovery(c, config);
    assert.equal(again?.outcome, 'started');
    const st = await until('the scaler adopted', status, (s) => s?.scalers.length === 1);
    assert.equal(st!.scalers[0]!.service, service);
    assert.equal((await scaler.describe()).runId, runBefore, 'the same scaler run, not a second one');
    assert.equal((await upDiscovery(c, config))[0]?.outcome, 'unchanged');
  });

  it('a queue that is deleted has its scaler stopped after the grace period; its processes stay', async () => {
    const service = `w-${prefix}a`;
    const scaler = c.client.workflow.getHandle(scalerWorkflowId(project, service));
    const procs = workers().filter((w) => w.queue === `${prefix}a`);
    await redis.del(`${prefix}a`);
    const goneAt = Date.now();
    const marked = await until('the queue marked gone', status, (s) => s?.scalers[0]?.missing_since != null);
    assert.equal(marked!.scalers.length, 1, 'not stopped before the grace period');
    await until('the scaler stopped', async () => (await scaler.describe()).status.name, (s) => s !== 'RUNNING');
    assert.ok(Date.now() - goneAt >= 3000, `stopped ${Date.now() - goneAt} ms after the queue went, before the 3 s grace period`);
    assert.deepEqual((await status())!.scalers, []);
    assert.ok(procs.length === 2 && procs.every((p) => alive(p.pid)), 'the replicas are left as they are');
  });

  it('replays the discovery\'s history deterministically', async () => {
    const h = c.client.workflow.getHandle(discoveryWorkflowId(project, 'lists'));
    const history = await h.fetchHistory();
    assert.ok((history.events?.length ?? 0) > 20, 'a history with listings, a start and a stop');
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [{ workflowId: h.workflowId, history }])) {
      assert.equal(r.error, undefined, `${r.workflowId}: ${String(r.error)}`);
    }
  });
});

describe('discovery (Temporal dev server, real RabbitMQ through its management API, real processes)', () => {
  const id = randomBytes(3).toString('hex');
  const prefix = `disc-${id}-`;
  const queue = `${prefix}jobs`;
  let p: Project;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;

  before(async () => {
    const rabbit = await testRabbitmq();
    conn = await amqp.connect(rabbit.url);
    ch = await conn.createChannel();
    p = await discoveryProject(
      id,
      ({ processRuntime }) => `discover:
  - queue: { kind: rabbitmq, url: "${rabbit.url}", management_url: "${rabbit.management_url}" }
    match: "${prefix}*"
    interval: 1
    grace_period: 2
    template:
      min_replicas: 1
      max_replicas: 2
      check_interval: 0.5
      rules: ${RULES}
      runtime: ${processRuntime('{queue}')}
`,
    );
  });

  after(async () => {
    await p.close([queue]);
    await ch.deleteQueue(queue).catch(() => undefined);
    await conn.close().catch(() => undefined);
  });

  it('a declared queue gets a scaler and its process; a deleted one has the scaler stopped, the process left', async () => {
    assert.equal((await upDiscovery(p.c, p.config))[0]?.outcome, 'started');
    await until('a first listing', p.status, (s) => (s?.listings ?? 0) > 0, 90_000);
    await ch.assertQueue(queue, { durable: false });
    const st = await until('a scaler for the declared queue', p.status, (s) => s?.scalers.length === 1);
    assert.equal(st!.scalers[0]!.service, queue);
    const [proc] = await until('its process (min_replicas 1)', async () => p.workers().filter((w) => w.queue === queue), (ws) => ws.length === 1);

    await ch.deleteQueue(queue);
    const scaler = p.c.client.workflow.getHandle(scalerWorkflowId(p.config.project, queue));
    await until('the scaler stopped', async () => (await scaler.describe()).status.name, (s) => s !== 'RUNNING');
    assert.deepEqual((await p.status())!.scalers, []);
    assert.ok(alive(proc!.pid), 'the replica is left as it is');
  });
});
