// The worker's side of traffic recording: after each check, the row of what the service saw goes
// to its files (./store.ts); after each apply, a small row of what the apply did. Recording must
// never hold a check back nor fail it: rows are written in the background, in order per service,
// and a failed write is counted and reported at most once a minute.
import { effectiveRecording } from '../config/recording';
import type { RecordedInterval } from '../decide/strategies/predictive/recurring/seed';
import type { ApplyInput, CheckInput, CheckResult } from '../model/check';
import { countersOf } from './counters';
import { checkRow, ROW_VERSION } from './row';
import { readRows } from './recorded-traffic';
import { defaultRecordingRoot, RecordingStore, serviceRecordingDir, type StoreTarget } from './store';
import { trafficModel } from './traffic-model';

export const WARN_EVERY_SECONDS = 60;

export interface RecorderOptions {
  /** Where recordings go when a service's `recording.dir` is not set (default: the state directory's). */
  root?: string;
  store?: RecordingStore;
  /** Where warnings go (default: stderr). */
  warn?: (line: string) => void;
}

export class TrafficRecorder {
  readonly root: string;
  readonly store: RecordingStore;
  /** Rows that could not be written. */
  failures = 0;
  private readonly warn: (line: string) => void;
  private warnedAt = -Infinity;
  private unreported = 0;

  constructor(o: RecorderOptions = {}) {
    this.root = o.root ?? defaultRecordingRoot();
    this.store = o.store ?? new RecordingStore();
    this.warn = o.warn ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Records one check (in the background; never throws). */
  recordCheck(input: CheckInput, result: CheckResult): void {
    try {
      const target = this.target(input);
      if (!target) return;
      const queue = input.service.queue;
      const queueFailed = result.failures.some((f) => f.source === 'queue');
      const counters = queue && !queueFailed ? countersOf(queue.kind, result.queue_state) : undefined;
      const t = input.now;
      this.settle(
        input,
        this.store.appendCheck(target, t, (previous_t) =>
          checkRow({
            t,
            ...(previous_t !== undefined && previous_t <= t ? { dt: t - previous_t } : {}),
            observations: result.observations,
            ...(counters ? { counters } : {}),
            decision: result.decision,
            not_applied: input.paused || input.service.dry_run,
            failed_sources: result.failures.map((f) => f.source),
          }),
        ),
      );
    } catch (e) {
      this.failed(input, e);
    }
  }

  /** Records an apply: `before` when it succeeded, null when it failed. */
  recordApply(input: ApplyInput, before: number | null, t: number): void {
    try {
      const target = this.target(input);
      if (!target) return;
      const row = { v: ROW_VERSION, k: 'apply' as const, t: Math.round(t * 1000) / 1000, ...(before !== null ? { from: before } : {}), to: input.replicas, ok: before !== null ? (1 as const) : (0 as const) };
      this.settle(input, this.store.appendApply(target, row));
    } catch (e) {
      this.failed(input, e);
    }
  }

  /**
   * The arrivals between the service's recorded checks within its retention (for the forecast's
   * model, issue 30), oldest first; none when recording is off or nothing was recorded. A
   * recording that cannot be read is no recording: the model then starts from nothing.
   */
  recordedIntervals(ref: CheckInput, now: number): RecordedInterval[] {
    try {
      const target = this.target(ref);
      if (!target) return [];
      const model = trafficModel(readRows(target.dir, now - target.retention_s, now).rows);
      if (!model) return [];
      const t = model.trace;
      return Array.from(t.counts, (count, k) => ({ start: model.from + t.times[k]!, end: model.from + t.times[k]! + t.widths[k]!, count }));
    } catch (e) {
      this.warn(`docktor: recording ${ref.project}/${ref.service.name} not read for the forecast's model (it starts from nothing): ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  }

  flush(): Promise<void> {
    return this.store.flush();
  }

  private target(ref: CheckInput | ApplyInput): StoreTarget | undefined {
    const r = effectiveRecording(ref.service.recording, this.root);
    if (!r.enabled) return undefined;
    return { dir: serviceRecordingDir(r.dir, ref.project, ref.service.name), retention_s: r.retention_s };
  }

  private settle(ref: CheckInput | ApplyInput, write: Promise<void>): void {
    write.catch((e: unknown) => this.failed(ref, e));
  }

  private failed(ref: CheckInput | ApplyInput, e: unknown): void {
    this.failures++;
    this.unreported++;
    const now = Date.now() / 1000;
    if (now - this.warnedAt < WARN_EVERY_SECONDS) return;
    this.warnedAt = now;
    const n = this.unreported;
    this.unreported = 0;
    this.warn(`docktor: recording ${ref.project}/${ref.service.name}: ${n} row(s) not written (${this.failures} in all; the checks go on): ${e instanceof Error ? e.message : String(e)}`);
  }
}
