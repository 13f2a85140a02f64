// End to end, per framework format: a burst of jobs from the framework's real producer, docktor
// (real `docktor worker` and CLI, process runtime) scales the framework's real workers up, the
// backlog drains, docktor scales back to min, and no job is lost (every job number is in the
// workers' done set, and the framework's own view of the queue is empty).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import Redis from 'ioredis';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load';
import type { ProcessRuntimeConfig } from '../../src/config/runtime';
import { connectClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { ProcessRuntime } from '../../src/runtimes/process';
import type { HistoryEntry } from '../../src/workflows/scaler-state';
import { ensureFramework, FIXTURES, frameworkEnv, FRAMEWORKS, type Framework, type FrameworkQueue } from '../harness/redis-frameworks';
import { testRedis } from '../harness/redis';
import { stopTestServices, testTemporal } from '../harness/services';
import { docktor, docktorArgv, startBackground, type Background } from './cli';

after(stopTestServices);

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

async function scaleScenario(f: Framework, db: number): Promise<void> {
  await ensureFramework(f);
  const t0 = Date.now();
  const say = (line: string) => process.stderr.write(`e2e[redis ${f.format}] +${((Date.now() - t0) / 1000).toFixed(1)}s ${line}\n`);
  const temporal = await testTemporal();
  const redis = await testRedis();
  const id = randomBytes(3).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `docktor-e2e-redis-${f.format}-`));
  const q: FrameworkQueue = { redis, db, queue: `docktor-e2e-${f.format}-${id}`, done_key: `docktor-test:${id}:done`, work_ms: WORK_MS };
  const project = `e2e-redis-${f.format}-${id}`;
  const file = path.join(dir, 'docktor.yaml');
  fs.writeFileSync(
    file,
    stringify({
      version: '1',
      temporal: { namespace: temporal.namespace, task_queue: project },
      project,
      services: [
        {
          name: 'worker',
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
          queue: { kind: 'redis', url: redis.url(db), format: f.format, queue: q.queue },
          runtime: { kind: 'process', command: f.worker(q), env: frameworkEnv(q), cwd: FIXTURES, grace_period: 15 },
        },
      ],
    }),
  );
  const config = loadConfig(file);
  const stateDir = path.join(dir, 'processes');
  const env = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: temporal.address, NODE_PATH: path.join(process.cwd(), 'node_modules') };
  const r = new Redis({ host: redis.host, port: redis.port, db });
  let worker: Background | undefined;
  let history: HistoryEntry[] = [];
  const context = () => `history:\n${history.map((e) => `  ${e.action} ${e.from}→${e.to}${e.applied ? '' : ' (not applied)'}: ${e.reason}`).join('\n')}\nworker:\n${worker?.output().slice(-3000) ?? ''}`;
  const client = await connectClient(config.temporal, temporal.address);
  try {
    worker = startBackground(docktorArgv(['worker', '-c', file]), { ...env, DOCKTOR_STATE_DIR: stateDir });
    const up = await docktor(['up', '-c', file], env);
    assert.equal(up.code, 0, up.stderr);
    const replicas = async () => {
      const [s] = await scalers.status(client, config, 'worker');
      return s?.running ? s.replicas : null;
    };
    const explain = async () => (history = await scalers.explain(client, config, 'worker', 500));
    await until('docktor to run min_replicas (1) worker', 60_000, replicas, (n) => n === 1, context);
    say('1 worker runs');

    await f.produce(q, JOBS);
    say(`produced ${JOBS} jobs`);
    await until('a scale-up on the backlog', 60_000, explain, (h) => h.some((e) => e.applied && e.action === 'scale_up' && e.to > 1), context);
    const peak = Math.max(...history.filter((e) => e.applied).map((e) => e.to));
    say(`scaled up to ${peak}`);
    await until('every job to be done', 120_000, () => r.scard(q.done_key), (n) => n === JOBS, context);
    say('backlog drained');
    await until('a scale back to min', 60_000, async () => ({ n: await replicas(), h: await explain() }), ({ n, h }) => n === 1 && h.some((e) => e.applied && e.action === 'scale_down' && e.to === 1), context);
    say('back to 1 worker');
    assert.equal(await r.scard(q.done_key), JOBS, 'no job lost');
    const theirs = await f.figures(q);
    const left = theirs.size ?? (theirs.waiting ?? 0) + (theirs.active ?? 0) + (theirs.delayed ?? 0);
    assert.equal(left, 0, `the framework's own view is empty: ${JSON.stringify(theirs)}`);
    const decisions = history.filter((e) => e.applied && e.action !== 'hold');
    assert.ok(decisions.some((e) => /queue\.backlog/.test(e.reason)), context());
  } finally {
    await docktor(['down', '-c', file], env).catch(() => undefined);
    await worker?.stop();
    const service = config.services[0]!;
    const rt = new ProcessRuntime({ stateDir });
    await rt.ensure({ project, service, runtime: service.runtime as ProcessRuntimeConfig }, 0).catch(() => undefined);
    await rt.close();
    await client.close();
    const keys = [...(await r.keys(`*${q.queue}*`)), q.done_key];
    if (keys.length) await r.del(...keys);
    r.disconnect();
  }
}

test('redis bullmq e2e: BullMQ workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.bullmq, 14));
test('redis sidekiq e2e: Sidekiq workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.sidekiq, 12));
test('redis laravel e2e: Laravel queue workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.laravel, 13));
test('redis celery e2e: Celery workers scaled up on a burst, drained, back to min, no job lost', { timeout: 240_000 }, () => scaleScenario(FRAMEWORKS.celery, 11));
