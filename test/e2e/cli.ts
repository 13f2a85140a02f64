// The real `docktor` command line as a child process, the way a user runs it. Under `npm test` the
// tests and the CLI are the same build (dist/), so this is `node bin/docktor.js ...`; a build in
// another outDir (a helper's private one) runs that build's CLI with the same two lines bin has.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** The compiled tree this file belongs to (dist/ or another outDir). */
export const DIST_ROOT = path.resolve(__dirname, '..', '..');

export function docktorArgv(args: string[]): string[] {
  if (path.resolve(process.cwd(), 'dist') === DIST_ROOT) return [path.join(process.cwd(), 'bin', 'docktor.js'), ...args];
  const main = path.join(DIST_ROOT, 'src', 'cli', 'main.js');
  const launcher = `require(${JSON.stringify(main)}).main(['node', 'docktor', ...process.argv.slice(1)]).then((c) => { process.exitCode = c; });`;
  return ['-e', launcher, ...args];
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `node ARGS` to completion (killed after `timeoutMs`). */
export function runNode(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function docktor(args: string[], env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Finished> {
  return runNode(docktorArgv(args), env, timeoutMs);
}

/** A long-running child (e.g. `docktor worker`) whose output is kept for failure messages. */
export interface Background {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function startBackground(args: string[], env: NodeJS.ProcessEnv): Background {
  const child = spawn(process.execPath, args, { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    child,
    output: () => out,
    exited,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
