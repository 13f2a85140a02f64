// Shared by the process runtime tests: a small real Node worker script whose behaviour the
// service's env chooses, temp dirs, targets, polling and clean-up of every recorded process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ServiceSchema } from '../../src/config/service';
import type { ProcessRuntimeConfig } from '../../src/config/runtime';
import { isSameLiveProcess } from '../../src/runtimes/proc-stats';
import { readState } from '../../src/runtimes/process-state';
import type { RuntimeTarget } from '../../src/runtimes/runtime';

/**
 * MODE=graceful: on SIGTERM writes `term-<replica>-<pid>` and exits 0.
 * MODE=stubborn: ignores SIGTERM (writes `ignored-<replica>-<pid>`).
 * MODE=crash: exits 1 after 50 ms.
 * MODE=busy-child: starts a grandchild that burns CPU for 6 s (pid in `grandchild-<replica>`), idles itself.
 * Markers go to OUT_DIR, one folder per service. Every copy appends `<pid> <ms>` to `starts-<replica>.log`, and once its handlers are set up
 * writes `ready-<replica>-<pid>`.
 */
export const WORKER_JS = `
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const dir = process.env.OUT_DIR;
const r = process.env.DOCKTOR_REPLICA;
const mode = process.env.MODE || 'graceful';
const mark = (name) => fs.writeFileSync(path.join(dir, name), '');
fs.appendFileSync(path.join(dir, 'starts-' + r + '.log'), process.pid + ' ' + Date.now() + '\\n');
if (mode === 'crash') setTimeout(() => process.exit(1), 50);
if (mode === 'graceful') process.on('SIGTERM', () => { mark('term-' + r + '-' + process.pid); process.exit(0); });
if (mode === 'stubborn') process.on('SIGTERM', () => mark('ignored-' + r + '-' + process.pid));
if (mode === 'busy-child') {
  const c = spawn(process.execPath, ['-e', 'const end = Date.now() + 6000; while (Date.now() < end) {}'], { stdio: 'ignore' });
  fs.writeFileSync(path.join(dir, 'grandchild-' + r), String(c.pid));
}
if (mode !== 'crash') { mark('ready-' + r + '-' + process.pid); setInterval(() => {}, 1 << 30); }
`;

export interface Fixture {
  root: string;
  stateDir: string;
  outDir: string;
  script: string;
  project: string;
}

export function makeFixture(prefix: string): Fixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `docktor-${prefix}-`));
  const stateDir = path.join(root, 'state');
  const outDir = path.join(root, 'out');
  fs.mkdirSync(outDir);
  const script = path.join(root, 'worker.js');
  fs.writeFileSync(script, WORKER_JS);
  return { root, stateDir, outDir, script, project: 'proj' };
}

export interface TargetOptions {
  mode?: 'graceful' | 'stubborn' | 'crash' | 'busy-child';
  grace_period?: number;
  command?: string[];
  cwd?: string;
  env?: Record<string, string>;
}

/** Where the copies of one service leave their markers. */
export function outDirOf(f: Fixture, service: string): string {
  return path.join(f.outDir, service);
}

export function makeTarget(f: Fixture, name: string, o: TargetOptions = {}): RuntimeTarget<ProcessRuntimeConfig> {
  fs.mkdirSync(outDirOf(f, name), { recursive: true });
  const service = ServiceSchema.parse({
    name,
    max_replicas: 10,
    rules: {},
    runtime: {
      kind: 'process',
      command: o.command ?? [process.execPath, f.script],
      env: { OUT_DIR: outDirOf(f, name), MODE: o.mode ?? 'graceful', ...o.env },
      cwd: o.cwd ?? f.root,
      grace_period: o.grace_period ?? 10,
    },
  });
  if (service.runtime.kind !== 'process') throw new Error('unreachable: the runtime above is a process runtime');
  return { project: f.project, service, runtime: service.runtime };
}

/** Polls until `fn` gives something truthy; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Recorded copies of a service: index -> pid (only those with a pid). */
export function recordedPids(f: Fixture, service: string): Map<number, number> {
  const st = readState(path.join(f.stateDir, `${f.project}-${service}.json`));
  return new Map((st?.replicas ?? []).flatMap((r) => (r.pid === null ? [] : [[r.index, r.pid] as [number, number]])));
}

export function recordedState(f: Fixture, service: string) {
  return readState(path.join(f.stateDir, `${f.project}-${service}.json`));
}

/** The environment a process started with, from /proc/<pid>/environ. */
export function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function readyMarker(f: Fixture, service: string, index: number, pid: number): boolean {
  return fs.existsSync(path.join(outDirOf(f, service), `ready-${index}-${pid}`));
}

/** SIGKILLs the process group of every copy recorded under the fixture, then removes it. */
export function killAllRecorded(f: Fixture, extraPids: number[] = []): void {
  let files: string[] = [];
  try {
    files = fs.readdirSync(f.stateDir).filter((n) => n.endsWith('.json'));
  } catch {
    // nothing was ever recorded
  }
  for (const name of files) {
    try {
      for (const r of readState(path.join(f.stateDir, name))?.replicas ?? []) {
        if (r.pid !== null && r.start_time !== null && isSameLiveProcess(r.pid, r.start_time)) kill(-r.pid);
      }
    } catch {
      // unreadable state: the extra pids below still go
    }
  }
  for (const pid of extraPids) kill(pid);
  fs.rmSync(f.root, { recursive: true, force: true });
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
