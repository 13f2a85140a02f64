// The real frameworks behind the redis source's formats, as the tests drive them: their own
// producers, their own view of the queue ("figures"), and the command of their own workers
// (test/fixtures/redis-frameworks/). Debian packages are installed when missing (harness/apt.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { RedisFormat } from '../../src/config/queue';
import { ensureDebianPackages } from './apt';
import type { TestRedis } from './redis';

export const FIXTURES = path.resolve(process.cwd(), 'test', 'fixtures', 'redis-frameworks');

export interface FrameworkQueue {
  redis: TestRedis;
  db: number;
  queue: string;
  /** Redis set the workers add each finished job's number to. */
  done_key: string;
  work_ms: number;
}

export interface Framework {
  format: Extract<RedisFormat, 'bullmq' | 'laravel' | 'celery' | 'sidekiq'>;
  /** Debian packages its producer and workers need. */
  packages: string[];
  /** A worker process's command line (run with `env(q)`, cwd FIXTURES). */
  worker(q: FrameworkQueue): string[];
  produce(q: FrameworkQueue, n: number, opts?: { first?: number; delay?: number }): Promise<void>;
  /** The framework's own view of the queue, as JSON. */
  figures(q: FrameworkQueue, extra?: string): Promise<Record<string, number>>;
}

export function frameworkEnv(q: FrameworkQueue, extra: Record<string, string> = {}): Record<string, string> {
  return {
    REDIS_HOST: q.redis.host,
    REDIS_PORT: String(q.redis.port),
    REDIS_DB: String(q.db),
    QUEUE: q.queue,
    DONE_KEY: q.done_key,
    WORK_MS: String(q.work_ms),
    NODE_PATH: path.join(process.cwd(), 'node_modules'),
    PYTHONPATH: FIXTURES,
    ...extra,
  };
}

/** Runs a command to completion in FIXTURES; rejects with its output when it fails. */
export function runTool(argv: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: FIXTURES, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${argv.join(' ')} exited ${code}:\n${out}\n${err.slice(-3000)}`));
    });
  });
}

function lastJson(out: string): Record<string, number> {
  const line = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!line) throw new Error(`no JSON in: ${out}`);
  return JSON.parse(line) as Record<string, number>;
}

const PYTHON = '/usr/bin/python3';

export const FRAMEWORKS: Record<Framework['format'], Framework> = {
  bullmq: {
    format: 'bullmq',
    packages: [],
    worker: () => [process.execPath, path.join(FIXTURES, 'bullmq.js'), 'work'],
    produce: async (q, n, o = {}) => void (await runTool([process.execPath, 'bullmq.js', 'produce', String(n), String(o.delay ?? 0)], frameworkEnv(q, { FIRST: String(o.first ?? 0) }))),
    figures: async (q) => lastJson(await runTool([process.execPath, 'bullmq.js', 'figures'], frameworkEnv(q))),
  },
  laravel: {
    format: 'laravel',
    packages: ['php-cli', 'php-redis', 'php-illuminate-queue', 'php-illuminate-redis', 'php-illuminate-events'],
    worker: () => ['php', path.join(FIXTURES, 'laravel.php'), 'work'],
    produce: async (q, n, o = {}) => void (await runTool(['php', 'laravel.php', 'produce', String(n), String(o.delay ?? 0)], frameworkEnv(q, { FIRST: String(o.first ?? 0) }))),
    figures: async (q) => lastJson(await runTool(['php', 'laravel.php', 'figures'], frameworkEnv(q))),
  },
  celery: {
    format: 'celery',
    packages: ['python3-celery', 'python3-redis'],
    worker: (q) => [PYTHON, '-m', 'celery', '-A', 'celery_app', 'worker', '-Q', q.queue, '-c', '1', '--without-gossip', '--without-mingle', '--without-heartbeat', '-l', 'warning'],
    produce: async (q, n, o = {}) => void (await runTool([PYTHON, 'celery_app.py', 'produce', String(n)], frameworkEnv(q, { FIRST: String(o.first ?? 0) }))),
    figures: async (q, extra) => lastJson(await runTool([PYTHON, 'celery_app.py', 'figures', ...(extra ? [extra] : [])], frameworkEnv(q))),
  },
  sidekiq: {
    format: 'sidekiq',
    packages: ['ruby-sidekiq'],
    worker: (q) => ['sidekiq', '-r', path.join(FIXTURES, 'sidekiq_app.rb'), '-q', q.queue, '-c', '1', '-t', '10'],
    produce: async (q, n, o = {}) => void (await runTool(['ruby', 'sidekiq_app.rb', 'produce', String(n)], frameworkEnv(q, { FIRST: String(o.first ?? 0) }))),
    figures: async (q) => lastJson(await runTool(['ruby', 'sidekiq_app.rb', 'figures'], frameworkEnv(q))),
  },
};

export async function ensureFramework(f: Framework): Promise<void> {
  if (f.packages.length > 0) await ensureDebianPackages(f.packages, `the ${f.format} tests (the real framework)`);
}

/** A worker of the framework started by the test itself (not by docktor). */
export function startWorker(f: Framework, q: FrameworkQueue, extra: Record<string, string> = {}): { child: ChildProcess; output(): string; stop(): Promise<void> } {
  const [cmd, ...args] = f.worker(q);
  const child = spawn(cmd!, args, { cwd: FIXTURES, env: { ...process.env, ...frameworkEnv(q, extra) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-10_000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
