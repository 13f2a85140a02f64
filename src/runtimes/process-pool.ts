// One service's copies of a command, supervised by the worker process that owns them: it starts
// them detached (their own process group, so they outlive a worker restart), stops them newest
// first with SIGTERM then SIGKILL after the grace period, restarts copies that die with back-off,
// and records everything in the state file so that the next owner adopts the live copies and
// reaps the dead. Copies adopted from a previous owner are not our children: they are watched by
// polling /proc.
import type { ProcessRuntimeConfig } from '../config/runtime';
import { NotOwnerError, OperationError, SupersededError } from '../errors';
import type { Observations } from '../observations';
import { isSameLiveProcess } from './proc-stats';
import { planRestart, type BackoffPolicy } from './process-backoff';
import { spawnable, startCopy } from './process-spawn';
import { killLeftovers, stopCopy, type Copy, type ExitInfo } from './process-stop';
import { UsageSampler } from './process-usage';
import { acquireOwnership, lockFilePath, releaseOwnership, type OwnerIdentity } from './process-owner';
import { findMarkedReplicas, poolId, type MarkedReplica } from './process-marker';
import { readState, stateFilePath, writeState, type ProcessState, type ReplicaRecord } from './process-state';
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

/** A replica index: a running copy, or one waiting in back-off to be restarted. */
interface Slot {
  index: number;
  copy?: Copy;
  failures: number;
  restarts: number;
  restart_at?: number;
  timer?: NodeJS.Timeout;
}

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
  private readonly usage = new UsageSampler();

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
    return { ...obs, ...this.usage.read(live) };
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
        killLeftovers(r.pid);
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
    spawnable(this.target); // a missing program is a config error before anything starts
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
    const how = await stopCopy(copy, grace_ms);
    this.emit({ type: 'stopped', replica: this.name(slot.index), index: slot.index, pid: copy.pid, how, ...(seq !== undefined ? { seq } : {}) });
    return how;
  }

  // ---- supervision ----

  private spawnCopy(slot: Slot): Copy {
    const copy = startCopy(this.target, this.options.stateDir, this.key, this.poolId, slot.index);
    void copy.exited?.then((info) => {
      if (!this.closed && slot.copy === copy && this.slots.get(slot.index) === slot) this.onDeath(slot, info);
    });
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
    killLeftovers(copy.pid);
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
