// End to end, per framework format: a burst of jobs from the framework's real producer, docktor
// (real `docktor worker` and CLI, process runtime) scales the framework's real workers up, the
// backlog drains, docktor scales back to min, and no job is lost (every job number is in the
// workers' done set, and the framework's own view of the queue is empty). One config with one
// service per framework and one `docktor worker` for all, so the worker's start-up is paid once.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import Redis from 'ioredis';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load';
import type { ProcessRuntimeConfig } from '../../src/config/runtime';
import { connectClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { ProcessRuntime } from '../../src/runtimes/process';
import type { Config } from '../../src/config/load';
import type { ControlClient } from '../../src/control/client';
import type { HistoryEntry } from '../../src/model/scaler-state';
import { ensureFramework, FIXTURES, frameworkEnv, FRAMEWORKS, type Framework, type FrameworkQueue } from '../harness/redis-frameworks';
import { testRedis } from '../harness/redis';
import { stopTestServices, testTemporal } from '../harness/services';
import { docktor, docktorArgv, startBackground, type Background } from './cli';


const JOBS = 240;
const WORK_MS = 100;

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T>, done: (v: T) => boolean, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch {
      // not yet
    }
    await sleep(250);
  }
  assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 400)}\n${context()}`);
}

// Databases no other test file uses (the integration tests have 7 and 10-14, the Laravel example
// 15): `npm test` runs this file beside the integration files (scripts/run-tests.js, ALONGSIDE).
const DBS = { bullmq: 2, sidekiq: 3, laravel: 4, celery: 5 } as const;
type Format = keyof typeof DBS;

interface Setup {
  file: string;
  config: Config;
  project: string;
  stateDir: string;
  env: NodeJS.ProcessEnv;
  queues: Record<Format, FrameworkQueue>;
  worker: Background;
  client: ControlClient;
}
let setup: Setup | undefined;

before(async () => {
  for (const f of Object.values(FRAMEWORKS)) await ensureFramework(f);
  const temporal = await testTemporal();
  const redis = await testRedis();
  const id = randomBytes(3).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-e2e-redis-'));
  const project = `e2e-redis-${id}`;
  const queues = Object.fromEntries(
    (Object.keys(DBS) as Format[]).map((f) => [f, { redis, db: DBS[f], queue: `docktor-e2e-${f}-${id}`, done_key: `docktor-test:${id}:${f}:done`, work_ms: WORK_MS }]),
  ) as Record<Format, FrameworkQueue>;
  const service = (f: Format) => ({
    name: f,
    min_replicas: 1,
    max_replicas: 3,
    check_interval: 1,
    metrics_window: 5,
    strategy: 'rules',
    rules: {
      scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 20 }],
      scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 0 }],
      step: { up: 2, down: 1 },
    },
    cooldown: { up: 5, down: 2 },
    queue: { kind: 'redis', url: redis.url(DBS[f]), format: f, queue: queues[f].queue },
    runtime: { kind: 'process', command: FRAMEWORKS[f].worker(queues[f]), env: frameworkEnv(queues[f]), cwd: FIXTURES, grace_period: 15 },
  });
  const file = path.join(dir, 'docktor.yaml');
  fs.writeFileSync(file, stringify({ version: '1', temporal: { namespace: temporal.namespace, task_queue: project }, project, services: (Object.keys(DBS) as Format[]).map(service) }));
  const config = loadConfig(file);
  const stateDir = path.join(dir, 'processes');
  const env = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: temporal.address, NODE_PATH: path.join(process.cwd(), 'node_modules') };
  const worker = startBackground(docktorArgv(['worker', '-c', file]), { ...env, DOCKTOR_STATE_DIR: stateDir });
  const client = await connectClient(config.temporal, temporal.address);
  setup = { file, config, project, stateDir, env, queues, worker, client };
});

after(async () => {
  if (setup) {
    const s = setup;
    await docktor(['down', '-c', s.file], s.env).catch(() => undefined);
    await s.worker.stop();
    const rt = new ProcessRuntime({ stateDir: s.stateDir });
    for (const service of s.config.services) await rt.ensure({ project: s.project, service, runtime: service.runtime as ProcessRuntimeConfig }, 0).catch(() => undefined);
    await rt.close();
    await s.client.close();
    for (const q of Object.values(s.queues)) {
      const r = new Redis({ host: q.redis.host, port: q.redis.port, db: q.db });
      const keys = [...(await r.keys(`*${q.queue}*`)), q.done_key];
      if (keys.length) await r.del(...keys);
      r.disconnect();
    }
  }
  await stopTestServices();
});

async function scaleScenario(f: Framework): Promise<void> {
  const s = setup!;
  const name = f.format as Format;
  const q = s.queues[name];
  const t0 = Date.now();
  const say = (line: string) => process.stderr.write(`e2e[redis ${name}] +${((Date.now() - t0) / 1000).toFixed(1)}s ${line}\n`);
  const r = new Redis({ host: q.redis.host, port: q.redis.port, db: q.db });
  let history: HistoryEntry[] = [];
  const context = () => `history:\n${history.map((e) => `  ${e.action} ${e.from}→${e.to}${e.applied ? '' : ' (not applied)'}: ${e.reason}`).join('\n')}\nworker:\n${s.worker.output().slice(-3000)}`;
  try {
    const up = await docktor(['up', '-c', s.file, name], s.env);
    assert.equal(up.code, 0, up.stderr);
    const replicas = async () => {
      const [st] = await scalers.status(s.client, s.config, name);
      return st?.running ? st.replicas : null;
    };
    const explain = async () => (history = await scalers.explain(s.client, s.config, name, 500));
    await until('docktor to run min_replicas (1) worker', 60_000, replicas, (n) => n === 1, context);
    say('1 worker runs');

    await f.produce(q, JOBS);
    say(`produced ${JOBS} jobs`);
    await until('a scale-up on the backlog', 60_000, explain, (h) => h.some((e) => e.applied && e.action === 'scale_up' && e.to > 1), context);
    say(`scaled up to ${Math.max(...history.filter((e) => e.applied).map((e) => e.to))}`);
    await until('every job to be done', 120_000, () => r.scard(q.done_key), (n) => n === JOBS, context);
    say('backlog drained');
    await until('a scale back to min', 60_000, async () => ({ n: await replicas(), h: await explain() }), ({ n, h }) => n === 1 && h.some((e) => e.applied && e.action === 'scale_down' && e.to === 1), context);
    say('back to 1 worker');
    assert.equal(await r.scard(q.done_key), JOBS, 'no job lost');
    const theirs = await f.figures(q);
    const left = theirs.size ?? (theirs.waiting ?? 0) + (theirs.active ?? 0) + (theirs.delayed ?? 0);
    assert.equal(left, 0, `the framework's own view is empty: ${JSON.stringify(theirs)}`);
    assert.ok(history.some((e) => e.applied && e.action === 'scale_up' && /queue\.backlog/.test(e.reason)), context());
  } finally {
    await docktor(['down', '-c', s.file, name], s.env).catch(() => undefined);
    r.disconnect();
  }
}

test('redis bullmq e2e: BullMQ workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.bullmq));
test('redis sidekiq e2e: Sidekiq workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.sidekiq));
test('redis laravel e2e: Laravel queue workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.laravel));
test('redis celery e2e: Celery workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.celery));
