// A part of the traffic as tune judges it: the arrivals up to the part's end, then a drain with no
// arrivals, in which what is still waiting must be picked up within the SLA. Without it the
// clairvoyant reference, which knows the trace ends, left the messages of a burst at the end
// unserved (their deadlines fell after the end), and a candidate that fell behind at the end was
// never charged for the breach that followed. Pure.
import type { Trace } from '../simulate/trace';

/**
 * `trace`'s arrivals before `to` (a bin across `to` keeps the share of its arrivals before it: they
 * are spread evenly inside), then `drain` seconds without arrivals. The trace itself when nothing is
 * cut or added.
 */
export function drainedTrace(trace: Trace, to: number, drain: number): Trace {
  const { times, counts, widths } = trace;
  // Bins starting before `to`.
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid]! < to) lo = mid + 1;
    else hi = mid;
  }
  const n = lo;
  if (n === times.length && to >= trace.span && drain <= 0) return trace;
  const extra = drain > 0 ? 1 : 0;
  const t = new Float64Array(n + extra);
  const c = new Float64Array(n + extra);
  const w = new Float64Array(n + extra);
  t.set(times.subarray(0, n));
  c.set(counts.subarray(0, n));
  w.set(widths.subarray(0, n));
  const last = n - 1;
  if (last >= 0 && w[last]! > 0 && t[last]! + w[last]! > to) {
    const kept = to - t[last]!;
    c[last] = (c[last]! * kept) / w[last]!;
    w[last] = kept;
  }
  if (extra) {
    t[n] = to;
    w[n] = drain;
  }
  let total = 0;
  for (let i = 0; i < c.length; i++) total += c[i]!;
  return { ...trace, times: t, counts: c, widths: w, span: to + drain, total };
}
