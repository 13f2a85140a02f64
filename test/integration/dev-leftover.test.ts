// `docktor dev` killed with SIGKILL leaves its Temporal dev server running (its own process
// group, so Ctrl-C in a terminal reaches docktor first). The next `docktor dev` with the same
// config must not fail with "port in use": it stops our own leftover server (pid file beside the
// database) and starts again; a port held by something else is reported with its pid (issue 14).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { freePort } from '../../src/dev/free-port';
import { docktorArgv } from '../e2e/cli';
import { within } from '../harness/within';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-dev-leftover-'));
fs.writeFileSync(path.join(dir, 'docktor.yaml'), 'project: leftover\nservices:\n  - { name: idle, max_replicas: 1, rules: {}, runtime: { kind: process, command: [sleep, "600"] } }\n');
const db = path.join(dir, '.docktor', 'temporal.db');
const children: ChildProcess[] = [];

/** Processes whose command line (or environment) holds `needle`. */
function processesWith(file: 'cmdline' | 'environ', needle: string): number[] {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).flatMap((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/${file}`, 'utf8').split('\0').includes(needle) ? [Number(p)] : [];
    } catch {
      return [];
    }
  });
}

/** The dev servers of this test: their command line names our database. */
const serversOnOurDb = (): number[] => processesWith('cmdline', db);

after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const pid of serversOnOurDb()) process.kill(pid, 'SIGKILL');
  // The service's replica (`sleep`), which outlives docktor by design.
  for (const pid of processesWith('environ', `DOCKTOR_STATE_DIR=${path.join(dir, 'state')}`)) process.kill(pid, 'SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function dev(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; output: () => string; ready: Promise<boolean> }> {
  let out = '';
  const child = spawn(process.execPath, docktorArgv(['dev']), { cwd: dir, env: { ...process.env, DOCKTOR_STATE_DIR: path.join(dir, 'state'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout?.on('data', (d: Buffer) => void (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => void (out += d.toString()));
  const ready = new Promise<boolean>((resolve) => {
    const timer = setInterval(() => {
      if (/Watching 1 service/.test(out)) resolve(true);
      else if (child.exitCode !== null) resolve(false);
      else return;
      clearInterval(timer);
    }, 100);
  });
  return { child, output: () => out, ready };
}

it('a second `docktor dev` after a SIGKILL stops our leftover server and starts; a foreign holder is named by pid', async () => {
  const ports = { DOCKTOR_DEV_PORT: String(await freePort()), DOCKTOR_DEV_UI_PORT: String(await freePort()) };
  const first = await dev(ports);
  assert.ok(await first.ready, first.output());
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));
  const leftover = serversOnOurDb();
  assert.equal(leftover.length, 1, 'the dev server outlives a SIGKILLed `docktor dev`');

  const second = await dev(ports);
  assert.ok(await within(second.ready, 90_000, false), `second dev did not start:\n${second.output()}`);
  assert.ok(!serversOnOurDb().includes(leftover[0] ?? 0), 'the leftover server was stopped');
  second.child.kill('SIGINT');
  await new Promise((r) => second.child.once('exit', r));
  assert.deepEqual(serversOnOurDb(), [], 'Ctrl-C stops the server it started');

  // Someone else's listener on the port: the error names its pid.
  const squatter = net.createServer().listen(Number(ports.DOCKTOR_DEV_PORT), '127.0.0.1');
  await new Promise((r) => squatter.once('listening', r));
  try {
    const third = await dev(ports);
    assert.equal(await third.ready, false);
    assert.match(third.output(), new RegExp(`frontend port 127\\.0\\.0\\.1:${ports.DOCKTOR_DEV_PORT} in use by pid ${process.pid}\\b`));
  } finally {
    squatter.close();
  }
});
