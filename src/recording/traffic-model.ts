// Pure: a service's recorded rows → the arrival trace and the service model `docktor tune` replays
// (docs/recording.md). Rows in, numbers out; no I/O, no clock.
//
// - Arrivals between two checks: from the source's cumulative counters (exact: the difference of
//   two rows with the same counter identity, spread over the checks between them by time), else
//   from `queue.rate_in` × the seconds between them, else estimated as the rise of backlog + in
//   service plus the completions (from the out counter or `queue.rate_out`; none known: 0, a lower
//   bound). `counted` says the counters or rates covered at least COUNTED_SHARE of the span.
// - Service time per job, by Little's law: the mean number in service (`queue.ack_pending`, the
//   trapezoid between checks) over the completion rate, across every stretch between two checks
//   where both are known. Null below MIN_COMPLETIONS completions.
// - Start-up delay: from a scale-up decision to `replicas.ready` reaching its target, the middle
//   of the stretch between the last check (or the apply) that had not seen it and the first that
//   did; the median over the scale-ups. Null when no scale-up was seen through.
import type { Trace } from '../simulate/trace';
import type { ApplyRow, CheckRow, Row } from './row';

export const MIN_COMPLETIONS = 10;
export const COUNTED_SHARE = 0.95;
/** A scale-up not ready within this many seconds is not counted (the target was abandoned, or a replica is broken). */
export const MAX_STARTUP_SECONDS = 900;

export interface TrafficModel {
  trace: Trace;
  service_time_s: number | null;
  startup_delay_s: number | null;
  counted: boolean;
  /** Unix seconds of the first and last check. */
  from: number;
  to: number;
}

/** Check rows sorted by time, one per time (two workers may record the same check). */
export function checkRows(rows: Row[]): CheckRow[] {
  const checks = rows.filter((r): r is CheckRow => r.k === undefined).sort((a, b) => a.t - b.t);
  return checks.filter((r, i) => i === 0 || r.t - checks[i - 1]!.t > 1e-3);
}

function applyRows(rows: Row[]): ApplyRow[] {
  return rows.filter((r): r is ApplyRow => r.k === 'apply').sort((a, b) => a.t - b.t);
}

/** Arrivals in each stretch between consecutive checks, and whether each came from counters or rates. */
export function arrivalsOf(checks: CheckRow[]): { counts: Float64Array; counted: boolean[] } {
  const n = Math.max(0, checks.length - 1);
  const counts = new Float64Array(n).fill(NaN);
  const counted: boolean[] = new Array<boolean>(n).fill(false);
  // Counters: between each row with `ci` and the previous one of the same identity.
  let base = -1;
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i]!;
    if (c.ci === undefined) continue;
    const b = base >= 0 ? checks[base]! : undefined;
    if (b && b.cid === c.cid && c.ci >= b.ci!) {
      const total = c.ci - b.ci!;
      const span = c.t - b.t;
      for (let k = base; k < i; k++) {
        counts[k] = span > 0 ? (total * (checks[k + 1]!.t - checks[k]!.t)) / span : total / (i - base);
        counted[k] = true;
      }
    }
    base = i;
  }
  for (let k = 0; k < n; k++) {
    if (counted[k]) continue;
    const p = checks[k]!;
    const c = checks[k + 1]!;
    const dt = c.t - p.t;
    if (c.ri !== undefined) {
      counts[k] = c.ri * dt;
      counted[k] = true;
      continue;
    }
    const completions = p.co !== undefined && c.co !== undefined && p.cid === c.cid && c.co >= p.co ? c.co - p.co : c.ro !== undefined ? c.ro * dt : 0;
    const lag = (r: CheckRow) => (r.b === undefined ? undefined : r.b + (r.ip ?? 0));
    const before = lag(p);
    const after = lag(c);
    counts[k] = before === undefined || after === undefined ? completions : Math.max(0, after - before + completions);
  }
  return { counts, counted };
}

/** Little's law over the stretches where both the number in service and the completions are known. */
export function serviceTimeOf(checks: CheckRow[]): number | null {
  let area = 0;
  let done = 0;
  for (let k = 0; k + 1 < checks.length; k++) {
    const p = checks[k]!;
    const c = checks[k + 1]!;
    if (p.ip === undefined || c.ip === undefined) continue;
    const dt = c.t - p.t;
    let completions: number | undefined;
    if (p.co !== undefined && c.co !== undefined && p.cid === c.cid && c.co >= p.co) completions = c.co - p.co;
    else if (c.ro !== undefined) completions = c.ro * dt;
    if (completions === undefined) continue;
    area += ((p.ip + c.ip) / 2) * dt;
    done += completions;
  }
  return done >= MIN_COMPLETIONS && area > 0 ? area / done : null;
}

/** The median start-up delay of the scale-ups seen through (see the top of this file). */
export function startupDelayOf(checks: CheckRow[], applies: ApplyRow[] = []): number | null {
  const delays: number[] = [];
  for (let i = 0; i < checks.length; i++) {
    const d = checks[i]!;
    const ready = d.rr;
    const target = d.to;
    if (d.a !== 'u' || target === undefined || d.na === 1 || ready === undefined || ready >= target) continue;
    let lower = d.t;
    for (let j = i + 1; j < checks.length; j++) {
      const c = checks[j]!;
      if (c.t - d.t > MAX_STARTUP_SECONDS) break;
      // Another decision lowered the target before it was reached: not a start-up to time.
      if (c.a === 'd' || (c.to !== undefined && c.to < target && c.na === undefined)) break;
      if (c.rr !== undefined && c.rr >= target) {
        // The apply landed between the two checks: readiness came after it.
        const applied = applies.find((a) => a.ok === 1 && a.to >= target && a.t > lower && a.t < c.t);
        if (applied) lower = applied.t;
        delays.push((lower + c.t) / 2 - d.t);
        break;
      }
      lower = c.t;
    }
  }
  return median(delays);
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The trace (one bin per stretch between checks, `kind: counts`, `epoch` the first check) and the model. Needs 2 checks. */
export function trafficModel(rows: Row[]): TrafficModel | null {
  const checks = checkRows(rows);
  if (checks.length < 2) return null;
  const { counts, counted } = arrivalsOf(checks);
  const n = counts.length;
  const first = checks[0]!.t;
  const times = new Float64Array(n);
  const widths = new Float64Array(n);
  let total = 0;
  let countedSpan = 0;
  for (let k = 0; k < n; k++) {
    times[k] = checks[k]!.t - first;
    widths[k] = checks[k + 1]!.t - checks[k]!.t;
    total += counts[k]!;
    if (counted[k]) countedSpan += widths[k]!;
  }
  const last = checks[checks.length - 1]!.t;
  const span = last - first;
  const trace: Trace = { kind: 'counts', times, counts, widths, span, epoch: first, total };
  return {
    trace,
    service_time_s: serviceTimeOf(checks),
    startup_delay_s: startupDelayOf(checks, applyRows(rows)),
    counted: span > 0 && countedSpan >= COUNTED_SHARE * span,
    from: first,
    to: last,
  };
}
