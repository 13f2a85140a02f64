// One row of a recording (docs/recording.md): a compact JSON line per check of what the service
// saw, or per apply of what the apply did. Short keys keep a week of 10 s checks near 10 MB.
// Only numbers, a few letters and source names: never a secret, a URL or a message.
// Pure: a check's result in, a row out; a line in, a row or nothing out.
import { z } from 'zod';
import type { Decision } from '../decide/index';
import type { Observations } from '../observations';
import type { Counters } from './counters';

export const ROW_VERSION = 1 as const;

const count = z.number().finite().nonnegative();

/** A check: what the service saw and what was decided (before any apply). */
export const CheckRowSchema = z.object({
  v: z.literal(ROW_VERSION),
  /** Unix seconds of the check. */
  t: z.number().finite(),
  /** Seconds since this service's previous recorded check (absent for the first one seen). */
  dt: count.optional(),
  /** Cumulative counters of the source: messages in (published) and out (acknowledged). */
  ci: count.optional(),
  co: count.optional(),
  /** Which incarnation of the counters (a short hash of the queue's identity); a change resets them. */
  cid: z.string().max(16).optional(),
  /** `queue.rate_in`, `queue.rate_out` (per second, over `rs` seconds). */
  ri: count.optional(),
  ro: count.optional(),
  rs: count.optional(),
  /** `queue.backlog`, `queue.ack_pending` (in service), `queue.oldest_age_s`. */
  b: count.optional(),
  ip: count.optional(),
  age: count.optional(),
  /** `replicas.current`, `replicas.ready` (ready: as the runtime sees them). */
  rc: count.optional(),
  rr: count.optional(),
  /** The decision: u(p), d(own), h(old); its target. Absent: nothing was decided (replicas unknown). */
  a: z.enum(['u', 'd', 'h']).optional(),
  to: count.optional(),
  /** 1: the decision is not applied whatever it says (paused or dry_run). */
  na: z.literal(1).optional(),
  /** Sources that failed at this check (their names only). */
  e: z.array(z.string().max(80)).max(16).optional(),
});
export type CheckRow = z.infer<typeof CheckRowSchema>;

/** An apply the workflow made after a check: from → to, and whether it succeeded. */
export const ApplyRowSchema = z.object({
  v: z.literal(ROW_VERSION),
  k: z.literal('apply'),
  /** Unix seconds when the apply finished (or failed). */
  t: z.number().finite(),
  from: count.optional(),
  to: count,
  ok: z.union([z.literal(0), z.literal(1)]),
});
export type ApplyRow = z.infer<typeof ApplyRowSchema>;

export type Row = ({ k?: undefined } & CheckRow) | ApplyRow;

const ACTION: Record<Decision['action'], CheckRow['a']> = { scale_up: 'u', scale_down: 'd', hold: 'h' };

export interface CheckFacts {
  t: number;
  dt?: number;
  observations: Observations;
  counters?: Counters;
  decision: Decision | null;
  not_applied: boolean;
  failed_sources: string[];
}

/** The row of one check. */
export function checkRow(f: CheckFacts): CheckRow {
  const o = f.observations;
  const row: CheckRow = { v: ROW_VERSION, t: round(f.t, 3) };
  if (f.dt !== undefined && f.dt >= 0) row.dt = round(f.dt, 3);
  if (f.counters) {
    if (f.counters.in !== undefined) row.ci = f.counters.in;
    if (f.counters.out !== undefined) row.co = f.counters.out;
    row.cid = f.counters.identity;
  }
  put(row, 'ri', o['queue.rate_in'], 4);
  put(row, 'ro', o['queue.rate_out'], 4);
  put(row, 'rs', o['queue.rate_span_s'], 3);
  put(row, 'b', o['queue.backlog'], 3);
  put(row, 'ip', o['queue.ack_pending'], 3);
  put(row, 'age', o['queue.oldest_age_s'], 2);
  put(row, 'rc', o['replicas.current'], 0);
  put(row, 'rr', o['replicas.ready'], 0);
  if (f.decision) {
    row.a = ACTION[f.decision.action];
    row.to = f.decision.target_replicas;
  }
  if (f.not_applied) row.na = 1;
  if (f.failed_sources.length > 0) row.e = f.failed_sources.slice(0, 16).map((s) => s.slice(0, 80));
  return row;
}

function put(row: CheckRow, key: 'ri' | 'ro' | 'rs' | 'b' | 'ip' | 'age' | 'rc' | 'rr', value: number | undefined, digits: number): void {
  if (value !== undefined && Number.isFinite(value) && value >= 0) row[key] = round(value, digits);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A line of a recording file: the row, or null when it is not one (torn, corrupt, another version). */
export function parseRow(line: string): Row | null {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  const o = json as Record<string, unknown>;
  if (o.k === 'apply') {
    const a = ApplyRowSchema.safeParse(json);
    return a.success ? a.data : null;
  }
  // A row kind this version does not know.
  if (o.k !== undefined) return null;
  // A week of 1 s checks is 600,000 rows: checked by hand, as CheckRowSchema says (the unit test
  // holds the two to the same answers), about 20 times faster than the schema.
  return isCheckRow(o) ? o : null;
}

const NUMBER_KEYS = new Set(['dt', 'ci', 'co', 'ri', 'ro', 'rs', 'b', 'ip', 'age', 'rc', 'rr', 'to']);

function isCheckRow(o: Record<string, unknown>): o is CheckRow {
  if (o.v !== ROW_VERSION || typeof o.t !== 'number' || !Number.isFinite(o.t)) return false;
  for (const k in o) {
    const v = o[k];
    if (NUMBER_KEYS.has(k)) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return false;
    } else if (k === 'cid') {
      if (typeof v !== 'string' || v.length > 16) return false;
    } else if (k === 'a') {
      if (v !== 'u' && v !== 'd' && v !== 'h') return false;
    } else if (k === 'na') {
      if (v !== 1) return false;
    } else if (k === 'e') {
      if (!Array.isArray(v) || v.length > 16 || !v.every((x) => typeof x === 'string' && x.length <= 80)) return false;
    } else if (k !== 'v' && k !== 't') {
      // Another key: a later version's; the schema strips it, and so does this.
      delete o[k];
    }
  }
  return true;
}
