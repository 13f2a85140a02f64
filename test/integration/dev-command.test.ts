// `docktor dev`, the embedded default, as a real process: it starts a Temporal dev server with its
// state on disk, a worker and the scalers; Ctrl-C stops everything cleanly; a second run continues
// the same workflow with its history and adopts the replicas the first run left.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { pidsWithArgument } from '../harness/proc-scan';

const BIN = path.join(process.cwd(), 'bin', 'docktor.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-dev-'));
const marker = `docktor-dev-test-${process.pid}`;
const env = { ...process.env, DOCKTOR_DEV_PORT: '0', DOCKTOR_DEV_UI_PORT: '0', DOCKTOR_STATE_DIR: path.join(dir, 'state') };

fs.writeFileSync(
  path.join(dir, 'docktor.yaml'),
  `project: devtest
services:
  - name: sleeper
    min_replicas: 2
    max_replicas: 3
    check_interval: 1
    rules: {}
    runtime: { kind: process, command: [node, -e, "setInterval(() => {}, 1000)", ${marker}], grace_period: 2 }
`,
);

function pidsOfReplicas(): number[] {
  return pidsWithArgument(marker);
}

interface DevRun {
  child: ChildProcess;
  output: () => string;
  address: () => string | undefined;
}

function startDev(): DevRun {
  let out = '';
  const child = spawn(process.execPath, [BIN, 'dev'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (out += d.toString()));
  return { child, output: () => out, address: () => /Temporal dev server: (\S+?),/.exec(out)?.[1] };
}

async function waitFor(what: string, ok: () => boolean, run: DevRun, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; output:\n${run.output()}`);
    await sleep(200);
  }
}

async function docktor(address: string, ...args: string[]): Promise<string> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...env, DOCKTOR_TEMPORAL_ADDRESS: address } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  assert.equal(code, 0, `docktor ${args.join(' ')} failed`);
  return out;
}

async function stop(run: DevRun): Promise<number | null> {
  run.child.kill('SIGINT');
  return new Promise((r) => run.child.on('exit', (code) => r(code)));
}

after(() => {
  for (const pid of pidsOfReplicas()) process.kill(pid, 'SIGKILL');
});

it('runs, stops cleanly on Ctrl-C, and continues on the next run', async () => {
  const first = startDev();
  await waitFor('the scaler to start', () => first.output().includes('Watching 1 service(s)'), first);
  assert.match(first.output(), /sleeper: started \(docktor\/devtest\/sleeper, runtime process\)/);
  await waitFor('two replicas', () => pidsOfReplicas().length === 2, first);
  const pids = pidsOfReplicas();
  const address = first.address();
  assert.ok(address);
  const before = JSON.parse(await docktor(address, 'status', 'sleeper', '--json')) as { checks: number; replicas: number };
  assert.equal(await stop(first), 0, first.output());
  assert.match(first.output(), /docktor dev: stopped/);
  assert.ok(fs.existsSync(path.join(dir, '.docktor', 'temporal.db')), 'state kept in .docktor/temporal.db');
  assert.deepEqual(pidsOfReplicas(), pids, 'replicas stay when docktor stops');

  const second = startDev();
  await waitFor('the scaler to continue', () => second.output().includes('Watching 1 service(s)'), second);
  assert.match(second.output(), /sleeper: unchanged/);
  const address2 = second.address();
  assert.ok(address2);
  let after = before;
  for (let i = 0; i < 50 && after.checks <= before.checks + 2; i++) {
    await sleep(200);
    after = JSON.parse(await docktor(address2, 'status', 'sleeper', '--json')) as typeof before;
  }
  assert.ok(after.checks > before.checks + 2, `checks continue from ${before.checks}: ${after.checks}`);
  assert.equal(after.replicas, 2);
  assert.deepEqual(pidsOfReplicas(), pids, 'the second run adopts the replicas instead of starting new ones');
  assert.equal(await stop(second), 0, second.output());
});
