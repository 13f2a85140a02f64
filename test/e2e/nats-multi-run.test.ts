// examples/nats-multi/run.sh as a user runs it (process variant, real NATS, its own Temporal dev
// server): Ctrl-C stops docktor, the producer and, by default, the consumer replicas docktor
// started; --keep-replicas leaves them (issue 14: a demo left 7 consumers running).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { testNats } from '../harness/services';

const RUN_SH = path.join(process.cwd(), 'examples', 'nats-multi', 'run.sh');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-run-sh-'));
const runs: ChildProcess[] = [];

/** Consumer replicas of this test: processes started with our state directory in their environment. */
function replicas(): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) return [];
      const env = fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0');
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return env.includes(`DOCKTOR_STATE_DIR=${stateDir}`) && cmd.includes('consumer.js') ? [Number(p)] : [];
    } catch {
      return [];
    }
  });
}

after(() => {
  for (const r of runs) if (r.pid) try { process.kill(-r.pid, 'SIGKILL'); } catch { /* gone */ }
  for (const pid of replicas()) process.kill(pid, 'SIGKILL');
  fs.rmSync(stateDir, { recursive: true, force: true });
});

async function ctrlC(args: string[]): Promise<{ output: string; before: number }> {
  const nats = await testNats();
  let out = '';
  // Its own process group, as a terminal's foreground job: Ctrl-C is SIGINT to the whole group.
  const child = spawn(RUN_SH, args, {
    detached: true,
    env: { ...process.env, DOCKTOR_EXAMPLE_RUNTIME: 'process', DOCKTOR_DEV_PORT: '0', DOCKTOR_DEV_UI_PORT: '0', DOCKTOR_STATE_DIR: stateDir, NATS_URL: nats.url, RATE: '1', BURST_RATE: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  runs.push(child);
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (out += d.toString()));
  const deadline = Date.now() + 120_000;
  while (replicas().length === 0 || !/Watching 1 service/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) assert.fail(`run.sh did not start a consumer:\n${out}`);
    await sleep(200);
  }
  const before = replicas().length;
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-(child.pid ?? 0), 'SIGINT');
  await exited;
  return { output: out, before };
}

it('Ctrl-C on run.sh stops the consumer replicas; --keep-replicas leaves them', async () => {
  const stopped = await ctrlC([]);
  assert.ok(stopped.before >= 1);
  assert.deepEqual(replicas(), [], `replicas left after Ctrl-C:\n${stopped.output}`);
  assert.match(stopped.output, /stopping the consumer replicas/);

  const kept = await ctrlC(['--keep-replicas']);
  assert.equal(replicas().length, kept.before, `--keep-replicas keeps them:\n${kept.output}`);
});
