// Host-aware routing (issue: machines), on one machine: two real `docktor worker` child processes
// that own hosts `alpha` and `beta` (`--host`), each with its own state directory, as two machines
// would have, under a real Temporal dev server. Service `a` lives on alpha, `b` on beta (process
// runtime, replicas are `/bin/sleep` tagged in their environment). What it shows: each service's
// replicas are started only by its host's worker; with alpha's worker SIGKILLed, `a` holds
// (`limited_by: host`, `docktor status` says so) and nothing changes its replicas even with an
// override pending, while `b` goes on scaling; alpha's worker back, `a` adopts its replicas and
// acts again.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { readState, serviceKey, stateFilePath } from '../../src/runtimes/process-state';
import { WORKFLOW_TYPE, scalerWorkflowId } from '../../src/workflows/definitions';
import type { ScalerInput, ScalerStatus } from '../../src/model/scaler-state';
import { runCli } from '../harness/cli';
import { pidsWithEnv } from '../harness/proc-scan';
import { testTemporal } from '../harness/services';
import { docktorArgv } from '../e2e/cli';
import { until } from '../e2e/scenario';

const TAG = 'DOCKTOR_TEST_TAG';
const children: ChildProcess[] = [];
const logs = new Map<string, string>();
const tags: string[] = [];
let client: ControlClient | undefined;

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await client?.close();
  for (const tag of tags) for (const pid of pidsWithEnv(TAG, tag)) process.kill(pid, 'SIGKILL');
});

describe('host routing (issue: machines)', () => {
  it("each host's worker alone runs its services' replicas; a host without a worker holds, reported, and resumes adopting its replicas", async () => {
    const t = await testTemporal();
    const id = randomBytes(4).toString('hex');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-hosts-'));
    const project = `hosts-${id}`;
    const tagOf = { a: `a-${id}`, b: `b-${id}`, c: `c-${id}` };
    tags.push(tagOf.a, tagOf.b);
    const service = (name: 'a' | 'b' | 'c', host: string) => ({
      name,
      min_replicas: 1,
      max_replicas: 4,
      check_interval: 1,
      rules: {},
      cooldown: { up: 0, down: 0 },
      runtime: { kind: 'process', host, command: ['/bin/sleep', '600'], env: { [TAG]: tagOf[name] }, grace_period: 1 },
    });
    const configFile = path.join(dir, 'docktor.yaml');
    fs.writeFileSync(configFile, stringify({ version: '1', project, temporal: { namespace: t.namespace, task_queue: project }, services: [service('a', 'alpha'), service('b', 'beta'), service('c', 'gamma')] }));
    const config = loadConfig(configFile);
    const c = (client = await connectClient(config.temporal, t.address));
    const stateDir = { alpha: path.join(dir, 'alpha'), beta: path.join(dir, 'beta') };
    const env = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: t.address };
    const worker = (host: 'alpha' | 'beta'): ChildProcess => {
      const child = spawn(process.execPath, docktorArgv(['worker', '-c', configFile, '--host', host]), { cwd: dir, env: { ...env, DOCKTOR_STATE_DIR: stateDir[host] }, stdio: ['ignore', 'pipe', 'pipe'] });
      const add = (d: Buffer) => logs.set(host, ((logs.get(host) ?? '') + d.toString()).slice(-20_000));
      child.stdout!.on('data', add);
      child.stderr!.on('data', add);
      children.push(child);
      return child;
    };
    const said = () => [...logs].map(([h, l]) => `worker ${h}:\n${l}`).join('\n---\n');
    const replicas = (name: 'a' | 'b') => pidsWithEnv(TAG, tagOf[name]);
    const recorded = (host: 'alpha' | 'beta', name: 'a' | 'b') => readState(stateFilePath(stateDir[host], serviceKey(project, name)))?.replicas.length ?? 0;
    const statusOf = async (name: string): Promise<ScalerStatus> => {
      const st = (await scalers.status(c, config, name))[0];
      assert.ok(st?.running, `${name} runs`);
      return st;
    };

    const t0 = Date.now();
    const say = (what: string) => process.stderr.write(`hosts: +${((Date.now() - t0) / 1000).toFixed(1)}s ${what}\n`);
    let alpha = worker('alpha');
    worker('beta');
    // Short watches, heartbeats and pickup wait, so a dead worker is noticed in seconds (by default
    // up to 90 s, plus 15 s for a worker of the host). (c's host, gamma, has no worker: only
    // `config validate` looks at it.)
    for (const s of config.services.filter((x) => x.name !== 'c')) {
      const input: ScalerInput = { project, service: s, watch: { quiet_seconds: 5, heartbeat_seconds: 2, host_pickup_seconds: 4 } };
      await c.client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId(project, s.name), taskQueue: config.temporal.task_queue, args: [input] });
    }
    await until('one replica of each', 120_000, async () => [replicas('a').length, replicas('b').length], ([a, b]) => a === 1 && b === 1, said);
    assert.match(logs.get('alpha') ?? '', /host alpha \(task queue .*\/host\/alpha\): services a\b/);
    assert.match(logs.get('alpha') ?? '', /b: on host beta, served by that host's worker, not this one/);
    const validated = await runCli(['config', 'validate', '-c', configFile], { cwd: dir, env });
    assert.equal(validated.code, 1, validated.out);
    assert.match(validated.out, /✓ Workers of host alpha \(a\): 1 live worker\(s\) on task queue hosts-\w+\/host\/alpha/);
    assert.match(validated.out, /✓ Workers of host beta \(b\): 1 live worker/);
    assert.match(validated.out, /✗ Workers of host gamma \(c\): no live worker: run `docktor worker --host gamma` on that machine/);
    const upC = await runCli(['up', 'c', '-c', configFile], { cwd: dir, env });
    assert.equal(upC.code, 0, upC.err);
    assert.match(upC.err, /warning: no live worker serves host gamma: c hold until `docktor worker --host gamma` runs there/);
    assert.equal((await runCli(['down', 'c', '-c', configFile], { cwd: dir, env })).code, 0);

    await scalers.override(c, config, 'a', { replicas: 3 });
    await until('3 replicas of a', 30_000, async () => replicas('a').length, (n) => n === 3, said);
    say('a at 3 replicas, b at 1');
    // Each pool is recorded in its own host's state directory only: the other worker never touched it.
    assert.deepEqual([recorded('alpha', 'a'), recorded('beta', 'a'), recorded('beta', 'b'), recorded('alpha', 'b')], [3, 0, 1, 0]);
    assert.equal((await statusOf('a')).host?.workers, 1, 'one live worker polls alpha');

    // alpha's worker dies: a holds, naming the host; its replicas stay as they are.
    const before = replicas('a');
    const killedAt = Date.now();
    alpha.kill('SIGKILL');
    const held = await until('a holds for want of host alpha', 60_000, () => statusOf('a'), (st) => st.host?.missing_since !== null && st.last_decision?.limited_by === 'host', said);
    say(`a held ${((Date.now() - killedAt) / 1000).toFixed(1)} s after alpha's worker was killed`);
    assert.match(held.last_decision?.reason ?? '', /^host alpha: no worker serves it \(none took the check within 4 s\)/);
    const shown = await runCli(['status', 'a', '-c', configFile], { cwd: dir, env });
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /host alpha: NOT SERVED since .*holding/);

    // beta goes on; an override of a waits for alpha, and beta's worker never applies it.
    await scalers.override(c, config, 'b', { replicas: 2 });
    await scalers.override(c, config, 'a', { replicas: 1 });
    await until('2 replicas of b', 30_000, async () => replicas('b').length, (n) => n === 2, said);
    say('b at 2 replicas');
    await sleep(3000);
    assert.deepEqual(replicas('a'), before, "a's replicas are untouched while alpha has no worker");
    assert.equal(recorded('beta', 'a'), 0);

    // alpha's worker back: it takes the waiting watch at once, adopts a's three replicas and applies the override.
    alpha = worker('alpha');
    await until('a down to 1 after alpha is back', 60_000, async () => replicas('a'), (pids) => pids.length === 1, said);
    assert.ok(before.includes(replicas('a')[0]!), 'the one left is one of the adopted replicas, not a new one');
    say('a at 1 replica after alpha is back');
    // (The processes are gone before the workflow has recorded the apply's result.)
    const back = await until("a's status at 1", 10_000, () => statusOf('a'), (st) => st.replicas === 1, said);
    assert.equal(back.host?.missing_since, null);
  });
});
