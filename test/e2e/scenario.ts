// The end-to-end scenario of the NATS example (issue 6; Phase 8 of the seed's test plan), run
// against the real Temporal dev server, real NATS and a real runtime (local processes, or Compose
// containers on the harness's dockerd), with the real `docktor worker` and `docktor` CLI as child
// processes:
//   1. the example consumer runs at 1 replica and the scaler starts;
//   2. `docktor override consumer --replicas 0` stops consuming; a backlog is published;
//   3. `docktor resume`: docktor scales the consumer up;
//   4. in the middle, the worker is killed (-9) and started again: the history continues, no
//      scale is applied twice (replica creations and removals counted on the runtime), the
//      scale-up cooldown still holds after the restart;
//   5. the backlog drains and docktor scales back to the minimum;
//   6. `docktor explain --json` and `temporal workflow query --name history` show the same
//      decisions, with their reasons.
// The runtime-specific parts (starting the first replica, counting replicas and creations) are a
// `Variant`; test/temporal-postgres/nats-multi-process.e2e.ts (the opt-in run on the production
// server; the chaos soak covers the process runtime in the suite) and nats-multi-compose.test.ts
// provide one each.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { findTemporalCli } from '../../src/dev/temporal-cli';
import { scalerWorkflowId } from '../../src/workflows/definitions';
import { reasonShape } from '../../src/model/history-fold';
import type { HistoryEntry, ScalerStatus } from '../../src/model/scaler-state';
import { ensureConsumer, type QueueNames } from '../../examples/nats-multi/queue';
import { DIST_ROOT, docktor, docktorArgv, runNode, startBackground, type Background, type Finished } from './cli';
import { testNats, testTemporal } from '../harness/services';

/** The compiled example the replicas run. */
export const EXAMPLE_DIST = path.join(DIST_ROOT, 'examples', 'nats-multi');

/** Scenario figures: small enough for a run well under 3 minutes, large enough to see each step. */
export const POLICY = {
  min: 1,
  max: 4,
  check_interval: 1,
  /** Long enough to outlast a worker restart: the restarted worker must still honour it. */
  cooldown_up: 30,
  cooldown_down: 3,
  backlog_up: 50,
  backlog_down: 5,
  step_up: 3,
  backlog: 500,
  process_time_ms: 100,
  grace_period: 5,
} as const;

export interface ScenarioContext {
  id: string;
  dir: string;
  project: string;
  service: 'consumer';
  queue: QueueNames;
  /** Environment of the consumer replicas (both runtimes). */
  consumerEnv: Record<string, string>;
  /** Environment of the docktor CLI and worker children. */
  env: NodeJS.ProcessEnv;
  configFile: string;
  config: Config;
}

export interface ReplicaCounts {
  /** Replicas alive now. */
  live: number;
  /** Replicas ever created since the scenario began (the first one included). */
  created: number;
  /** Replicas ever stopped and removed. */
  removed: number;
}

export interface Variant {
  name: 'process' | 'compose';
  /** Extra environment of the worker (e.g. DOCKER_HOST, DOCKTOR_STATE_DIR). */
  workerEnv(ctx: Omit<ScenarioContext, 'config' | 'configFile'>): Record<string, string>;
  /** The service's `runtime` block and the file's `compose_file`, if any. */
  runtime(ctx: Omit<ScenarioContext, 'config' | 'configFile'>): { runtime: Record<string, unknown>; compose_file?: string };
  /** Starts replica 1 as a user would before docktor runs. */
  startFirstReplica(ctx: ScenarioContext): Promise<void>;
  counts(ctx: ScenarioContext): Promise<ReplicaCounts>;
  /** Stops and removes every replica and what the variant made (after the worker is gone). */
  cleanup(ctx: ScenarioContext): Promise<void>;
}

function log(variant: string, t0: number, line: string): void {
  process.stderr.write(`e2e[${variant}] +${((Date.now() - t0) / 1000).toFixed(1)}s ${line}\n`);
}

function ok(r: Finished, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

async function makeContext(variant: Variant): Promise<ScenarioContext> {
  const temporal = await testTemporal();
  const nats = await testNats();
  const id = randomBytes(4).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `docktor-e2e-${variant.name}-`));
  const queue: QueueNames = {
    url: nats.url,
    stream: `E2E_${id.toUpperCase()}`,
    subjects: [`e2e.${id}.>`],
    subject: `e2e.${id}.web`,
    consumer: 'WEB_WORKERS',
  };
  const base = {
    id,
    dir,
    project: `e2e-${variant.name}-${id}`,
    service: 'consumer' as const,
    queue,
    consumerEnv: {
      NATS_URL: queue.url,
      STREAM: queue.stream,
      SUBJECTS: queue.subjects.join(','),
      CONSUMER: queue.consumer,
      PROCESS_TIME_MS: String(POLICY.process_time_ms),
      // The example's dependencies, wherever the compiled example lives.
      NODE_PATH: path.join(process.cwd(), 'node_modules'),
    },
    env: {
      ...process.env,
      DOCKTOR_TEMPORAL_ADDRESS: temporal.address,
      NODE_PATH: path.join(process.cwd(), 'node_modules'),
    } as NodeJS.ProcessEnv,
  };
  const { runtime, compose_file } = variant.runtime(base);
  const file = {
    version: '1',
    temporal: { namespace: temporal.namespace, task_queue: `e2e-${variant.name}-${id}` },
    ...(compose_file ? { compose_file } : {}),
    project: base.project,
    services: [
      {
        name: 'consumer',
        min_replicas: POLICY.min,
        max_replicas: POLICY.max,
        check_interval: POLICY.check_interval,
        metrics_window: 5,
        strategy: 'rules',
        rules: {
          scale_up_when: [
            { metric: 'queue.backlog', op: '>', value: POLICY.backlog_up },
            { metric: 'queue.oldest_age_s', op: '>', value: 60 },
          ],
          scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: POLICY.backlog_down }],
          step: { up: POLICY.step_up, down: 1 },
        },
        cooldown: { up: POLICY.cooldown_up, down: POLICY.cooldown_down },
        queue: { kind: 'nats', url: queue.url, stream: queue.stream, consumer: queue.consumer },
        runtime,
      },
    ],
  };
  const configFile = path.join(dir, 'docktor.yaml');
  fs.writeFileSync(configFile, stringify(file));
  return { ...base, configFile, config: loadConfig(configFile) };
}

/** Polls `probe` every 100 ms until `done` holds; fails with the last value and `context()`. */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T>, done: (v: T) => boolean, context: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (done(last)) return last;
    } catch (e) {
      lastError = e;
    }
    await sleep(100);
  }
  assert.fail(
    `timed out after ${timeoutMs / 1000} s waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 600)}` +
      `${lastError ? `; last error: ${String(lastError)}` : ''}\n${context()}`,
  );
}

const applied = (h: HistoryEntry[]) => h.filter((e) => e.applied);
const brief = (e: HistoryEntry) => `${e.action} ${e.from}→${e.to}${e.applied ? '' : ' (not applied)'}${e.limited_by ? ` [${e.limited_by}]` : ''}: ${e.reason}`;

export async function runScenario(variant: Variant): Promise<void> {
  const t0 = Date.now();
  const say = (line: string) => log(variant.name, t0, line);
  const ctx = await makeContext(variant);
  const workerEnv = { ...ctx.env, ...variant.workerEnv(ctx) };
  const cfg = ['-c', ctx.configFile];
  const workflowId = scalerWorkflowId(ctx.project, ctx.service);
  const workers: Background[] = [];
  let client: ControlClient | undefined;
  const nc = await connect({ servers: ctx.queue.url.split(',') });
  const jsm = await jetstreamManager(nc);
  let lastHistory: HistoryEntry[] = [];
  const context = () =>
    `history:\n${lastHistory.map((e) => `  ${new Date(e.at * 1000).toISOString()} ${brief(e)}`).join('\n')}\n` +
    workers.map((w, i) => `worker ${i + 1} output (tail):\n${w.output().slice(-3000)}`).join('\n');

  try {
    // 1. The queue, the consumer at 1 replica, a worker, the scaler.
    await ensureConsumer(jsm, ctx.queue);
    await variant.startFirstReplica(ctx);
    await until('replica 1 to run', 30_000, () => variant.counts(ctx), (c) => c.live === 1 && c.created === 1, context);
    say('replica 1 runs');

    workers.push(startBackground(docktorArgv(['worker', ...cfg]), workerEnv));
    say(ok(await docktor(['up', ...cfg], ctx.env), 'docktor up').trim());
    const temporal = await testTemporal();
    client = await connectClient(ctx.config.temporal, temporal.address);
    const c = client;
    const history = async () => (lastHistory = await scalers.explain(c, ctx.config, ctx.service, 500));
    const status = async (): Promise<ScalerStatus> => {
      const [s] = await scalers.status(c, ctx.config, ctx.service);
      if (!s?.running) throw new Error('the scaler is not running');
      return s;
    };
    // The first check may come before the worker has bundled its workflows: allow for that.
    const first = await until('the first decision', 60_000, history, (h) => h.length > 0, context);
    assert.deepEqual([first[0].action, first[0].from, first[0].to], ['hold', 1, 1], `first decision: ${brief(first[0])}`);
    say(`first decision: ${brief(first[0])}`);

    // 2. Stop consuming: 0 is below min_replicas, so the override needs --force (and says so without it).
    const refused = await docktor(['override', 'consumer', '--replicas', '0', ...cfg], ctx.env);
    assert.equal(refused.code, 2, `override below min_replicas without --force should exit 2: ${refused.stdout}${refused.stderr}`);
    assert.match(refused.stderr, /outside consumer's min_replicas\.\.max_replicas \(1\.\.4\); use --force/);
    ok(await docktor(['override', 'consumer', '--replicas', '0', '--force', '--reason', 'e2e: stop consuming', ...cfg], ctx.env), 'docktor override');
    await until(
      'the override to scale the consumer to 0',
      30_000,
      async () => ({ h: await history(), n: await variant.counts(ctx) }),
      ({ h, n }) => n.live === 0 && h.some((e) => e.applied && e.action === 'scale_down' && e.to === 0 && e.limited_by === 'override'),
      context,
    );
    say('consumer at 0 replicas (override)');

    const produced = ok(
      await runNode([path.join(EXAMPLE_DIST, 'producer.js')], { ...ctx.env, ...ctx.consumerEnv, SUBJECT: ctx.queue.subject, COUNT: String(POLICY.backlog) }),
      'the example producer',
    );
    assert.match(produced, new RegExp(`published ${POLICY.backlog} message\\(s\\)`));
    // Identical decisions (the override's hold) fold inside a watch: explain shows the newest
    // observations at the watch's next heartbeat: within 5 s just after a change, within a
    // minute in a long quiet stretch (docs/architecture.md, "Durable cost").
    const held = await until(
      'docktor to see the backlog while overridden',
      80_000,
      history,
      (h) => h.some((e) => (e.observations['queue.backlog'] ?? 0) >= POLICY.backlog),
      context,
    );
    const seen = held.find((e) => (e.observations['queue.backlog'] ?? 0) >= POLICY.backlog) as HistoryEntry;
    assert.deepEqual([seen.action, seen.to, seen.limited_by, seen.applied], ['hold', 0, 'override', false], `while overridden: ${brief(seen)}`);
    assert.match(seen.reason, /override to 0: e2e: stop consuming/);
    const st = JSON.parse(ok(await docktor(['status', 'consumer', '--json', ...cfg], ctx.env), 'docktor status')) as ScalerStatus;
    assert.equal(st.override?.replicas, 0);
    say(`backlog of ${seen.observations['queue.backlog']} seen, held at 0 by the override`);

    // 3. Release: docktor scales up.
    ok(await docktor(['resume', 'consumer', ...cfg], ctx.env), 'docktor resume');
    await until('a scale-up after resume', 30_000, history, (h) => h.some((e) => e.applied && e.action === 'scale_up'), context);

    // 4. Kill the worker in the middle: right after the scale-up, while the workflow waits for
    // its next check (no activity in flight, which would only add its timeout to the run).
    const beforeKill = await until(
      'a quiet moment to kill the worker',
      30_000,
      async () => ({ h: await history(), s: await status() }),
      ({ s }) => s.next_check_at !== null && s.next_check_at - Date.now() / 1000 > 0.4,
      context,
    );
    workers[0].child.kill('SIGKILL');
    const killedAt = Date.now() / 1000;
    assert.equal((await workers[0].exited).signal, 'SIGKILL');
    const countsAtKill = await variant.counts(ctx);
    say(`worker 1 killed with SIGKILL after ${beforeKill.h.length} decisions (${applied(beforeKill.h).map(brief).join('; ')}); ${countsAtKill.live} replica(s) live`);
    await sleep(1500);
    workers.push(startBackground(docktorArgv(['worker', ...cfg]), workerEnv));
    const restartedAt = Date.now() / 1000;
    say('worker 2 started');

    // 5. The backlog drains; docktor scales back to the minimum.
    const drained = await until(
      'the backlog to drain and docktor to scale back to min_replicas',
      120_000,
      async () => ({ h: await history(), n: await variant.counts(ctx) }),
      ({ h, n }) => {
        const last = applied(h).at(-1);
        return n.live === POLICY.min && last !== undefined && last.action === 'scale_down' && last.to === POLICY.min && last.at > restartedAt;
      },
      context,
    );
    const counts = drained.n;
    say(`back at ${POLICY.min}: ${applied(drained.h).map(brief).join('; ')}`);
    const info = await jsm.consumers.info(ctx.queue.stream, ctx.queue.consumer);
    assert.equal(info.num_pending + info.num_ack_pending, 0, 'the backlog should be drained');

    // 6. The decisions, from docktor and from the temporal CLI.
    const explained = JSON.parse(ok(await docktor(['explain', 'consumer', '--json', '--tail', '500', ...cfg], ctx.env), 'docktor explain --json')) as Array<HistoryEntry & { service: string }>;
    const temporalCli = await findTemporalCli({ build: false });
    assert.ok(temporalCli, 'the temporal CLI is needed (the test run builds it; or set TEMPORAL_CLI)');
    const queried = await runCommand(temporalCli, [
      'workflow', 'query', '--workflow-id', workflowId, '--name', 'history',
      '--address', temporal.address, '--namespace', temporal.namespace, '--output', 'json',
    ]);
    assert.equal(queried.code, 0, `temporal workflow query failed: ${queried.stderr}`);
    const fromTemporal = queryResult(queried.stdout);
    // The newest entry may still fold later checks, whose reason quotes newer figures (CONTRACT §6):
    // compare reasons up to their figures.
    const key = (e: HistoryEntry) => [e.at, e.action, e.from, e.to, reasonShape(e.reason), e.limited_by, e.applied];
    // The scaler kept deciding between the two reads: compare what both have.
    const common = Math.min(explained.length, fromTemporal.length);
    assert.ok(common >= drained.h.length, `explain (${explained.length}) and the query (${fromTemporal.length}) should hold every decision seen so far (${drained.h.length})`);
    assert.deepEqual(fromTemporal.slice(0, common).map(key), explained.slice(0, common).map(key), 'temporal workflow query and docktor explain disagree');
    assert.ok(explained.every((e) => e.service === 'consumer' && e.reason.length > 0), 'every decision names its service and reason');

    const table = ok(await docktor(['explain', 'consumer', '--tail', '200', ...cfg], ctx.env), 'docktor explain');
    assert.match(table.split('\n')[0], /^SERVICE\s+TIME\s+ACTION\s+FROM→TO\s+REASON/);
    assert.match(table, /consumer\s+\S+\s+scale_down\s+1→0\s+override to 0: e2e: stop consuming/);
    assert.match(table, new RegExp(`scale_up\\s+0→1\\s+queue\\.backlog \\d+ > ${POLICY.backlog_up}`));
    assert.match(table, new RegExp(`scale_down\\s+\\d→\\d\\s+queue\\.backlog \\d+ <= ${POLICY.backlog_down}`));

    const h = explained;
    const changes = applied(h);
    say(`decisions: ${h.length}; applied: ${changes.map(brief).join(' | ')}`);

    // Reasons: the override, the scale-up on the backlog, the scale-downs once it drained.
    const up = changes.filter((e) => e.action === 'scale_up');
    assert.ok(up.length >= 1 && up.every((e) => new RegExp(`queue\\.backlog \\d+ > ${POLICY.backlog_up}`).test(e.reason)), `scale-ups should name the backlog: ${up.map(brief).join('; ')}`);
    const down = changes.filter((e) => e.action === 'scale_down' && e.limited_by !== 'override');
    assert.ok(down.length >= 1 && down.every((e) => new RegExp(`queue\\.backlog \\d+ <= ${POLICY.backlog_down}`).test(e.reason)), `scale-downs should name the backlog: ${down.map(brief).join('; ')}`);
    assert.ok(Math.max(...changes.map((e) => e.to)) > POLICY.min, 'docktor should have gone above min_replicas while the backlog lasted');

    // History continues across the kill: what was there before is still there, newer decisions follow.
    const prefix = beforeKill.h.map(key);
    assert.deepEqual(h.slice(0, prefix.length).map(key), prefix, 'the decisions made before the kill should be kept as they were');
    assert.ok(h.some((e) => e.at > restartedAt), 'decisions should continue after the restart');
    for (let i = 1; i < h.length; i++) assert.ok(h[i].at > h[i - 1].at, `decision times should increase: ${h[i - 1].at} then ${h[i].at}`);

    // No scale applied twice: each applied change starts where the previous one ended, and the
    // runtime made exactly the replicas the applied changes add up to (one more: the first).
    for (let i = 1; i < changes.length; i++) {
      assert.equal(changes[i].from, changes[i - 1].to, `applied change ${brief(changes[i])} should start where ${brief(changes[i - 1])} ended`);
    }
    const added = changes.reduce((n, e) => n + Math.max(0, e.to - e.from), 0);
    const taken = changes.reduce((n, e) => n + Math.max(0, e.from - e.to), 0);
    assert.equal(counts.created, 1 + added, `replicas created (${counts.created}) should be 1 + the ${added} added by applied decisions`);
    assert.equal(counts.removed, taken, `replicas removed (${counts.removed}) should be the ${taken} removed by applied decisions`);

    // Cooldowns hold, across the restart too: between applied changes (not the override's, nor a
    // correction into min..max), and the restarted worker still held a scale-up for the cooldown.
    for (let i = 1; i < changes.length; i++) {
      const [a, b] = [changes[i - 1], changes[i]];
      if (b.limited_by === 'override' || b.from < POLICY.min || b.from > POLICY.max) continue;
      if (b.action === 'scale_up' && a.action === 'scale_up') {
        assert.ok(b.at - a.at >= POLICY.cooldown_up, `scale-up ${brief(b)} came ${(b.at - a.at).toFixed(1)} s after ${brief(a)}: cooldown.up is ${POLICY.cooldown_up} s`);
      }
      if (b.action === 'scale_down') {
        assert.ok(b.at - a.at >= POLICY.cooldown_down, `scale-down ${brief(b)} came ${(b.at - a.at).toFixed(1)} s after ${brief(a)}: cooldown.down is ${POLICY.cooldown_down} s`);
      }
    }
    // An entry folds checks from `at` to `last_at`: one that goes on past the kill holds checks of the restarted worker.
    const heldAfterRestart = h.filter((e) => (e.last_at ?? e.at) > killedAt && e.limited_by === 'cooldown' && /scale-up cooldown|cooldown\.up/.test(e.reason));
    assert.ok(
      heldAfterRestart.length > 0,
      `the restarted worker should have held a scale-up by cooldown.up (${POLICY.cooldown_up} s after the last one); decisions after the kill: ${h.filter((e) => (e.last_at ?? e.at) > killedAt).map(brief).join('; ')}`,
    );
    assert.ok(countsAtKill.live >= 1, 'replicas started before the kill should be running at the kill');
    say(`ok: ${counts.created} replica(s) created, ${counts.removed} removed, ${heldAfterRestart.length} check(s) held by the cooldown after the restart`);
  } finally {
    if (client) {
      await scalers.down(client, ctx.config).catch(() => undefined);
      await client.close();
    }
    for (const w of workers) await w.stop();
    await variant.cleanup(ctx).catch((e: unknown) => say(`cleanup: ${String(e)}`));
    await jsm.streams.delete(ctx.queue.stream).catch(() => undefined);
    await nc.close();
    fs.rmSync(ctx.dir, { recursive: true, force: true });
    say('cleaned up');
  }
}

function runCommand(command: string, args: string[]): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The history entries in `temporal workflow query -o json` output (`{ "queryResult": [entries] }`). */
function queryResult(stdout: string): HistoryEntry[] {
  const parsed = JSON.parse(stdout) as { queryResult?: unknown };
  const result = parsed.queryResult;
  // The CLI prints the query's payloads: one payload, the array of entries.
  const entries = Array.isArray(result) && result.length === 1 && Array.isArray(result[0]) ? result[0] : result;
  assert.ok(Array.isArray(entries), `unexpected temporal query output: ${stdout.slice(0, 300)}`);
  return entries as HistoryEntry[];
}
