// Ownership of process replicas across worker restarts: the owner runs in a separate Node process
// that is killed with SIGKILL; a new runtime adopts the live copies (no duplicates, same pids),
// watches them by polling /proc, reaps the dead and restarts them.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ProcessRuntimeConfig } from '../../src/config/runtime';
import { UnavailableError } from '../../src/errors';
import { readProcStat } from '../../src/runtimes/proc-stats';
import { ProcessRuntime, type ProcessEvent } from '../../src/runtimes/process';
import { writeState, type ProcessStateInput } from '../../src/runtimes/process-state';
import type { RuntimeTarget } from '../../src/runtimes/runtime';
import {
  environOf,
  isRunning,
  killAllRecorded,
  makeFixture,
  makeTarget,
  outDirOf,
  readyMarker,
  recordedPids,
  type Fixture,
  waitFor,
} from './process-fixtures';

const f = makeFixture('adopt');
const runtimes: ProcessRuntime[] = [];
const seenPids: number[] = [];
after(async () => {
  for (const rt of runtimes) await rt.close();
  killAllRecorded(f, seenPids);
});

function runtime(events?: ProcessEvent[]): ProcessRuntime {
  const rt = new ProcessRuntime({
    stateDir: f.stateDir,
    pollIntervalMs: 100,
    backoff: { base_ms: 200 },
    ...(events ? { onEvent: (e: ProcessEvent) => events.push(e) } : {}),
  });
  runtimes.push(rt);
  return rt;
}

// The compiled runtime next to this compiled test (dist/test/integration -> dist/src/runtimes).
const RUNTIME_MODULE = require.resolve('../../src/runtimes/process');
const OWNER_JS = `
const { ProcessRuntime } = require(${JSON.stringify(RUNTIME_MODULE)});
const [target, replicas] = [JSON.parse(process.argv[2]), Number(process.argv[3])];
const rt = new ProcessRuntime({ stateDir: process.env.STATE_DIR });
rt.ensure(target, replicas).then(
  (r) => { process.stdout.write(JSON.stringify(r) + '\\n'); setInterval(() => {}, 1 << 30); },
  (e) => { console.error(e); process.exit(3); },
);
`;

/** A worker in its own process that starts `replicas` copies and then just lives. */
async function startOwner(fx: Fixture, target: RuntimeTarget<ProcessRuntimeConfig>, replicas: number): Promise<ChildProcess> {
  const script = path.join(fx.root, 'owner.js');
  fs.writeFileSync(script, OWNER_JS);
  const owner = spawn(process.execPath, [script, JSON.stringify(target), String(replicas)], {
    env: { ...process.env, STATE_DIR: fx.stateDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (owner.pid !== undefined) seenPids.push(owner.pid);
  await new Promise<void>((resolve, reject) => {
    owner.once('exit', (code) => reject(new Error(`the owner process exited early with ${code}`)));
    owner.stdout?.once('data', () => resolve());
  });
  owner.removeAllListeners('exit');
  return owner;
}

async function killOwner(owner: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => owner.once('exit', resolve));
  owner.kill('SIGKILL');
  await gone;
}

async function readyPids(service: string, n: number): Promise<Map<number, number>> {
  return waitFor(`${n} ready copies of ${service}`, () => {
    const pids = recordedPids(f, service);
    for (const pid of pids.values()) seenPids.push(pid);
    return pids.size === n && [...pids].every(([i, pid]) => readyMarker(f, service, i, pid) && isRunning(pid)) ? pids : undefined;
  });
}

test('a new worker adopts the live copies of a killed owner: no duplicates, same pids, supervised', async () => {
  const t = makeTarget(f, 'adopt');
  const owner = await startOwner(f, t, 2);
  const pids = await readyPids('adopt', 2);

  // While the owner lives, another runtime only reads.
  const events: ProcessEvent[] = [];
  const rt = runtime(events);
  const seen = await rt.observe(t);
  assert.equal(seen['replicas.current'], 2);
  assert.equal(seen['replicas.ready'], 2);
  await assert.rejects(rt.ensure(t, 3), (e: unknown) => e instanceof UnavailableError && /supervised by another docktor worker \(pid \d+/.test(e.message));
  assert.deepEqual(recordedPids(f, 'adopt'), pids);

  await killOwner(owner);
  for (const pid of pids.values()) assert.ok(isRunning(pid), `copy ${pid} outlives its owner (own process group)`);

  const r = await rt.ensure(t, 2);
  assert.deepEqual({ before: r.before, after: r.after }, { before: 2, after: 2 });
  assert.match(r.detail, /^no change \(2 of 2 running\)/);
  assert.deepEqual(recordedPids(f, 'adopt'), pids, 'the same pids, nothing started');
  assert.equal(events.filter((e) => e.type === 'started').length, 0);
  assert.deepEqual(
    events.filter((e) => e.type === 'adopted').map((e) => (e.type === 'adopted' ? e.pid : 0)),
    [pids.get(1), pids.get(2)],
  );
  const obs = await rt.observe(t);
  assert.equal(obs['replicas.ready'], 2);
  assert.ok((obs['mem.avg_mb'] ?? 0) > 5, 'adopted copies are measured');

  // An adopted copy is not our child: its death is seen by polling /proc, and it is restarted.
  const victim = pids.get(2) ?? 0;
  process.kill(victim, 'SIGKILL');
  const fresh = await waitFor('copy 2 restarted', () => {
    const now = recordedPids(f, 'adopt').get(2);
    return now !== undefined && now !== victim && readyMarker(f, 'adopt', 2, now) ? now : undefined;
  });
  seenPids.push(fresh);
  assert.equal(environOf(fresh).DOCKTOR_REPLICA, '2');
  assert.equal(recordedPids(f, 'adopt').get(1), pids.get(1));
  assert.equal((await rt.observe(t))['replicas.restarts'], 1);

  // Adopted copies stop gracefully too (SIGTERM handled, exit 0).
  const down = await rt.ensure(t, 0);
  assert.match(down.detail, new RegExp(`proj-adopt-1 \\(pid ${pids.get(1)}, exited after SIGTERM\\)`));
  assert.ok(fs.existsSync(path.join(outDirOf(f, 'adopt'), `term-1-${pids.get(1)}`)));
  assert.equal(isRunning(pids.get(1) ?? 0), false);
});

test('a recorded copy that died while no worker watched is reaped and restarted in its slot', async () => {
  const t = makeTarget(f, 'reap');
  const owner = await startOwner(f, t, 2);
  const pids = await readyPids('reap', 2);
  await killOwner(owner);
  const dead = pids.get(2) ?? 0;
  process.kill(dead, 'SIGKILL');
  await waitFor('the killed copy to be gone', () => !isRunning(dead));

  const events: ProcessEvent[] = [];
  const rt = runtime(events);
  const first = await rt.observe(t);
  assert.equal(first['replicas.current'], 2, 'the dead copy keeps its slot');
  assert.equal(first['replicas.ready'], 1);
  assert.ok(events.some((e) => e.type === 'reaped' && e.pid === dead));
  assert.ok(events.some((e) => e.type === 'adopted' && e.pid === pids.get(1)));
  assert.ok(!recordedPids(f, 'reap').has(2) || recordedPids(f, 'reap').get(2) !== dead, 'the dead pid is no longer recorded');

  const fresh = await waitFor('copy 2 restarted', () => {
    const now = recordedPids(f, 'reap').get(2);
    return now !== undefined && now !== dead && readyMarker(f, 'reap', 2, now) ? now : undefined;
  });
  seenPids.push(fresh);
  const r = await rt.ensure(t, 2);
  assert.match(r.detail, /^no change/);
  assert.deepEqual(recordedPids(f, 'reap'), new Map([[1, pids.get(1)], [2, fresh]]));
  assert.equal((await rt.observe(t))['replicas.restarts'], 1);
  await rt.ensure(t, 0);
});

test('close() leaves the copies running; a later runtime in the same process adopts them', async () => {
  const first = runtime();
  const t = makeTarget(f, 'reopen');
  await first.ensure(t, 2);
  const pids = await readyPids('reopen', 2);
  await first.close();
  for (const pid of pids.values()) assert.ok(isRunning(pid), 'close() stops supervision only');

  const events: ProcessEvent[] = [];
  const second = runtime(events);
  const r = await second.ensure(t, 2);
  assert.match(r.detail, /^no change \(2 of 2 running\)/);
  assert.deepEqual(recordedPids(f, 'reopen'), pids);
  assert.equal(events.filter((e) => e.type === 'adopted').length, 2);
  await second.ensure(t, 0);
  for (const pid of pids.values()) assert.equal(isRunning(pid), false);
});

test('a recorded pid that now belongs to another process (other start time) is never adopted nor signalled', async () => {
  // A stand-in for an unrelated process that got the pid: it even leads its own process group.
  const stranger = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { detached: true, stdio: 'ignore' });
  const pid = stranger.pid ?? 0;
  seenPids.push(pid);
  const realStart = await waitFor('the stranger to run', () => readProcStat(pid)?.start_time);
  const t = makeTarget(f, 'reused');
  const state: ProcessStateInput = {
    version: 1,
    project: f.project,
    service: 'reused',
    restarts: 0,
    replicas: [
      { index: 1, pid, start_time: realStart + 1, started_at: Date.now() - 1000, command: t.runtime.command, failures: 0, restarts: 0, restart_at: null },
    ],
    updated_at: new Date().toISOString(),
  };
  writeState(path.join(f.stateDir, `${f.project}-reused.json`), state);

  const events: ProcessEvent[] = [];
  const rt = runtime(events);
  const obs = await rt.observe(t);
  assert.equal(obs['replicas.ready'], 0, 'the stranger is not counted');
  assert.ok(events.some((e) => e.type === 'reaped' && e.pid === pid));
  const copy = await waitFor('a real copy in slot 1', () => {
    const now = recordedPids(f, 'reused').get(1);
    return now !== undefined && now !== pid && readyMarker(f, 'reused', 1, now) ? now : undefined;
  });
  seenPids.push(copy);
  await rt.ensure(t, 0);
  assert.equal(isRunning(copy), false);
  assert.ok(isRunning(pid), 'the stranger was left alone');
  const gone = new Promise((resolve) => stranger.once('exit', resolve));
  stranger.kill('SIGKILL');
  await gone;
});

test('a stale lock taken over by several processes at the same moment has exactly one new owner', async () => {
  const ownerModule = require.resolve('../../src/runtimes/process-owner');
  const lock = path.join(f.stateDir, 'race.lock');
  // Each racer waits for the same instant, then tries once, says whether it owns the lock, and lives on a while.
  const racer = `
const { acquireOwnership } = require(${JSON.stringify(ownerModule)});
const at = Number(process.argv[2]);
while (Date.now() < at) {}
process.stdout.write(String(acquireOwnership(process.argv[1]).owned));
// Alive until every racer has tried: a winner that exited would leave a stale lock again.
setTimeout(() => {}, 700);
`;
  const outcome = (child: ChildProcess) =>
    new Promise<string>((resolve) => {
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', () => resolve(out));
    });
  for (let round = 0; round < 8; round++) {
    // Owned by a process that is gone (pid 1's start time is never 1).
    fs.mkdirSync(f.stateDir, { recursive: true });
    fs.writeFileSync(lock, `${JSON.stringify({ pid: 1, start_time: 1 })}\n`);
    const at = Date.now() + 300;
    const racers = Array.from({ length: 4 }, () => spawn(process.execPath, ['-e', racer, lock, String(at)], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const owned = await Promise.all(racers.map(outcome));
    assert.equal(owned.filter((o) => o === 'true').length, 1, `round ${round}: ${owned.join(', ')}`);
    assert.equal(fs.existsSync(`${lock}.takeover`), false, 'the takeover guard is removed');
  }
});
