// examples/nats-multi/run.sh as a user runs it (process variant, real NATS, its own Temporal dev
// server): Ctrl-C stops docktor, the producer and, by default, the consumer replicas docktor
// started; --keep-replicas leaves them (issue 14: a demo left 7 consumers running). A rerun starts
// clean, without the previous run's scaler history and leftover messages; --resume keeps both
// (issue 26: a rerun's first decision saw messages 5,314 s old, its timeline spanned 90 minutes).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { after, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { testNats } from '../harness/services';

const RUN_SH = path.join(process.cwd(), 'examples', 'nats-multi', 'run.sh');
const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-run-sh-'));
const runs: ChildProcess[] = [];
/** The dev server's database run.sh starts from, and links that keep the file a run found there. */
const DB = path.join(path.dirname(RUN_SH), '.docktor', 'temporal.db');
const links: string[] = [];

/** A hard link to the database as it is now: the same file later, or a new one? */
function keepDb(name: string): () => boolean {
  fs.mkdirSync(path.dirname(DB), { recursive: true });
  if (!fs.existsSync(DB)) fs.writeFileSync(DB, ''); // SQLite takes an empty file as an empty database
  const link = path.join(path.dirname(DB), `test-${name}-${process.pid}`);
  fs.rmSync(link, { force: true });
  fs.linkSync(DB, link);
  links.push(link);
  return () => fs.statSync(DB).ino === fs.statSync(link).ino;
}

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
  for (const l of links) fs.rmSync(l, { force: true });
});

async function ctrlC(args: string[], whileRunning: () => Promise<void> = async () => undefined): Promise<{ output: string; before: number }> {
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
  await whileRunning();
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-(child.pid ?? 0), 'SIGINT');
  await exited;
  return { output: out, before };
}

it('Ctrl-C on run.sh stops the consumer replicas; --keep-replicas leaves them; a rerun starts clean, --resume continues', async () => {
  // Leftovers of an earlier run: messages in the stream, and a scaler history in the database.
  const nats = await testNats();
  const nc = await connect({ servers: nats.url, timeout: 3000 });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.info('EVENTS').catch(() => jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'] }));
  await Promise.all(Array.from({ length: 3 }, (_, i) => jetstream(nc).publish('events.web', `leftover ${i}`)));
  const leftAt = Date.now();
  const sameDbAsBefore = keepDb('before-clean');

  let clean = { sameDb: true, firstMessageAt: 0 };
  const stopped = await ctrlC([], async () => {
    const { state } = await jsm.streams.info('EVENTS');
    clean = { sameDb: sameDbAsBefore(), firstMessageAt: state.messages > 0 ? Date.parse(state.first_ts) : Infinity };
  });
  assert.ok(stopped.before >= 1);
  assert.deepEqual(replicas(), [], `replicas left after Ctrl-C:\n${stopped.output}`);
  assert.match(stopped.output, /stopping the consumer replicas/);
  assert.match(stopped.output, /starting clean: dropped the previous run's scaler history/);
  const dropped = /stream EVENTS: dropped (\d+) leftover message\(s\), the oldest \d+ s old/.exec(stopped.output);
  assert.ok(dropped && Number(dropped[1]) >= 3, stopped.output);
  assert.equal(clean.sameDb, false, 'the clean run started on a new database');
  assert.ok(clean.firstMessageAt >= leftAt, 'the leftover messages are gone from the stream');

  const sameDbAsRun1 = keepDb('before-resume');
  let resumed = false;
  const kept = await ctrlC(['--keep-replicas', '--resume'], async () => void (resumed = sameDbAsRun1()));
  assert.equal(replicas().length, kept.before, `--keep-replicas keeps them:\n${kept.output}`);
  assert.match(kept.output, /resuming the previous run: the scalers continue their history/);
  assert.match(kept.output, /stream EVENTS keeps \d+ message\(s\) from before/);
  assert.equal(resumed, true, '--resume runs on the previous run\'s database');
  await nc.close();
});
