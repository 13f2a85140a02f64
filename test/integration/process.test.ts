// The process runtime against real child processes (small Node scripts): scaling with
// DOCKTOR_REPLICA, graceful stop and SIGKILL after the grace period, crash restarts with back-off,
// CPU and memory from /proc, and the live checks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigurationError, SupersededError } from '../../src/errors';
import { planRestart } from '../../src/runtimes/process-backoff';
import { ProcessRuntime, type ProcessEvent } from '../../src/runtimes/process';
import {
  environOf,
  isRunning,
  killAllRecorded,
  makeFixture,
  makeTarget,
  outDirOf,
  readyMarker,
  recordedPids,
  recordedState,
  waitFor,
} from './process-fixtures';

const f = makeFixture('process');
const runtimes: ProcessRuntime[] = [];
const seenPids: number[] = [];
function runtime(options: ConstructorParameters<typeof ProcessRuntime>[0] = {}): ProcessRuntime {
  const rt = new ProcessRuntime({ stateDir: f.stateDir, pollIntervalMs: 200, ...options });
  runtimes.push(rt);
  return rt;
}

after(async () => {
  for (const rt of runtimes) await rt.close();
  killAllRecorded(f, seenPids);
});

async function allReady(service: string, n: number): Promise<Map<number, number>> {
  return waitFor(`${n} ready copies of ${service}`, () => {
    const pids = recordedPids(f, service);
    for (const pid of pids.values()) seenPids.push(pid);
    return pids.size === n && [...pids].every(([i, pid]) => readyMarker(f, service, i, pid)) ? pids : undefined;
  });
}

test('scales 0 -> 3 -> 4 -> 1 -> 0 -> 2 with DOCKTOR_REPLICA 1..N, idempotently, stopping newest first', async () => {
  const rt = runtime();
  const t = makeTarget(f, 'scale', { env: { EXTRA: 'yes' } });

  assert.deepEqual(await rt.ensure(t, 0), { before: 0, after: 0, detail: 'no change (0 of 0 running)' });

  const up = await rt.ensure(t, 3);
  assert.equal(up.before, 0);
  assert.equal(up.after, 3);
  assert.match(up.detail, /started proj-scale-1 \(pid \d+\), proj-scale-2 \(pid \d+\), proj-scale-3 \(pid \d+\)/);
  const three = await allReady('scale', 3);
  assert.deepEqual([...three.keys()], [1, 2, 3]);
  for (const [index, pid] of three) {
    const env = environOf(pid);
    assert.equal(env.DOCKTOR_REPLICA, String(index));
    assert.equal(env.EXTRA, 'yes', 'the service env is passed');
    assert.equal(env.PATH, process.env.PATH, 'the worker env is inherited under the service env');
    // Detached: each copy leads its own process group, so it outlives the worker.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]), pid, `copy ${index} leads its process group`);
  }

  const again = await rt.ensure(t, 3);
  assert.deepEqual({ before: again.before, after: again.after }, { before: 3, after: 3 });
  assert.match(again.detail, /no change \(3 of 3 running\)/);
  assert.deepEqual(recordedPids(f, 'scale'), three, 'ensuring 3 twice starts nothing');

  // Concurrent ensures of one service are serialized: both see to 4, one starts it.
  const [a, b] = await Promise.all([rt.ensure(t, 4), rt.ensure(t, 4)]);
  assert.deepEqual([a.after, b.after], [4, 4]);
  assert.equal([a, b].filter((r) => r.detail.startsWith('started')).length, 1);
  const four = await allReady('scale', 4);

  const obs = await rt.observe(t);
  assert.equal(obs['replicas.current'], 4);
  assert.equal(obs['replicas.ready'], 4);
  assert.equal(obs['replicas.restarts'], 0);
  assert.ok((obs['mem.avg_mb'] ?? 0) > 5 && (obs['mem.avg_mb'] ?? 0) < 2000, `mem.avg_mb of node copies: ${obs['mem.avg_mb']}`);
  assert.ok((obs['mem.avg_pct'] ?? 0) > 0 && (obs['mem.avg_pct'] ?? 100) < 100, `mem.avg_pct: ${obs['mem.avg_pct']}`);
  assert.ok((obs['cpu.avg_pct'] ?? -1) >= 0 && (obs['cpu.max_pct'] ?? -1) >= (obs['cpu.avg_pct'] ?? 0), `cpu: ${JSON.stringify(obs)}`);

  const down = await rt.ensure(t, 1);
  assert.deepEqual({ before: down.before, after: down.after }, { before: 4, after: 1 });
  assert.match(down.detail, /^stopped proj-scale-4 \(pid \d+, exit 0 after SIGTERM\), proj-scale-3 .*proj-scale-2 /);
  assert.deepEqual(recordedPids(f, 'scale'), new Map([[1, four.get(1)]]), 'the oldest index stays');
  for (const i of [2, 3, 4]) {
    const pid = four.get(i) ?? 0;
    assert.ok(fs.existsSync(path.join(outDirOf(f, 'scale'), `term-${i}-${pid}`)), `copy ${i} got SIGTERM and exited by itself`);
    assert.equal(isRunning(pid), false, `copy ${i} is gone when ensure returns`);
  }

  await rt.ensure(t, 0);
  assert.deepEqual(recordedState(f, 'scale')?.replicas, []);
  assert.equal(isRunning(four.get(1) ?? 0), false);
  assert.deepEqual(await rt.observe(t), { 'replicas.current': 0, 'replicas.ready': 0, 'replicas.restarts': 0 });

  await rt.ensure(t, 2);
  const two = await allReady('scale', 2);
  assert.deepEqual([...two.keys()], [1, 2], 'the lowest free indexes are reused');
  for (const [index, pid] of two) {
    assert.equal(environOf(pid).DOCKTOR_REPLICA, String(index));
    assert.ok(![...four.values()].includes(pid), 'fresh processes');
  }
  const log = fs.readFileSync(path.join(f.stateDir, 'proj-scale-1.log'), 'utf8');
  assert.equal(typeof log, 'string', 'each copy appends to its log file under the state dir');
  await rt.ensure(t, 0);
});

test('applies are fenced: an older one is refused, and one a newer one supersedes stops before it acts', async () => {
  const events: ProcessEvent[] = [];
  const rt = runtime({ onEvent: (e) => events.push(e) });
  const t = makeTarget(f, 'fence', { grace_period: 1 });
  const up = await rt.ensure(t, 2, { seq: 1000 });
  assert.equal(up.after, 2);
  await allReady('fence', 2);
  assert.equal(recordedState(f, 'fence')?.fence, 1000, 'the fence is persisted with the replicas');
  assert.deepEqual(events.filter((e) => e.type === 'started').map((e) => e.type === 'started' && e.seq), [1000, 1000]);

  // A frozen worker's apply resumed after a newer one acted: refused, nothing changes.
  await assert.rejects(rt.ensure(t, 4, { seq: 999 }), (e: unknown) => e instanceof SupersededError && /fence 999 < 1000/.test(e.message));
  assert.equal(recordedPids(f, 'fence').size, 2);

  // A stale apply still queued when a newer one arrives starts nothing; the newer one then acts.
  const [stale, fresh] = await Promise.all([rt.ensure(t, 4, { seq: 2000 }), rt.ensure(t, 1, { seq: 3000 })]);
  assert.match(stale.detail, /superseded by a newer apply after 0 of 2/);
  assert.equal(stale.after, 2);
  assert.equal(fresh.after, 1);
  const actions = events.filter((e) => e.type === 'started' || e.type === 'stopped');
  assert.ok(actions.every((e) => (e.type === 'started' || e.type === 'stopped') && e.seq !== 2000), 'the superseded apply neither started nor stopped a replica');

  // Another owner (the next worker) reads the fence from the state file.
  await rt.close();
  const next = runtime();
  await assert.rejects(next.ensure(t, 3, { seq: 2500 }), SupersededError);
  assert.equal((await next.ensure(t, 0, { seq: 4000 })).after, 0);
  // Unfenced callers (tests, tools) are not refused.
  assert.equal((await next.ensure(t, 0)).after, 0);
});

test('a copy that ignores SIGTERM is SIGKILLed after grace_period', async () => {
  const rt = runtime();
  const t = makeTarget(f, 'stubborn', { mode: 'stubborn', grace_period: 1 });
  await rt.ensure(t, 1);
  const pid = (await allReady('stubborn', 1)).get(1) ?? 0;
  const started = Date.now();
  const r = await rt.ensure(t, 0);
  const took = Date.now() - started;
  assert.match(r.detail, new RegExp(`stopped proj-stubborn-1 \\(pid ${pid}, SIGKILL after 1 s grace\\)`));
  assert.ok(fs.existsSync(path.join(outDirOf(f, 'stubborn'), `ignored-1-${pid}`)), 'it was sent SIGTERM first');
  assert.ok(took >= 1000, `the grace period was waited (${took} ms)`);
  assert.equal(isRunning(pid), false);
});

test('a copy that dies is restarted with growing back-off and counted; scaling down cancels the restart', async () => {
  const events: ProcessEvent[] = [];
  const rt = runtime({ backoff: { base_ms: 200 }, onEvent: (e) => events.push(e) });
  const t = makeTarget(f, 'crash', { mode: 'crash' });
  await rt.ensure(t, 1);

  const obs = await waitFor(
    '3 restarts',
    async () => {
      const o = await rt.observe(t);
      return (o['replicas.restarts'] ?? 0) >= 3 ? o : undefined;
    },
    15_000,
  );
  assert.equal(obs['replicas.current'], 1, 'a copy in back-off still counts as a replica');
  const delays = events.flatMap((e) => (e.type === 'restart_scheduled' ? [e.delay_ms] : []));
  assert.deepEqual(delays.slice(0, 3), [200, 400, 800]);
  const exits = events.filter((e) => e.type === 'exited');
  assert.ok(exits.length >= 3 && exits.every((e) => e.type === 'exited' && e.code === 1), 'each death is seen with its exit code');

  // The real starts are at least the back-off apart, and the gaps grow.
  const startsLog = path.join(outDirOf(f, 'crash'), 'starts-1.log');
  const starts = await waitFor('4 starts in the log', () => {
    const lines = fs.readFileSync(startsLog, 'utf8').trim().split('\n');
    return lines.length >= 4 ? lines.map((l) => Number(l.split(' ')[1])) : undefined;
  });
  const gaps = starts.slice(1).map((s, i) => s - (starts[i] ?? 0));
  assert.ok(gaps.length >= 3, `starts: ${starts.join(', ')}`);
  for (let i = 0; i < 3; i++) assert.ok((gaps[i] ?? 0) >= (delays[i] ?? 0), `gap ${i} ${gaps[i]} ms >= back-off ${delays[i]} ms`);
  assert.ok((gaps[2] ?? 0) > (gaps[0] ?? 0), `gaps grow: ${gaps.join(', ')}`);

  const st = recordedState(f, 'crash');
  assert.ok((st?.restarts ?? 0) >= 3 && (st?.replicas[0]?.restarts ?? 0) >= 3, 'restarts are in the state file');

  const again = await rt.ensure(t, 1);
  assert.match(again.detail, /^no change/);
  assert.equal(events.filter((e) => e.type === 'started' && !e.restart).length, 1, 'ensure(1) during a crash loop starts no duplicate');

  await rt.ensure(t, 0);
  const startedBefore = events.filter((e) => e.type === 'started').length;
  const count = fs.readFileSync(startsLog, 'utf8').trim().split('\n').length;
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(events.filter((e) => e.type === 'started').length, startedBefore, 'no restart after scale-down');
  assert.equal(fs.readFileSync(startsLog, 'utf8').trim().split('\n').length, count, 'no copy ran after scale-down');
});

test('back-off doubles from the base, is capped, and starts over after a long run', () => {
  const policy = { base_ms: 1000, max_ms: 60_000, reset_after_ms: 60_000 };
  let failures = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    const plan = planRestart(failures, 100, policy);
    delays.push(plan.delay_ms);
    failures = plan.failures;
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assert.deepEqual(planRestart(failures, 60_000, policy), { delay_ms: 1000, failures: 1 });
  assert.equal(planRestart(5000, 0, policy).delay_ms, 60_000, 'huge streaks stay finite');
});

test('CPU of a busy copy (its child burns a core) is above that of an idle one; the child dies with the copy', async (ctx) => {
  const rt = runtime();
  const busy = makeTarget(f, 'busy', { mode: 'busy-child' });
  const idle = makeTarget(f, 'idle');
  await Promise.all([rt.ensure(busy, 1), rt.ensure(idle, 1)]);
  await Promise.all([allReady('busy', 1), allReady('idle', 1)]);
  const grandchild = Number(fs.readFileSync(path.join(outDirOf(f, 'busy'), 'grandchild-1'), 'utf8'));
  seenPids.push(grandchild);
  await rt.observe(busy);
  await rt.observe(idle);
  await new Promise((r) => setTimeout(r, 1500));
  const b = await rt.observe(busy);
  const i = await rt.observe(idle);
  const busyCpu = b['cpu.avg_pct'] ?? -1;
  const idleCpu = i['cpu.avg_pct'] ?? -1;
  ctx.diagnostic(`busy ${busyCpu}% idle ${idleCpu}% of one core; busy RSS ${b['mem.avg_mb']} MB (copy + child)`);
  assert.ok(busyCpu > 20, `busy copy uses CPU through its child: ${busyCpu}%`);
  assert.ok(idleCpu >= 0 && idleCpu < busyCpu / 2, `idle copy ${idleCpu}% well below busy ${busyCpu}%`);
  assert.equal(b['cpu.max_pct'], busyCpu, 'one copy: max = avg');
  assert.ok(isRunning(grandchild));
  await Promise.all([rt.ensure(busy, 0), rt.ensure(idle, 0)]);
  await waitFor('the busy grandchild to be gone', () => !isRunning(grandchild), 3000);
});

test('check: program on PATH and cwd; ensure refuses a missing program as a configuration error', async () => {
  const rt = runtime();
  const good = await rt.check(makeTarget(f, 'checked', { command: ['node', 'worker.js'], env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` } }));
  assert.ok(good.every((c) => c.ok), JSON.stringify(good));
  assert.ok(good.some((c) => c.label === "Program 'node' is executable" && c.detail?.endsWith('/node')));

  const bad = await rt.check(makeTarget(f, 'checked', { command: ['no-such-program-xyz'], cwd: path.join(f.root, 'missing') }));
  const failed = bad.filter((c) => !c.ok).map((c) => c.label);
  assert.deepEqual(failed, [`Working directory ${path.join(f.root, 'missing')} exists`, "Program 'no-such-program-xyz' is executable"]);

  const missing = makeTarget(f, 'missingprog', { command: ['./not-here.sh'] });
  await assert.rejects(rt.ensure(missing, 2), (e: unknown) => e instanceof ConfigurationError && /runtime\.command: .*not-here\.sh does not exist/.test(e.message));
  assert.equal(recordedPids(f, 'missingprog').size, 0);
});
