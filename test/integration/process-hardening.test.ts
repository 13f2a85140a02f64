// Fault injection on the process runtime under a real Temporal dev server and real `docktor worker`
// child processes (issue 14): a worker SIGKILLed in the middle of a scale-up, a replica started
// but never recorded, two workers started from different directories, and overrides that are too
// large or must be stopped while replicas are still starting. Replicas are `/bin/sleep`, counted
// by a tag in their environment (/proc/<pid>/environ), whatever docktor recorded. Two workers
// never running more than max_replicas, and a worker killed mid quiet stretch, are the chaos
// soak's (test/e2e/chaos.test.ts: two workers, kills at random moments, the replicas sampled at
// 4 Hz); the state directory's independence of the working directory is a unit test's
// (test/unit/process-marker.test.ts).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { ProcessRuntime } from '../../src/runtimes/process';
import { markerEnv, poolId } from '../../src/runtimes/process-marker';
import { readState, serviceKey, stateFilePath, writeState } from '../../src/runtimes/process-state';
import { overrideUpdate, scalerWorkflowId } from '../../src/workflows/definitions';
import { runCli } from '../harness/cli';
import { pidsWithEnv } from '../harness/proc-scan';
import { testTemporal } from '../harness/services';
import { docktorArgv } from '../e2e/cli';
import { until } from '../e2e/scenario';
import { makeFixture, makeTarget } from './process-fixtures';

const TAG = 'DOCKTOR_TEST_TAG';

/** Live (not zombie) processes whose environment carries `DOCKTOR_TEST_TAG=tag`. */
const tagged = (tag: string): number[] => pidsWithEnv(TAG, tag);

const tags: string[] = [];
const workers: ChildProcess[] = [];
const workerLogs: (() => string)[] = [];
const clients: ControlClient[] = [];
after(async () => {
  for (const w of workers) w.kill('SIGKILL');
  for (const c of clients) await c.close();
  for (const tag of tags) for (const pid of tagged(tag)) process.kill(pid, 'SIGKILL');
});

interface Setup {
  dir: string;
  tag: string;
  config: Config;
  configFile: string;
  env: NodeJS.ProcessEnv;
  client: ControlClient;
}

async function setup(name: string, service: { min: number; max: number }, env: NodeJS.ProcessEnv = {}, extra: Record<string, unknown> = {}): Promise<Setup> {
  const t = await testTemporal();
  const id = randomBytes(4).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `docktor-harden-${name}-`));
  const tag = `${name}-${id}`;
  tags.push(tag);
  const configFile = path.join(dir, 'docktor.yaml');
  fs.writeFileSync(
    configFile,
    stringify({
      version: '1',
      project: `harden-${name}-${id}`,
      temporal: { namespace: t.namespace, task_queue: `harden-${name}-${id}` },
      services: [
        {
          name: 'pool',
          min_replicas: service.min,
          max_replicas: service.max,
          check_interval: 1,
          rules: {},
          cooldown: { up: 0, down: 0 },
          runtime: { kind: 'process', command: ['/bin/sleep', '600'], env: { [TAG]: tag }, grace_period: 1 },
          ...extra,
        },
      ],
    }),
  );
  const config = loadConfig(configFile);
  const client = await connectClient(config.temporal, t.address);
  clients.push(client);
  const base: NodeJS.ProcessEnv = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: t.address, DOCKTOR_STATE_DIR: path.join(dir, 'state') };
  return { dir, tag, config, configFile, env: { ...base, ...env }, client };
}

/** `docktor worker` as a child process, run from `cwd`. */
function startWorker(s: Setup, cwd = s.dir, env: NodeJS.ProcessEnv = s.env): ChildProcess {
  const child = spawn(process.execPath, docktorArgv(['worker', '-c', s.configFile]), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-10_000)));
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-10_000)));
  workers.push(child);
  workerLogs.push(() => log);
  return child;
}

async function sigkill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}


/** Ends a test's workers, then its replicas, so a failed test leaves nothing that keeps starting. */
async function finish(s: Setup): Promise<void> {
  await Promise.all(workers.splice(0).map(sigkill));
  for (const pid of tagged(s.tag)) process.kill(pid, 'SIGKILL');
}

function scenario(name: string, service: { min: number; max: number }, body: (s: Setup) => Promise<void>, extra: Record<string, unknown> = {}): () => Promise<void> {
  return async () => {
    const s = await setup(name, service, {}, extra);
    try {
      await body(s);
    } finally {
      await finish(s);
    }
  };
}

const workersSaid = (): string => `workers: ${workerLogs.map((l) => l()).join('\n---\n')}`;

/** Up to the first replica: a worker on a busy machine takes a while to bundle its workflows. */
async function firstReplica(s: Setup): Promise<void> {
  await until('the first replica', 120_000, () => replicasOf(s), (n) => n === 1, workersSaid);
}

async function replicasOf(s: Setup): Promise<number | null> {
  const st = (await scalers.status(s.client, s.config, 'pool'))[0];
  return st?.running ? st.replicas : null;
}

function cli(s: Setup, args: string[]) {
  return runCli([...args, '-c', s.configFile], { cwd: s.dir, env: s.env });
}

describe('process runtime hardening (issue 14)', () => {
  it('a replica started but not recorded (worker killed between spawn and record) is adopted, never doubled', async () => {
    const f = makeFixture('unrecorded');
    const tag = `unrecorded-${randomBytes(4).toString('hex')}`;
    tags.push(tag);
    const target = makeTarget(f, 'unrec', { command: ['/bin/sleep', '600'], env: { [TAG]: tag }, grace_period: 1 });
    const first = new ProcessRuntime({ stateDir: f.stateDir });
    await first.ensure(target, 4);
    await first.close();
    // What a SIGKILL after the 4th spawn and before its record leaves: 4 running, 1-3 recorded.
    const file = stateFilePath(f.stateDir, serviceKey(f.project, 'unrec'));
    const st = readState(file);
    assert.ok(st);
    writeState(file, { ...st, replicas: st.replicas.filter((r) => r.index <= 3) });
    assert.equal(tagged(tag).length, 4);

    const next = new ProcessRuntime({ stateDir: f.stateDir });
    try {
      await next.ensure(target, 6);
      assert.equal(tagged(tag).length, 6, `ensure(6) after adoption: ${tagged(tag).length} processes run`);
      await next.ensure(target, 0);
      await until('no replica left after ensure(0)', 5000, async () => tagged(tag).length, (n) => n === 0, workersSaid);
    } finally {
      await next.close();
      fs.rmSync(f.root, { recursive: true, force: true });
    }
  });

  it('a second copy marked with an index that already has one is stopped on adoption', async () => {
    const f = makeFixture('duplicate');
    const tag = `duplicate-${randomBytes(4).toString('hex')}`;
    tags.push(tag);
    const target = makeTarget(f, 'dup', { command: ['/bin/sleep', '600'], env: { [TAG]: tag }, grace_period: 1 });
    const first = new ProcessRuntime({ stateDir: f.stateDir });
    await first.ensure(target, 2);
    await first.close();
    const marker = markerEnv(poolId(f.stateDir, serviceKey(f.project, 'dup')), f.project, 'dup', 2);
    const dup = spawn('/bin/sleep', ['600'], { detached: true, stdio: 'ignore', env: { ...process.env, [TAG]: tag, ...marker, DOCKTOR_REPLICA: '2' } });
    dup.unref();
    await until('3 processes', 5000, async () => tagged(tag).length, (n) => n === 3, () => '');
    const next = new ProcessRuntime({ stateDir: f.stateDir });
    try {
      const r = await next.ensure(target, 2);
      assert.match(r.detail, /^no change/);
      await until('the duplicate stopped', 5000, async () => tagged(tag), (pids) => pids.length === 2 && !pids.includes(dup.pid ?? 0), () => '');
    } finally {
      await next.close();
      fs.rmSync(f.root, { recursive: true, force: true });
    }
  });

  it('a worker SIGKILLed while the 4th of 6 replicas exists: retried within seconds, 6 run, override 0 --force leaves none', scenario('kill', { min: 1, max: 6 }, async (s) => {
    const stateDir = path.join(s.dir, 'state');
    fs.mkdirSync(stateDir, { recursive: true });
    // Replica 5's log is a FIFO: opening it blocks the owner right after replica 4 started, so
    // the kill lands at the same point every run.
    const fifo = path.join(stateDir, `${serviceKey(s.config.project, 'pool')}-5.log`);
    execFileSync('mkfifo', [fifo]);
    // Two workers, both warm (bundling the workflows takes tens of seconds on a busy machine):
    // the one that owns the pool is killed, the other must take over within seconds.
    const pair = [startWorker(s), startWorker(s)];
    await scalers.up(s.client, s.config);
    await firstReplica(s);
    await scalers.override(s.client, s.config, 'pool', { replicas: 6 });
    await until('4 replicas running', 20_000, async () => tagged(s.tag).length, (n) => n >= 4, workersSaid);
    await sleep(300);
    assert.equal(tagged(s.tag).length, 4, 'the owner is stuck before replica 5');
    const lock = JSON.parse(fs.readFileSync(path.join(stateDir, `${serviceKey(s.config.project, 'pool')}.lock`), 'utf8')) as { pid: number };
    const owner = pair.find((w) => w.pid === lock.pid);
    assert.ok(owner, `the pool's owner (pid ${lock.pid}) is one of our workers`);
    await sigkill(owner);
    fs.rmSync(fifo);

    const restartedAt = Date.now();
    let most = 0;
    await until(
      'status 6 and 6 processes after the kill',
      // Heartbeat timeout (5 s), then the survivor's retries back off (1, 2, 4, 8 s) until the
      // lock is free; before heartbeats the retry waited out the 62 s start-to-close timeout.
      30_000,
      async () => {
        const n = tagged(s.tag).length;
        most = Math.max(most, n);
        return { n, status: await replicasOf(s) };
      },
      (v) => v.n === 6 && v.status === 6,
      workersSaid,
    );
    process.stderr.write(`harden: 6 replicas ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after the kill\n`);
    await sleep(2000);
    most = Math.max(most, tagged(s.tag).length);
    assert.equal(most, 6, 'never more than 6 processes');

    const r = await cli(s, ['override', 'pool', '--replicas', '0', '--force']);
    assert.equal(r.code, 0, r.err);
    await until('no replica left after override 0 --force', 20_000, async () => tagged(s.tag).length, (n) => n === 0, workersSaid);
  }));

  it('override: 1e30 and counts beyond the hard ceiling are refused, even with force; the CLI exits 2 naming --replicas', scenario('ceiling', { min: 1, max: 4 }, async (s) => {
    startWorker(s);
    await scalers.up(s.client, s.config);
    await firstReplica(s);
    const h = s.client.client.workflow.getHandle(scalerWorkflowId(s.config.project, 'pool'));
    try {
      for (const replicas of [1e30, 101, 2 ** 53]) {
        await assert.rejects(
          h.executeUpdate(overrideUpdate, { args: [{ replicas, force: true }] }),
          (e: unknown) => e instanceof WorkflowUpdateFailedError,
          `override ${replicas} with force is refused`,
        );
      }
    } finally {
      process.stderr.write(`harden: ${tagged(s.tag).length} processes after the refused overrides\n`);
    }
    for (const arg of ['101', '99999999999999999999999']) {
      const r = await cli(s, ['override', 'pool', '--replicas', arg, '--force']);
      assert.equal(r.code, 2, `--replicas ${arg}: ${r.out}${r.err}`);
      assert.match(r.err, /--replicas/);
    }
    assert.equal(tagged(s.tag).length, 1);

  }));

  // 1,000 replicas: /bin/sleep starts in milliseconds, and 100 were all started (in about 2 s) on
  // a fast machine before the pause's cancellation reached the apply's heartbeat.
  it('pause and resume stop an apply that is still starting replicas', scenario('stop', { min: 1, max: 4 }, async (s) => {
    startWorker(s);
    await scalers.up(s.client, s.config);
    await firstReplica(s);
    await scalers.override(s.client, s.config, 'pool', { replicas: 1000, force: true });
    await until('10 replicas', 20_000, async () => tagged(s.tag).length, (n) => n >= 10, workersSaid);
    await scalers.pause(s.client, s.config, 'pool', 'stop it');
    await sleep(4000);
    const settled = tagged(s.tag).length;
    await sleep(2000);
    const later = tagged(s.tag).length;
    process.stderr.write(`harden: paused at >= 10, then ${settled}, 2 s later ${later}\n`);
    assert.equal(later, settled, 'no replica started after the pause took effect');
    assert.ok(later < 1000, `the apply stopped before 1000 (${later})`);
    await scalers.resume(s.client, s.config, 'pool');
    await until('back within max_replicas after resume', 60_000, async () => tagged(s.tag).length, (n) => n === 4, workersSaid);
  }, { replica_ceiling: 1000 }));
});
