// Invariant 1, checked continuously: at 4 Hz, the service's live replica processes found in /proc
// by their pool marker (those in their grace period included): never more than max_replicas,
// never two live processes for one replica id.
import { findMarkedReplicas, type MarkedReplica } from '../../src/runtimes/process-marker';
import type { Violations } from './violations';

export interface Sample {
  at: number;
  count: number;
}

export class Sampler {
  readonly samples: Sample[] = [];
  /** Every replica seen (pid → start time), for the teardown check. */
  readonly pids = new Map<number, number>();
  maxLive = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastOver = 0;

  constructor(private readonly pool: string, private readonly max: number, private readonly violations: Violations) {}

  start(): void {
    this.timer = setInterval(() => this.sample(), 250);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  live(): MarkedReplica[] {
    return findMarkedReplicas(this.pool);
  }

  /** The latest count, taken now. */
  sample(): number {
    const at = Date.now();
    const live = this.live();
    for (const r of live) this.pids.set(r.pid, r.start_time);
    this.samples.push({ at, count: live.length });
    this.maxLive = Math.max(this.maxLive, live.length);
    // One report per episode, not one per sample.
    const over = live.length > this.max;
    const byIndex = new Map<number, number[]>();
    for (const r of live) byIndex.set(r.index, [...(byIndex.get(r.index) ?? []), r.pid]);
    const twins = [...byIndex.entries()].filter(([, pids]) => pids.length > 1);
    if ((over || twins.length > 0) && at - this.lastOver > 5000) {
      this.lastOver = at;
      const desc = live.map((r) => `${r.index}:${r.pid}`).join(' ');
      if (over) this.violations.add(1, `${live.length} live replicas > max_replicas ${this.max} (index:pid ${desc})`, at);
      for (const [index, pids] of twins) this.violations.add(1, `replica ${index} has ${pids.length} live processes (pids ${pids.join(', ')})`, at);
    }
    return live.length;
  }
}
