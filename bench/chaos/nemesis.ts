// The seeded fault schedule and its injection. Rounds of a seeded shuffle of every kind (so a
// short run sees each kind once, and a long one each kind as often as the others), one fault
// every `gap` seconds, at most two at once, never both workers down or paused together; then
// heal everything.
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { temporal } from '@temporalio/proto';
import type { ControlClient } from '../../src/control/client';
import { lockFilePath } from '../../src/runtimes/process-owner';
import { isAliveState, readProcStat } from '../../src/runtimes/proc-stats';
import { serviceKey } from '../../src/runtimes/process-state';
import { SERVICE, type Cluster } from './cluster';
import { FAULT_KINDS, type FaultKind, type FaultLog } from './fault-log';
import type { Prng } from './prng';
import type { Line, Proc } from './proc';
import type { Sampler } from './sampler';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;
/** A worker line that shows it is making a change by an apply (not a supervisor restart). */
const APPLY_LINE = /^docktor process \S+: (started|stopped) (\{.*\})$/;

export interface NemesisOptions {
  cluster: Cluster;
  prng: Prng;
  log: FaultLog;
  sampler: Sampler;
  client: ControlClient;
  workflowId: string;
  say: (line: string) => void;
  /** Replica pids the nemesis SIGKILLed. */
  onSigkill: (pid: number) => void;
}

/** Seconds between faults: 15-40 s, narrowed when the run must fit `perKind` of each kind. */
export function gapRange(phaseS: number, perKind: number): { min: number; max: number } {
  const avg = (phaseS * 0.85) / (perKind * FAULT_KINDS.length);
  const max = Math.min(40, Math.max(15, 2 * avg - 15));
  const min = Math.min(15, avg);
  return { min, max: Math.max(min, max) };
}

export class Nemesis {
  private readonly tasks = new Set<Promise<void>>();
  /** Resolves the wait of worker-kill-at-apply with the worker an apply line came from. */
  private applyWaiter: ((w: Proc) => void) | undefined;

  constructor(private readonly o: NemesisOptions) {}

  /** Worker output as it is read: an apply's start/stop line can trigger worker-kill-at-apply. */
  onLine(line: Line): void {
    if (!this.applyWaiter || !line.source.startsWith('worker')) return;
    const m = APPLY_LINE.exec(line.text);
    if (!m) return;
    const started = m[1] === 'started';
    if (started && /"restart":true/.test(m[2] ?? '')) return;
    const w = this.o.cluster.workers.find((p) => p.name === line.source);
    if (w) this.applyWaiter(w);
  }

  /** Injects faults until `phaseMs` has passed (`perKind` of each kind, if it can), then heals everything. */
  async run(phaseMs: number, gap: { min: number; max: number }, perKind: number): Promise<void> {
    const end = Date.now() + phaseMs;
    const { prng, say } = this.o;
    let round: FaultKind[] = [];
    await sleep(Math.min(10_000, phaseMs / 10));
    while (Date.now() < end) {
      if (round.length === 0) round = prng.shuffle(FAULT_KINDS);
      const kind = round[0] as FaultKind;
      // Wait (bounded by the phase) until this kind may run.
      while (Date.now() < end && !this.canRun(kind)) await sleep(500);
      if (Date.now() >= end) break;
      round.shift();
      const task = this.inject(kind).catch((e: unknown) => say(`nemesis: ${kind} failed: ${e instanceof Error ? e.stack : String(e)}`));
      this.tasks.add(task);
      void task.finally(() => this.tasks.delete(task));
      // worker-kill-at-apply waits for an apply before it acts: let it take its turn first, and
      // when no apply came (or a worker was down) try it again later in the round, so that it
      // too reaches its quota (two 30-minute runs got only 6 of 10 when a skip lost its turn).
      if (kind === 'worker-kill-at-apply') {
        const before = this.o.log.faults.length;
        await task;
        if (this.o.log.faults.length === before) round.push(kind);
      }
      // Waits (a pause blocks the worker kinds, an apply is waited for) must not cost the quota:
      // when behind, the gap shrinks to what the remaining faults need.
      const left = perKind * FAULT_KINDS.length - this.o.log.faults.length;
      const drawn = (gap.min + prng.next() * (gap.max - gap.min)) * 1000;
      const fits = left > 0 ? ((end - Date.now()) / left) * 0.9 : Infinity;
      await sleep(Math.round(Math.max(5000, Math.min(drawn, fits))));
    }
    await this.heal();
  }

  private activeCount(): number {
    return this.o.log.active().filter((f) => f.kind !== 'replica-ignore-sigterm').length;
  }

  private canRun(kind: FaultKind): boolean {
    const c = this.o.cluster;
    if (this.activeCount() >= 2) return false;
    switch (kind) {
      case 'worker-kill':
      case 'worker-pause':
      case 'worker-kill-at-apply':
        return c.workers.every((w) => w.up());
      case 'temporal-kill':
        return c.temporal.up();
      case 'nats-kill':
        return c.nats.up();
      case 'replica-kill':
      case 'replica-ignore-sigterm':
        return this.o.sampler.live().length > 0;
    }
  }

  private async inject(kind: FaultKind): Promise<void> {
    const { cluster, prng, log } = this.o;
    switch (kind) {
      case 'worker-kill': {
        const w = prng.pick(cluster.workers);
        return this.killRestart(kind, w, async () => w.start());
      }
      case 'worker-pause': {
        const w = prng.pick(cluster.workers);
        const ms = prng.int(10_000, 40_000);
        const f = log.begin(kind, `${w.name} pid ${w.pid}`, `SIGSTOP for ${(ms / 1000).toFixed(0)} s`);
        w.pause();
        await sleep(ms);
        w.resume();
        log.end(f);
        return;
      }
      case 'temporal-kill':
        return this.killRestart(kind, cluster.temporal, async () => {
          await cluster.startTemporal();
          return cluster.temporal.pid;
        });
      case 'nats-kill':
        return this.killRestart(kind, cluster.nats, async () => {
          await cluster.startNats();
          return cluster.nats.pid;
        });
      case 'replica-kill': {
        const r = prng.pick(this.o.sampler.live());
        const f = log.begin(kind, `replica ${r.index} pid ${r.pid}`);
        this.o.onSigkill(r.pid);
        signal(r.pid, 'SIGKILL');
        log.end(f);
        return;
      }
      case 'replica-ignore-sigterm': {
        // The highest index is the one a scale-down stops first.
        const live = this.o.sampler.live().sort((a, b) => b.index - a.index);
        const r = live[0];
        if (!r) return;
        fs.writeFileSync(path.join(cluster.ignoreDir, String(r.pid)), '');
        const f = log.begin(kind, `replica ${r.index} pid ${r.pid}`);
        // It lasts until docktor gets rid of it (SIGKILL after the grace period) or the teardown.
        while (pidAlive(r.pid) && f.end === undefined) await sleep(250);
        log.end(f, pidAlive(r.pid) ? 'still alive at heal' : 'the replica is gone');
        return;
      }
      case 'worker-kill-at-apply':
        return this.killAtApply();
    }
  }

  /** Waits up to 90 s for an apply to start (the workflow's pending activity, or the worker's lines) and kills its worker. */
  private async killAtApply(): Promise<void> {
    const { cluster, say } = this.o;
    let found: Proc | undefined;
    let how = '';
    const lineSeen = new Promise<Proc>((resolve) => (this.applyWaiter = resolve));
    void lineSeen.then((w) => {
      if (!found) {
        found = w;
        how = 'its first replica start/stop line';
      }
    });
    const deadline = Date.now() + 90_000;
    const h = this.o.client.client.workflow.getHandle(this.o.workflowId);
    while (!found && Date.now() < deadline) {
      try {
        const d = await h.describe();
        const a = d.raw.pendingActivities?.find((p) => p.activityType?.name === 'applyReplicas' && p.state === STARTED && p.lastWorkerIdentity);
        const pid = Number(a?.lastWorkerIdentity?.split('@')[0]);
        const w = cluster.workers.find((p) => p.pid === pid);
        // The owner of the replicas is the one that acts; an attempt on the other fails at once.
        // Take the other only when no owner's attempt came within a minute.
        const acts = w !== undefined && (ownerPid(cluster) === pid || Date.now() > deadline - 30_000);
        if (w && acts && !found) {
          found = w;
          how = `pending applyReplicas attempt ${a?.attempt ?? '?'} started on ${a?.lastWorkerIdentity}`;
        }
      } catch {
        // Temporal restarting: try again
      }
      if (!found) await sleep(100);
    }
    this.applyWaiter = undefined;
    if (!found) {
      say('nemesis: worker-kill-at-apply: no apply started within 90 s; skipped');
      return;
    }
    const w = found;
    const other = cluster.workers.find((p) => p !== w);
    if (!w.up() || !other?.up()) {
      say(`nemesis: worker-kill-at-apply: ${w.name} or the other worker is down; skipped`);
      return;
    }
    await this.killRestart('worker-kill-at-apply', w, async () => w.start(), how);
  }

  /** kill -9, 1-5 s down, `restart` (which resolves with the new pid once it is up). */
  private async killRestart(kind: FaultKind, p: Proc, restart: () => Promise<number | undefined>, note?: string): Promise<void> {
    const f = this.o.log.begin(kind, `${p.name} pid ${p.pid}`, note);
    await p.kill9();
    await sleep(this.o.prng.int(1000, 5000));
    const pid = await restart();
    this.o.log.end(f, `${p.name} back as pid ${pid}`);
  }

  /** Every fault over: paused processes continued, dead ones started again. */
  async heal(): Promise<void> {
    const { cluster, log } = this.o;
    for (const f of log.active()) if (f.kind === 'replica-ignore-sigterm') log.end(f, 'still alive at heal');
    await Promise.all([...this.tasks]);
    for (const w of cluster.workers) {
      if (w.stopped) w.resume();
      if (!w.alive()) w.start();
    }
    if (!cluster.temporal.alive()) await cluster.startTemporal();
    if (!cluster.nats.alive()) await cluster.startNats();
    this.o.say('nemesis: everything healed');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** The worker that holds the replicas' lock (src/runtimes/process-owner.ts), if any. */
function ownerPid(cluster: Cluster): number | undefined {
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(lockFilePath(cluster.stateDir, serviceKey(cluster.project, SERVICE.name)), 'utf8'));
    return typeof raw === 'object' && raw !== null && 'pid' in raw && typeof raw.pid === 'number' ? raw.pid : undefined;
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (a paused worker does not reap its dead replicas). */
export function pidAlive(pid: number): boolean {
  const stat = readProcStat(pid);
  return stat !== undefined && isAliveState(stat.state);
}
