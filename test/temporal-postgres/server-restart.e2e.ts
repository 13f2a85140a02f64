// Opt-in (`node scripts/test-temporal-postgres.js`; not part of `npm test`: the server takes long
// to build): the production Temporal server (go.temporal.io/server, docker-compose.temporal.yaml's
// version) on the local PostgreSQL, with the real `docktor worker` and CLI as child processes.
// A scaler pinned at 3 local process replicas; then its worker is killed with SIGKILL and the
// Temporal server with SIGKILL too (a machine losing power), both are started again: the scaler's
// state (override, decisions) is still there, the new worker adopts the same processes (none
// doubled or lost), and the scaler acts again (3 -> 2 -> 1).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HistoryEntry, ScalerStatus } from '../../src/model/scaler-state';
import { docktor, docktorArgv, startBackground, type Background } from '../e2e/cli';
import { findTemporalServer, startTemporalPostgres, type TemporalPostgresServer } from '../harness/temporal-postgres';
import { pidsWithArgument } from '../harness/proc-scan';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-temporal-postgres-'));
const marker = `docktor-pg-e2e-${process.pid}`;
let server: TemporalPostgresServer | undefined;
let worker: Background | undefined;

function say(line: string): void {
  process.stderr.write(`server-restart: ${line}\n`);
}

function replicaPids(): number[] {
  return pidsWithArgument(marker);
}

after(async () => {
  await worker?.stop();
  for (const pid of replicaPids()) process.kill(pid, 'SIGKILL');
  await server?.stop();
});

test('production Temporal server on PostgreSQL: worker and server killed with SIGKILL, restarted, the scaler continues', { timeout: 600_000 }, async () => {
  const build = await findTemporalServer();
  let t = Date.now();
  server = await startTemporalPostgres(build, { workDir: path.join(dir, 'temporal'), dbPrefix: 'docktor_e2e_restart' });
  say(`temporal-server ${build.version} on PostgreSQL ready in ${((Date.now() - t) / 1000).toFixed(1)} s at ${server.address}`);
  fs.writeFileSync(
    path.join(dir, 'docktor.yaml'),
    `project: pge2e
temporal: { task_queue: pg-e2e-${process.pid} }
services:
  - name: sleeper
    min_replicas: 1
    max_replicas: 4
    check_interval: 1
    rules: {}
    runtime: { kind: process, command: [node, -e, "setInterval(() => {}, 1000)", ${marker}], grace_period: 2 }
`,
  );
  const env = { ...process.env, DOCKTOR_CONFIG: path.join(dir, 'docktor.yaml'), DOCKTOR_TEMPORAL_ADDRESS: server.address, DOCKTOR_STATE_DIR: path.join(dir, 'state') };
  const cli = async (...args: string[]) => {
    const r = await docktor(args, env);
    assert.equal(r.code, 0, `docktor ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const status = async () => JSON.parse(await cli('status', 'sleeper', '--json')) as ScalerStatus;
  const history = async () => JSON.parse(await cli('explain', 'sleeper', '--json', '--tail', '1000')) as HistoryEntry[];
  const waitFor = async (what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 90_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ok())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; pids ${replicaPids().join(',')}; worker:\n${worker?.output() ?? ''}\nserver:\n${server?.outputTail() ?? ''}`);
      await sleep(500);
    }
  };

  worker = startBackground(docktorArgv(['worker']), env);
  assert.match(await cli('up'), /sleeper: started/);
  await waitFor('1 replica (min_replicas)', () => replicaPids().length === 1);
  await cli('override', 'sleeper', '--replicas', '3', '--reason', 'before the crash');
  await waitFor('3 replicas', async () => replicaPids().length === 3 && (await status()).replicas === 3);
  const before = await history();
  const pidsBefore = replicaPids();

  t = Date.now();
  worker.child.kill('SIGKILL');
  await worker.exited;
  await server.stop('SIGKILL');
  say(`worker and temporal-server killed with SIGKILL; ${before.length} decisions recorded; replicas ${pidsBefore.join(',')}`);
  await server.start();
  say(`temporal-server restarted in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  worker = startBackground(docktorArgv(['worker']), env);

  // The override and the decisions outlived both; the restarted worker adopted the replicas.
  // (Queries need a worker: the first ones wait for it to start.)
  let after1: ScalerStatus | undefined;
  await waitFor('the restarted worker to answer', async () => {
    after1 = await status().catch(() => undefined);
    return after1 !== undefined;
  });
  assert.equal(after1?.override?.replicas, 3);
  assert.equal(after1?.override?.reason, 'before the crash');
  await waitFor('a decision after the restart', async () => (await history()).length > before.length);
  const h = await history();
  assert.deepEqual(h.slice(0, before.length).map((e) => [e.at, e.action, e.to]), before.map((e) => [e.at, e.action, e.to]));
  assert.deepEqual(replicaPids(), pidsBefore, 'the same 3 processes: none doubled, none lost');

  await cli('override', 'sleeper', '--replicas', '2', '--reason', 'after the restart');
  await waitFor('2 replicas', async () => replicaPids().length === 2 && (await status()).replicas === 2);
  await cli('override', 'sleeper', '--replicas', '1');
  await waitFor('1 replica', async () => replicaPids().length === 1 && (await status()).replicas === 1);
  await cli('down');
  say(`ok: ${h.length} decisions, history kept across the crash; scaled 3 -> 2 -> 1 afterwards`);
});
