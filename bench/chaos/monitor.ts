// The scaler as an operator sees it, once a second: `docktor status` through the control API.
// Recovery times and the final checks are read from these samples. A read that fails (Temporal
// down, the query's worker paused) is skipped.
import type { Config } from '../../src/config/load';
import type { ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import type { ScalerStatus } from '../../src/model/scaler-state';

export interface StatusSample {
  at: number;
  replicas: number | null;
  lastCheckAt: number | null;
  checks: number;
  /** The newest decision had no apply or source errors. */
  good: boolean;
  lastTo: number | null;
  lastApplied: boolean;
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class Monitor {
  readonly samples: StatusSample[] = [];
  /** `status` reported fewer checks than a moment before (one line each). */
  readonly checkDrops: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly c: ControlClient, private readonly config: Config, private readonly service: string) {}

  async read(): Promise<ScalerStatus> {
    const [s] = await withTimeout(scalers.status(this.c, this.config, this.service), 5000, 'docktor status');
    if (!s?.running) throw new Error(`the scaler of ${this.service} is not running`);
    return s;
  }

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        try {
          const s = await this.read();
          const prev = this.samples[this.samples.length - 1];
          if (prev && s.checks < prev.checks) this.checkDrops.push(`${new Date().toISOString()} checks ${prev.checks} → ${s.checks}`);
          const d = s.last_decision;
          this.samples.push({
            at: Date.now(),
            replicas: s.replicas,
            lastCheckAt: s.last_check_at === null ? null : s.last_check_at * 1000,
            checks: s.checks,
            good: d !== null && (d.errors ?? []).length === 0,
            lastTo: d?.to ?? null,
            lastApplied: d?.applied ?? false,
          });
        } catch {
          // down or paused: no sample
        }
        await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
