// One service's copies of a command, supervised by the worker process that owns them: it starts
// them detached (their own process group, so they outlive a worker restart), stops them newest
// first with SIGTERM then SIGKILL after the grace period, restarts copies that die with back-off,
// and records everything in the state file so that the next owner adopts the live copies and
// reaps the dead. Copies adopted from a previous owner are not our children: they are watched by
// polling /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { ProcessRuntimeConfig } from '../config/runtime';
import { ConfigurationError, NotOwnerError, OperationError, SupersededError } from '../errors';
import type { Observations } from '../observations';
import {
  cpuPercentBetween,
  cpuPercentSinceStart,
  isSameLiveProcess,
  liveStartTime,
  readGroupUsage,
  readMemTotalKb,
  readProcStat,
  readUptimeSeconds,
  ticksPerSecond,
  type CpuSample,
} from './proc-stats';
import { planRestart, type BackoffPolicy } from './process-backoff';
import { acquireOwnership, lockFilePath, releaseOwnership, type OwnerIdentity } from './process-owner';
import { findMarkedReplicas, markerEnv, poolId, type MarkedReplica } from './process-marker';
import { replicaEnv, resolveProgram } from './process-program';
import { logFilePath, readState, stateFilePath, writeState, type ProcessState, type ReplicaRecord } from './process-state';
import type { EnsureOptions, RuntimeTarget, ScaleResult } from './runtime';

/** What happens to replicas, for logs and tests. */
export type ProcessEvent =
  | { type: 'started'; replica: string; index: number; pid: number; restart: boolean; seq?: number }
  | { type: 'exited'; replica: string; index: number; pid: number; code: number | null; signal: string | null; ran_ms: number }
  | { type: 'restart_scheduled'; replica: string; index: number; delay_ms: number; failures: number }
  | { type: 'restart_failed'; replica: string; index: number; error: string }
  | { type: 'adopted'; replica: string; index: number; pid: number }
  | { type: 'reaped'; replica: string; index: number; pid: number }
  | { type: 'stopped'; replica: string; index: number; pid: number; how: string; seq?: number };

export interface PoolOptions {
  stateDir: string;
  backoff: BackoffPolicy;
  /** How often copies that are not our children are checked for life, ms. */
  pollIntervalMs: number;
  onEvent: (event: ProcessEvent) => void;
}

interface ExitInfo {
  code: number | null;
  signal: string | null;
}

/** One running copy. */
interface Copy {
  pid: number;
  start_time: number;
  /** Wall-clock ms. */
  started_at: number;
  command: string[];
  /** Set for copies this pool spawned (then exit comes as an event, not from polling). */
  child?: ChildProcess;
  exited?: Promise<ExitInfo>;
}

/** A replica index: a running copy, or one waiting in back-off to be restarted. */
interface Slot {
  index: number;
  copy?: Copy;
  failures: number;
  restarts: number;
  restart_at?: number;
  timer?: NodeJS.Timeout;
}

const STOP_POLL_MS = 50;
/** After SIGKILL: how long to wait for the kernel to take a copy away before giving up. */
const KILL_WAIT_MS = 5000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round2 = (x: number): number => Math.round(x * 100) / 100;

export class ProcessPool {
  readonly stateFile: string;
  private readonly lockFile: string;
  /** In every replica's environment (process-marker.ts). */
  private readonly poolId: string;
  private readonly slots = new Map<number, Slot>();
  private restarts = 0;
  private owned = false;
  private otherOwner: OwnerIdentity | undefined;
  private closed = false;
  private poller: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** The newest apply fence seen (persisted; see EnsureOptions.seq). */
  private fence: number | null = null;
  /** The newest fence asked for, queued ensures included: a running older ensure stops for it. */
  private wanted: number | null = null;
  /** Previous CPU sample per copy (`pid:start_time`), so a rate needs no sleeping. */
  private readonly cpuSamples = new Map<string, { sample: CpuSample; pct: number }>();

  constructor(
    readonly key: string,
    private target: RuntimeTarget<ProcessRuntimeConfig>,
    private readonly options: PoolOptions,
  ) {
    this.stateFile = stateFilePath(options.stateDir, key);
    this.lockFile = lockFilePath(options.stateDir, key);
    this.poolId = poolId(options.stateDir, key);
  }

  /**
   * `signal` stops a scale-up between two starts (the apply was cancelled: pause, resume,
   * override). `seq` fences it: refused when an ensure with a newer seq came before it, and
   * stopped before its next start or stop when one comes while it runs (it waits in the queue).
   */
  async ensure(target: RuntimeTarget<ProcessRuntimeConfig>, replicas: number, options: EnsureOptions = {}): Promise<ScaleResult> {
    const { signal, seq } = options;
    if (seq !== undefined) this.wanted = Math.max(this.wanted ?? seq, seq);
    return this.serialized(async () => {
      this.target = target;
      this.requireOwnership();
      if (seq !== undefined) {
        if (this.fence !== null && seq < this.fence) {
          throw new SupersededError(`an apply of ${this.key} newer than this one (fence ${seq} < ${this.fence}) has already acted; this one does nothing`);
        }
        this.fence = seq;
        this.persist();
      }
      const superseded = () => seq !== undefined && this.wanted !== null && this.wanted > seq;
      const before = this.slots.size;
      if (replicas > before) {
        const started = await this.scaleUp(replicas - before, signal, seq, superseded);
        const why = superseded() ? 'superseded by a newer apply' : 'interrupted';
        const stopped = started.length < replicas - before ? `; ${why} after ${started.length} of ${replicas - before}` : '';
        return { before, after: this.slots.size, detail: `started ${started.join(', ') || 'none'}${stopped}` };
      }
      if (replicas < before) {
        if (superseded()) return { before, after: before, detail: 'superseded by a newer apply before stopping any' };
        const stopped = await this.scaleDown(before - replicas, seq);
        return { before, after: this.slots.size, detail: `stopped ${stopped.join(', ')}` };
      }
      return { before, after: before, detail: `no change (${this.liveCount()} of ${before} running)` };
    });
  }

  async observe(target: RuntimeTarget<ProcessRuntimeConfig>): Promise<Observations> {
    this.target = target;
    const owned = this.tryOwnership();
    let current: number;
    let restarts: number;
    let live: { pid: number; start_time: number }[];
    if (owned) {
      current = this.slots.size;
      restarts = this.restarts;
      live = [...this.slots.values()].flatMap((s) => (s.copy && isSameLiveProcess(s.copy.pid, s.copy.start_time) ? [s.copy] : []));
    } else {
      // Another worker supervises: report from its records, read-only.
      const st = readState(this.stateFile);
      current = st?.replicas.length ?? 0;
      restarts = st?.restarts ?? 0;
      live = (st?.replicas ?? []).flatMap((r) =>
        r.pid !== null && r.start_time !== null && isSameLiveProcess(r.pid, r.start_time) ? [{ pid: r.pid, start_time: r.start_time }] : [],
      );
    }
    const obs: Observations = {
      'replicas.current': current,
      'replicas.ready': live.length,
      'replicas.restarts': restarts,
    };
    return { ...obs, ...this.usage(live) };
  }

  /** Stops supervising (timers, lock); the copies keep running and stay recorded. */
  close(): void {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    for (const slot of this.slots.values()) if (slot.timer) clearTimeout(slot.timer);
    if (this.owned) {
      try {
        releaseOwnership(this.lockFile);
      } catch {
        // the state dir went away: nothing to release
      }
    }
    this.owned = false;
  }

  // ---- ownership and adoption ----

  private requireOwnership(): void {
    if (this.tryOwnership()) return;
    const who = this.otherOwner ? `pid ${this.otherOwner.pid}` : 'another process';
    throw new NotOwnerError(
      `the replicas of ${this.key} are supervised by another docktor worker (${who}, lock ${this.lockFile}); ` +
        'run one worker per machine for process runtimes, or stop the other one',
    );
  }

  private tryOwnership(): boolean {
    if (this.owned) return true;
    if (this.closed) throw new OperationError(`the process pool of ${this.key} is closed`);
    const o = acquireOwnership(this.lockFile);
    if (!o.owned) {
      this.otherOwner = o.owner;
      return false;
    }
    try {
      this.adopt();
    } catch (e) {
      // Without the records we cannot tell our copies: supervising now could start duplicates.
      this.slots.clear();
      releaseOwnership(this.lockFile);
      throw e;
    }
    this.owned = true;
    this.poller = setInterval(() => this.poll(), this.options.pollIntervalMs);
    this.poller.unref();
    return true;
  }

  /**
   * Takes over the recorded copies: live ones are watched, dead ones reaped and restarted. Then
   * the marked copies no record lists (a worker killed between starting and recording one) are
   * adopted into their free index, or stopped when the index is taken.
   */
  private adopt(): void {
    const st = readState(this.stateFile);
    const strays = new Map<number, MarkedReplica>();
    const duplicates: MarkedReplica[] = [];
    for (const m of findMarkedReplicas(this.poolId)) {
      if (st?.replicas.some((r) => r.pid === m.pid && r.start_time === m.start_time)) continue;
      if (strays.has(m.index)) duplicates.push(m); // oldest first: the first one keeps the index
      else strays.set(m.index, m);
    }
    this.fence = st?.fence ?? null;
    if (!st && strays.size === 0) return;
    this.restarts = st?.restarts ?? 0;
    const now = Date.now();
    const adoptStray = (slot: Slot, m: MarkedReplica) => {
      strays.delete(slot.index);
      slot.copy = { pid: m.pid, start_time: m.start_time, started_at: now, command: [...this.target.runtime.command] };
      this.emit({ type: 'adopted', replica: this.name(slot.index), index: slot.index, pid: m.pid });
    };
    for (const r of st?.replicas ?? []) {
      const slot: Slot = { index: r.index, failures: r.failures, restarts: r.restarts };
      this.slots.set(r.index, slot);
      const stray = strays.get(r.index);
      if (r.pid !== null && r.start_time !== null && isSameLiveProcess(r.pid, r.start_time)) {
        slot.copy = { pid: r.pid, start_time: r.start_time, started_at: r.started_at ?? now, command: r.command };
        this.emit({ type: 'adopted', replica: this.name(r.index), index: r.index, pid: r.pid });
      } else if (stray) {
        // Recorded as starting (pid null), or its recorded copy died: the marked one is it.
        if (r.pid !== null) this.emit({ type: 'reaped', replica: this.name(r.index), index: r.index, pid: r.pid });
        adoptStray(slot, stray);
      } else if (r.pid !== null) {
        // Died while no worker watched it (or its pid now belongs to another process).
        this.emit({ type: 'reaped', replica: this.name(r.index), index: r.index, pid: r.pid });
        this.killLeftovers(r.pid);
        this.afterDeath(slot, now - (r.started_at ?? now));
      } else {
        this.schedule(slot, Math.max(0, (r.restart_at ?? now) - now));
      }
    }
    for (const m of [...strays.values()]) {
      if (this.slots.has(m.index)) duplicates.push(m);
      else {
        const slot: Slot = { index: m.index, failures: 0, restarts: 0 };
        this.slots.set(m.index, slot);
        adoptStray(slot, m);
      }
    }
    // Second copies of an index that already has one: stopped, as a scale-down would.
    for (const m of duplicates) {
      const copy: Copy = { pid: m.pid, start_time: m.start_time, started_at: now, command: [] };
      void this.stop({ index: m.index, copy, failures: 0, restarts: 0 }, this.target.runtime.grace_period * 1000);
    }
    this.persist();
  }

  // ---- scaling ----

  /**
   * Starts `count` copies at the lowest free indexes; returns their names. Each index is recorded
   * before its copy starts, so a worker killed in between leaves a record (and the copy's marker)
   * for the next owner, never an unknown process. Between two starts the event loop runs, so the
   * apply's heartbeat and its cancellation (`signal`) get through.
   */
  private async scaleUp(count: number, signal: AbortSignal | undefined, seq: number | undefined, superseded: () => boolean): Promise<string[]> {
    this.spawnable(); // a missing program is a config error before anything starts
    const started: string[] = [];
    for (let index = 1; started.length < count; index++) {
      if (this.slots.has(index)) continue;
      if (signal?.aborted || this.closed || superseded()) break;
      const slot: Slot = { index, failures: 0, restarts: 0 };
      this.slots.set(index, slot);
      this.persist();
      let copy: Copy;
      try {
        copy = this.spawnCopy(slot);
      } catch (e) {
        this.slots.delete(index);
        this.persist();
        throw e;
      }
      this.persist();
      started.push(`${this.name(index)} (pid ${copy.pid})`);
      this.emit({ type: 'started', replica: this.name(index), index, pid: copy.pid, restart: false, ...(seq !== undefined ? { seq } : {}) });
      await new Promise((resolve) => setImmediate(resolve));
    }
    return started;
  }

  /** Stops the `count` highest indexes, all at once, and waits for them to be gone. */
  private async scaleDown(count: number, seq?: number): Promise<string[]> {
    const victims = [...this.slots.values()].sort((a, b) => b.index - a.index).slice(0, count);
    for (const slot of victims) {
      // Out of the pool first, so neither the exit handler nor the poller restarts them.
      this.slots.delete(slot.index);
      if (slot.timer) clearTimeout(slot.timer);
    }
    this.persist();
    const grace_ms = this.target.runtime.grace_period * 1000;
    return Promise.all(victims.map(async (slot) => `${this.name(slot.index)} (${await this.stop(slot, grace_ms, seq)})`));
  }

  private async stop(slot: Slot, grace_ms: number, seq?: number): Promise<string> {
    const copy = slot.copy;
    if (!copy) return 'was waiting to restart';
    let how: string;
    if (!isSameLiveProcess(copy.pid, copy.start_time)) {
      const info = await this.waitForExit(copy, 0);
      how = info ? `had exited: ${describeExit(info)}` : 'had exited';
    } else {
      signalGroup(copy.pid, 'SIGTERM');
      const info = await this.waitForExit(copy, grace_ms);
      if (info) how = `pid ${copy.pid}, ${info.signal ? `ended by ${info.signal}` : `${describeExit(info)} after SIGTERM`}`;
      else {
        signalGroup(copy.pid, 'SIGKILL');
        const killed = await this.waitForExit(copy, KILL_WAIT_MS);
        how = killed
          ? `pid ${copy.pid}, SIGKILL after ${grace_ms / 1000} s grace`
          : `pid ${copy.pid}, still present ${KILL_WAIT_MS / 1000} s after SIGKILL (uninterruptible?)`;
      }
    }
    this.killLeftovers(copy.pid);
    this.emit({ type: 'stopped', replica: this.name(slot.index), index: slot.index, pid: copy.pid, how, ...(seq !== undefined ? { seq } : {}) });
    return how;
  }

  /** Exit status (unknown, all null, for an adopted copy); undefined if still running at the deadline. */
  private async waitForExit(copy: Copy, timeout_ms: number): Promise<ExitInfo | undefined> {
    if (copy.exited) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeout_ms)));
      try {
        return await Promise.race([copy.exited, deadline]);
      } finally {
        clearTimeout(timer);
      }
    }
    const end = Date.now() + timeout_ms;
    for (;;) {
      if (!isSameLiveProcess(copy.pid, copy.start_time)) return { code: null, signal: null };
      if (Date.now() >= end) return undefined;
      await sleep(STOP_POLL_MS);
    }
  }

  // ---- supervision ----

  private spawnable(): { program: string; cwd: string } {
    const rt = this.target.runtime;
    const cwd = rt.cwd ?? process.cwd();
    const field = `service '${this.target.service.name}' runtime`;
    if (!isDirectory(cwd)) throw new ConfigurationError(`${field}.cwd: ${cwd} is not a directory`, 'runtime.cwd');
    const program = resolveProgram(rt.command[0] ?? '', cwd, rt.env.PATH ?? process.env.PATH);
    if (!program.ok) throw new ConfigurationError(`${field}.command: ${program.reason}`, 'runtime.command');
    return { program: program.path, cwd };
  }

  private spawnCopy(slot: Slot): Copy {
    const { program, cwd } = this.spawnable();
    const rt = this.target.runtime;
    fs.mkdirSync(this.options.stateDir, { recursive: true });
    const log = fs.openSync(logFilePath(this.options.stateDir, this.key, slot.index), 'a');
    let child: ChildProcess;
    try {
      child = spawn(program, rt.command.slice(1), {
        cwd,
        env: replicaEnv(process.env, rt.env, slot.index, markerEnv(this.poolId, this.target.project, this.target.service.name, slot.index)),
        argv0: rt.command[0],
        detached: true,
        stdio: ['ignore', log, log],
      });
    } finally {
      fs.closeSync(log);
    }
    // Spawn failures (EACCES, ...) arrive as an 'error' event; an unhandled one would crash the worker.
    child.on('error', () => undefined);
    const pid = child.pid;
    if (pid === undefined) throw new OperationError(`could not start ${this.name(slot.index)}: ${rt.command.join(' ')}`);
    const exited = new Promise<ExitInfo>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    // The zombie of a copy that died at once stays until the loop reaps it, so stat is still there.
    const copy: Copy = { pid, start_time: readProcStat(pid)?.start_time ?? 0, started_at: Date.now(), command: [...rt.command], child, exited };
    void exited.then((info) => {
      if (!this.closed && slot.copy === copy && this.slots.get(slot.index) === slot) this.onDeath(slot, info);
    });
    child.unref();
    slot.copy = copy;
    slot.restart_at = undefined;
    return copy;
  }

  /** Copies that are not our children: a poll of /proc tells when they die. */
  private poll(): void {
    if (this.closed) return;
    for (const slot of this.slots.values()) {
      const copy = slot.copy;
      if (copy && !copy.child && !isSameLiveProcess(copy.pid, copy.start_time)) this.onDeath(slot, { code: null, signal: null });
    }
  }

  private onDeath(slot: Slot, info: ExitInfo): void {
    const copy = slot.copy;
    if (!copy) return;
    slot.copy = undefined;
    const ran_ms = Date.now() - copy.started_at;
    this.emit({ type: 'exited', replica: this.name(slot.index), index: slot.index, pid: copy.pid, code: info.code, signal: info.signal, ran_ms });
    this.killLeftovers(copy.pid);
    this.afterDeath(slot, ran_ms);
    this.persist();
  }

  private afterDeath(slot: Slot, ran_ms: number): void {
    const plan = planRestart(slot.failures, ran_ms, this.options.backoff);
    slot.failures = plan.failures;
    this.schedule(slot, plan.delay_ms);
  }

  private schedule(slot: Slot, delay_ms: number): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.restart_at = Date.now() + delay_ms;
    slot.timer = setTimeout(() => this.restart(slot), delay_ms);
    slot.timer.unref();
    this.emit({ type: 'restart_scheduled', replica: this.name(slot.index), index: slot.index, delay_ms, failures: slot.failures });
  }

  private restart(slot: Slot): void {
    slot.timer = undefined;
    if (this.closed || !this.owned || this.slots.get(slot.index) !== slot || slot.copy) return;
    try {
      const copy = this.spawnCopy(slot);
      slot.restarts += 1;
      this.restarts += 1;
      this.emit({ type: 'started', replica: this.name(slot.index), index: slot.index, pid: copy.pid, restart: true });
    } catch (e) {
      this.emit({ type: 'restart_failed', replica: this.name(slot.index), index: slot.index, error: (e as Error).message });
      this.afterDeath(slot, 0);
    }
    this.persist();
  }

  /** Members of a finished copy's process group that outlived it (as Docker does with a container). */
  private killLeftovers(pid: number): void {
    // Only when the pid is not alive as some other process: then a group with that id is ours.
    if (liveStartTime(pid) !== undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: no leftovers
    }
  }

  // ---- measuring ----

  private usage(live: { pid: number; start_time: number }[]): Observations {
    const seen = new Set(live.map((c) => `${c.pid}:${c.start_time}`));
    for (const k of this.cpuSamples.keys()) if (!seen.has(k)) this.cpuSamples.delete(k);
    if (live.length === 0) return {};
    const groups = readGroupUsage(new Set(live.map((c) => c.pid)));
    const hz = ticksPerSecond();
    const uptime = readUptimeSeconds();
    const memTotalKb = readMemTotalKb();
    const now = performance.now();
    const cpus: number[] = [];
    const rss: number[] = [];
    for (const c of live) {
      const g = groups.get(c.pid);
      if (!g) continue;
      rss.push(g.rss_kb);
      const key = `${c.pid}:${c.start_time}`;
      const sample: CpuSample = { ticks: g.ticks, at_ms: now };
      const prev = this.cpuSamples.get(key);
      if (prev && now - prev.sample.at_ms < 250) {
        // Too soon for tick resolution (10 ms): repeat the last figure, keep the older sample.
        cpus.push(prev.pct);
        continue;
      }
      const pct = prev ? cpuPercentBetween(prev.sample, sample, hz) : uptime !== undefined ? cpuPercentSinceStart(g.ticks, c.start_time, uptime, hz) : undefined;
      if (pct === undefined) continue;
      this.cpuSamples.set(key, { sample, pct });
      cpus.push(pct);
    }
    const obs: Observations = {};
    if (cpus.length > 0) {
      obs['cpu.avg_pct'] = round2(cpus.reduce((a, b) => a + b, 0) / cpus.length);
      obs['cpu.max_pct'] = round2(Math.max(...cpus));
    }
    if (rss.length > 0) {
      const avgKb = rss.reduce((a, b) => a + b, 0) / rss.length;
      obs['mem.avg_mb'] = round2(avgKb / 1024);
      if (memTotalKb) obs['mem.avg_pct'] = round2((avgKb / memTotalKb) * 100);
    }
    return obs;
  }

  // ---- helpers ----

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private liveCount(): number {
    return [...this.slots.values()].filter((s) => s.copy && isSameLiveProcess(s.copy.pid, s.copy.start_time)).length;
  }

  private name(index: number): string {
    return `${this.key}-${index}`;
  }

  private emit(event: ProcessEvent): void {
    try {
      this.options.onEvent(event);
    } catch {
      // a faulty listener must not break supervision
    }
  }

  private persist(): void {
    if (this.closed) return;
    const replicas: ReplicaRecord[] = [...this.slots.values()]
      .sort((a, b) => a.index - b.index)
      .map((s) => ({
        index: s.index,
        pid: s.copy?.pid ?? null,
        start_time: s.copy?.start_time ?? null,
        started_at: s.copy?.started_at ?? null,
        command: s.copy?.command ?? [...this.target.runtime.command],
        failures: s.failures,
        restarts: s.restarts,
        restart_at: s.copy ? null : (s.restart_at ?? null),
      }));
    const state: ProcessState = {
      version: 1,
      project: this.target.project,
      service: this.target.service.name,
      restarts: this.restarts,
      replicas,
      fence: this.fence,
      updated_at: '',
    };
    writeState(this.stateFile, state);
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal); // not a group leader (should not happen: copies start detached)
    } catch {
      // already gone
    }
  }
}

function describeExit(info: ExitInfo): string {
  if (info.signal) return `killed by ${info.signal}`;
  if (info.code !== null) return `exit ${info.code}`;
  return 'exited';
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
