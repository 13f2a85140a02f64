// `runtime: { kind: process }`: a service's replicas are N local copies of a command, like a
// Laravel-style worker pool; what the embedded default uses when no Docker is around. The pool of
// each service lives in the worker process that calls it (see process-pool.ts); copies survive a
// worker restart and are adopted by the next one.
import fs from 'node:fs';
import path from 'node:path';
import type { ProcessRuntimeConfig } from '../config/runtime';
import { OperationError } from '../errors';
import type { CheckResult, Observations } from '../observations';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './process-backoff';
import { ProcessPool, type ProcessEvent } from './process-pool';
import { resolveProgram } from './process-program';
import { defaultStateDir, serviceKey, stateFilePath } from './process-state';
import type { EnsureOptions, Runtime, RuntimeTarget, ScaleResult } from './runtime';

export type { ProcessEvent } from './process-pool';

export interface ProcessRuntimeOptions {
  /** Where state files, locks and logs go; default: one directory per machine (defaultStateDir). */
  stateDir?: string;
  /** Restart back-off; default 1 s doubling to 60 s, reset after 60 s of running. */
  backoff?: Partial<BackoffPolicy>;
  /** How often adopted copies are checked for life, ms (default 1000). */
  pollIntervalMs?: number;
  /** Replica starts, exits, restarts and stops, e.g. for the worker's log. */
  onEvent?: (event: ProcessEvent) => void;
}

interface SharedPool {
  pool: ProcessPool;
  users: Set<ProcessRuntime>;
}
/**
 * Pools by state file, across the instances of this process: two runtimes in one worker share
 * a pool rather than both supervising (and both restarting) the same copies.
 */
const sharedPools = new Map<string, SharedPool>();

export class ProcessRuntime implements Runtime<ProcessRuntimeConfig> {
  readonly kind = 'process';
  readonly stateDir: string;
  private readonly backoff: BackoffPolicy;
  private readonly pollIntervalMs: number;
  private readonly onEvent: (event: ProcessEvent) => void;
  private readonly mine = new Set<string>();

  constructor(options: ProcessRuntimeOptions = {}) {
    this.stateDir = options.stateDir ?? defaultStateDir();
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.onEvent = options.onEvent ?? (() => undefined);
  }

  async observe(target: RuntimeTarget<ProcessRuntimeConfig>): Promise<Observations> {
    return this.pool(target).observe(target);
  }

  async ensure(target: RuntimeTarget<ProcessRuntimeConfig>, replicas: number, options: EnsureOptions = {}): Promise<ScaleResult> {
    if (!Number.isSafeInteger(replicas) || replicas < 0) {
      throw new OperationError(`replicas of ${target.service.name} must be a whole number >= 0, got ${replicas}`);
    }
    return this.pool(target).ensure(target, replicas, options);
  }

  async check(target: RuntimeTarget<ProcessRuntimeConfig>): Promise<CheckResult[]> {
    const rt = target.runtime;
    const cwd = rt.cwd ?? process.cwd();
    const out: CheckResult[] = [];
    const cwdOk = isDirectory(cwd);
    out.push({ ok: cwdOk, label: `Working directory ${cwd} exists`, ...(cwdOk ? {} : { detail: 'create it or fix runtime.cwd' }) });
    const program = rt.command[0] ?? '';
    const found = resolveProgram(program, cwd, rt.env.PATH ?? process.env.PATH);
    out.push(
      found.ok
        ? { ok: true, label: `Program '${program}' is executable`, detail: found.path }
        : { ok: false, label: `Program '${program}' is executable`, detail: `${found.reason} (runtime.command)` },
    );
    out.push(stateDirCheck(this.stateDir));
    return out;
  }

  /** Stops supervising; the replicas keep running and the next runtime adopts them. */
  async close(): Promise<void> {
    for (const file of this.mine) {
      const shared = sharedPools.get(file);
      if (!shared) continue;
      shared.users.delete(this);
      if (shared.users.size === 0) {
        shared.pool.close();
        sharedPools.delete(file);
      }
    }
    this.mine.clear();
  }

  private pool(target: RuntimeTarget<ProcessRuntimeConfig>): ProcessPool {
    const key = serviceKey(target.project, target.service.name);
    const file = stateFilePath(this.stateDir, key);
    let shared = sharedPools.get(file);
    if (!shared) {
      const pool = new ProcessPool(key, target, {
        stateDir: this.stateDir,
        backoff: this.backoff,
        pollIntervalMs: this.pollIntervalMs,
        onEvent: this.onEvent,
      });
      shared = { pool, users: new Set() };
      sharedPools.set(file, shared);
    }
    shared.users.add(this);
    this.mine.add(file);
    return shared.pool;
  }
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** Without creating anything: the directory, or the nearest existing parent, must be writable. */
function stateDirCheck(dir: string): CheckResult {
  const label = `State directory ${dir} is writable`;
  let probe = dir;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  try {
    fs.accessSync(probe, fs.constants.W_OK);
    return { ok: true, label, ...(probe === dir ? {} : { detail: `will be created under ${probe}` }) };
  } catch (e) {
    return { ok: false, label, detail: `${(e as Error).message}; set DOCKTOR_STATE_DIR to a writable directory` };
  }
}
