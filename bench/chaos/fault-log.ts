// What the nemesis did and when: every fault with its start and end (ms since the epoch) and its
// target, so a violation can be printed with the faults around it.
export const FAULT_KINDS = [
  'worker-kill',
  'worker-pause',
  'temporal-kill',
  'nats-kill',
  'replica-kill',
  'replica-ignore-sigterm',
  'worker-kill-at-apply',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  id: number;
  kind: FaultKind;
  target: string;
  start: number;
  /** When it was healed (the process back, the pause over); undefined while it lasts. */
  end?: number;
  note?: string;
}

export class FaultLog {
  readonly faults: Fault[] = [];
  private nextId = 1;

  constructor(private readonly t0: number, private readonly say: (line: string) => void) {}

  begin(kind: FaultKind, target: string, note?: string): Fault {
    const f: Fault = { id: this.nextId++, kind, target, start: Date.now(), ...(note ? { note } : {}) };
    this.faults.push(f);
    this.say(`fault #${f.id} ${kind} on ${target}${note ? ` (${note})` : ''}`);
    return f;
  }

  end(f: Fault, note?: string): void {
    if (f.end !== undefined) return;
    f.end = Date.now();
    this.say(`fault #${f.id} ${f.kind} healed after ${((f.end - f.start) / 1000).toFixed(1)} s${note ? ` (${note})` : ''}`);
  }

  active(): Fault[] {
    return this.faults.filter((f) => f.end === undefined);
  }

  /** The faults that overlap [at - spanMs, at + spanMs], one line each. */
  around(at: number, spanMs = 60_000): string {
    return faultsAround(this.faults, this.t0, at, spanMs);
  }

  rel(at: number): string {
    return `+${((at - this.t0) / 1000).toFixed(1)}s`;
  }
}

/** The faults of `faults` that overlap [at - spanMs, at + spanMs], one line each, times relative to `t0`. */
export function faultsAround(faults: readonly Fault[], t0: number, at: number, spanMs = 60_000): string {
  const rel = (t: number) => `+${((t - t0) / 1000).toFixed(1)}s`;
  const rows = faults.filter((f) => f.start <= at + spanMs && (f.end ?? Infinity) >= at - spanMs);
  if (rows.length === 0) return '    (no fault within ±60 s)';
  return rows.map((f) => `    ${rel(f.start)}..${f.end === undefined ? 'open' : rel(f.end)} #${f.id} ${f.kind} ${f.target}${f.note ? ` (${f.note})` : ''}`).join('\n');
}
