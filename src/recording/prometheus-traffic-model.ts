// Pure: what Prometheus kept of a service's `docktor_observation` gauges (query_range answers, one
// series per metric; `desired` is docktor_desired_replicas) → the arrival trace and the service
// model `docktor tune` replays, as ./traffic-model.ts builds them from a recording.
//
// - A bin per stretch between two evaluation times; arrivals = `queue.rate_in` at its end × its
//   width (the gauge holds the last check's rate over its window). No rate there: estimated as the
//   rise of backlog + in service plus the completions, not counted. A stretch longer than
//   GAP_STEPS steps is a gap (no scaler reported): no arrivals, left out of the counted share.
// - Service time by Little's law: the mean `queue.ack_pending` over the completion rate
//   `queue.rate_out`, across the stretches with completions.
// - Start-up delay: from `desired` rising above `replicas.ready` to ready reaching it, the median.
import type { Trace } from '../simulate/trace';
import { COUNTED_SHARE, MAX_STARTUP_SECONDS, MIN_COMPLETIONS, type TrafficModel } from './traffic-model';

/** The most points Prometheus returns for one series of a range query. */
export const MAX_POINTS_PER_QUERY = 11_000;
/** A stretch between two points longer than this many steps is a gap in the series. */
export const GAP_STEPS = 2.5;

/** The observation names read (CONTRACT §2), and `desired` for the scaler's target. */
export const PROMETHEUS_METRICS = ['queue.rate_in', 'queue.rate_out', 'queue.backlog', 'queue.ack_pending', 'replicas.ready'] as const;

/** metric → value by unix second. */
export type SeriesByMetric = Map<string, Map<number, number>>;

export interface PrometheusTrafficModel extends TrafficModel {
  /** Seconds of the span in gaps (no point for over GAP_STEPS steps). */
  gap_s: number;
  /** Evaluation times read. */
  points: number;
}

/** [start, end] pieces of at most MAX_POINTS_PER_QUERY points each at `step`, covering [from, to]. */
export function rangeChunks(from: number, to: number, step: number, max = MAX_POINTS_PER_QUERY): Array<[number, number]> {
  const chunks: Array<[number, number]> = [];
  for (let start = from; start <= to; start += max * step) chunks.push([start, Math.min(to, start + (max - 1) * step)]);
  return chunks;
}

/** Adds the series of a query_range answer (a matrix, labelled `metric`) to `into`; a problem otherwise. */
export function addMatrix(into: SeriesByMetric, body: unknown): string | null {
  const data = (body as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null)?.data;
  if ((body as { status?: unknown } | null)?.status !== 'success' || !data || data.resultType !== 'matrix' || !Array.isArray(data.result)) {
    return `the answer is not a range query's matrix: ${JSON.stringify(body)?.slice(0, 120)}`;
  }
  for (const s of data.result as Array<{ metric?: Record<string, string>; values?: unknown }>) {
    const name = s.metric?.metric;
    if (name === undefined || !Array.isArray(s.values)) continue;
    let m = into.get(name);
    if (!m) into.set(name, (m = new Map()));
    for (const pair of s.values as unknown[]) {
      if (!Array.isArray(pair)) continue;
      const t = Number(pair[0]);
      const v = typeof pair[1] === 'string' ? Number(pair[1]) : NaN;
      if (Number.isFinite(t) && Number.isFinite(v)) m.set(t, v);
    }
  }
  return null;
}

/** The trace and the model (see the top of this file); null with fewer than two points. */
export function prometheusTrafficModel(series: SeriesByMetric, stepS: number): PrometheusTrafficModel | null {
  const all = new Set<number>();
  for (const m of series.values()) for (const t of m.keys()) all.add(t);
  const times = [...all].sort((a, b) => a - b);
  if (times.length < 2) return null;
  const at = (metric: string, t: number) => series.get(metric)?.get(t);
  const n = times.length - 1;
  const binTimes = new Float64Array(n);
  const counts = new Float64Array(n);
  const widths = new Float64Array(n);
  const first = times[0]!;
  let total = 0;
  let countedSpan = 0;
  let gap = 0;
  let area = 0;
  let done = 0;
  for (let k = 0; k < n; k++) {
    const p = times[k]!;
    const c = times[k + 1]!;
    const dt = c - p;
    binTimes[k] = p - first;
    widths[k] = dt;
    if (dt > GAP_STEPS * stepS) {
      gap += dt;
      continue;
    }
    const ri = at('queue.rate_in', c);
    const ro = at('queue.rate_out', c);
    if (ri !== undefined) {
      counts[k] = ri * dt;
      countedSpan += dt;
    } else {
      const lag = (t: number) => {
        const b = at('queue.backlog', t);
        return b === undefined ? undefined : b + (at('queue.ack_pending', t) ?? 0);
      };
      const before = lag(p);
      const after = lag(c);
      const completions = ro !== undefined ? ro * dt : 0;
      counts[k] = before === undefined || after === undefined ? completions : Math.max(0, after - before + completions);
    }
    total += counts[k]!;
    const ipP = at('queue.ack_pending', p);
    const ipC = at('queue.ack_pending', c);
    if (ro !== undefined && ro > 0 && ipP !== undefined && ipC !== undefined) {
      area += ((ipP + ipC) / 2) * dt;
      done += ro * dt;
    }
  }
  const last = times[n]!;
  const span = last - first;
  const trace: Trace = { kind: 'counts', times: binTimes, counts, widths, span, epoch: first, total };
  return {
    trace,
    service_time_s: done >= MIN_COMPLETIONS && area > 0 ? area / done : null,
    startup_delay_s: startupDelay(times, (t) => at('desired', t), (t) => at('replicas.ready', t)),
    counted: span - gap > 0 && countedSpan >= COUNTED_SHARE * (span - gap),
    from: first,
    to: last,
    gap_s: gap,
    points: times.length,
  };
}

/** The median seconds from the target rising above the ready replicas to them reaching it. */
export function startupDelay(times: number[], desired: (t: number) => number | undefined, ready: (t: number) => number | undefined): number | null {
  const delays: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const target = desired(times[i]!);
    const before = desired(times[i - 1]!);
    const r = ready(times[i]!);
    if (target === undefined || before === undefined || r === undefined || target <= before || r >= target) continue;
    // The decision came between the two points: from their middle.
    const decided = (times[i - 1]! + times[i]!) / 2;
    for (let j = i + 1; j < times.length; j++) {
      const t = times[j]!;
      const d = desired(t);
      if (t - decided > MAX_STARTUP_SECONDS || (d !== undefined && d < target)) break;
      if ((ready(t) ?? -1) >= target) {
        delays.push((times[j - 1]! + t) / 2 - decided);
        break;
      }
    }
  }
  if (delays.length === 0) return null;
  const s = delays.sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
