// The clairvoyant reference (docs/benchmarks.md): with the whole trace known in advance, a replica
// schedule that meets the SLA with about the fewest worker-seconds any policy could spend, under the
// same limits as a real policy: replicas change only at checks, a new one serves only after the
// startup delay, min_replicas..max_replicas. Fluid model on a one-second grid:
// - U(s): messages arrived before s (none can start earlier); L(s): messages that arrived at or
//   before s − SLA (all must have started by s). Any schedule meeting the SLA has cumulative
//   starts P(s) with L(s) <= P(s) <= U(s).
// - Within that tube, the taut string (the shortest path from (0, 0)) is the cumulative start curve
//   with the lowest peak rate and the fewest rate changes: work is spread over the SLA's slack
//   instead of being done at the last moment, so a spike asks for few replicas for long rather
//   than many for a moment (each replica started costs its startup delay).
// - Forward, per check interval: the fewest replicas (>= min_replicas) whose service keeps the
//   served messages (P(s+1) = min(U(s+1), P(s) + r/S)) at or above the string at every second.
// - Each check asks for the most replicas needed from now until its requests are ready
//   (startup later), so a replica is started in time and kept through a dip shorter than the
//   startup delay (cheaper than removing and starting it again).
// The schedule is then replayed by the simulator (SimulationOptions.schedule) for its exact
// worker-seconds and breach; it is an achievable schedule, so the figure is an upper bound of the
// optimum, and the fluid model keeps it close to it.

export interface ClairvoyantOptions {
  slaSeconds: number;
  serviceTime: number;
  startupDelay: number;
  checkInterval: number;
  minReplicas: number;
  maxReplicas: number;
  /** Seconds of the run. */
  span: number;
}

export interface ClairvoyantSchedule {
  /** Ready replicas wanted during each check interval. */
  ready: number[];
  /** replicas.current to ask for at each check (ready plus starting). */
  targets: number[];
  /** Whether max_replicas (or the startup delay at the start) made a deadline unreachable. */
  infeasible: boolean;
}

const EPSILON = 1e-9;

/** Taut string through [lower, upper] from (0, 0): its value at every grid point. */
export function tautString(lower: Float64Array, upper: Float64Array): Float64Array {
  const n = lower.length - 1;
  const y = new Float64Array(n + 1);
  let i = 0;
  let yi = 0;
  while (i < n) {
    let hiSlope = Infinity;
    let loSlope = -Infinity;
    let hiAt = i + 1;
    let loAt = i + 1;
    let next = n;
    let slope = NaN;
    for (let j = i + 1; j <= n; j++) {
      const su = (upper[j]! - yi) / (j - i);
      const sl = (lower[j]! - yi) / (j - i);
      if (sl > hiSlope + EPSILON) {
        // The lower bound rises above every line under the upper one: bend on the upper bound.
        next = hiAt;
        slope = hiSlope;
        break;
      }
      if (su < loSlope - EPSILON) {
        next = loAt;
        slope = loSlope;
        break;
      }
      if (su <= hiSlope) {
        hiSlope = su;
        hiAt = j;
      }
      if (sl >= loSlope) {
        loSlope = sl;
        loAt = j;
      }
    }
    // Reached the end inside the funnel: the flattest line that stays above the lower bound.
    if (Number.isNaN(slope)) slope = Math.max(loSlope, Math.min(0, hiSlope));
    for (let j = i + 1; j <= next; j++) y[j] = yi + slope * (j - i);
    yi = y[next]!;
    i = next;
  }
  return y;
}

/**
 * The schedule for `perSecond[s]` arrivals in second s (arrivals in [s, s + 1)). Check k is at
 * k × checkInterval; whole seconds are assumed for the interval (the bench's are).
 */
export function clairvoyantSchedule(perSecond: ArrayLike<number>, o: ClairvoyantOptions): ClairvoyantSchedule {
  const n = Math.ceil(o.span);
  const S = o.serviceTime;
  const I = Math.max(1, Math.round(o.checkInterval));
  const upper = new Float64Array(n + 1);
  const lower = new Float64Array(n + 1);
  const cumulative = new Float64Array(n + 1); // arrivals before s
  for (let s = 0; s < n; s++) cumulative[s + 1] = cumulative[s]! + (perSecond[s] ?? 0);
  let infeasible = false;
  for (let s = 0; s <= n; s++) {
    upper[s] = cumulative[s]!;
    // Due by s: arrived in a second that began at or before s − SLA (at most 1 s early).
    const due = Math.floor(s - o.slaSeconds);
    lower[s] = due < 0 ? 0 : cumulative[Math.min(n, due + 1)]!;
    // Before the startup delay only the first min_replicas serve.
    if (s <= o.startupDelay) upper[s] = Math.min(upper[s]!, (o.minReplicas * s) / S);
    if (lower[s]! > upper[s]!) {
      lower[s] = upper[s]!;
      infeasible = true;
    }
  }
  const string = tautString(lower, upper);

  const intervals = Math.ceil(n / I);
  const ready: number[] = [];
  let served = 0;
  const follows = (r: number, from: number, to: number, start: number): number | null => {
    let p = start;
    for (let s = from; s < to; s++) {
      p = Math.min(upper[s + 1]!, p + r / S);
      if (p < string[s + 1]! - 1e-6) return null;
    }
    return p;
  };
  for (let k = 0; k < intervals; k++) {
    const from = k * I;
    const to = Math.min(n, from + I);
    let r = o.minReplicas;
    let p = follows(r, from, to, served);
    if (from >= o.startupDelay) {
      // Start from the string's own rate, then add replicas until the served curve keeps up.
      r = Math.min(o.maxReplicas, Math.max(r, Math.floor(((string[to]! - served) * S) / (to - from))));
      while ((p = follows(r, from, to, served)) === null && r < o.maxReplicas) r++;
    }
    if (p === null) {
      infeasible = true;
      p = followsUnchecked(r, from, to, served, upper, S);
    }
    ready.push(r);
    served = p;
  }
  // Ask at each check for what is needed until requests made now are ready.
  const ahead = Math.ceil(o.startupDelay / I - EPSILON);
  const targets = ready.map((_, k) => {
    let t = 0;
    for (let j = k; j <= Math.min(ready.length - 1, k + ahead); j++) t = Math.max(t, ready[j]!);
    return t;
  });
  return { ready, targets, infeasible };
}

function followsUnchecked(r: number, from: number, to: number, start: number, upper: Float64Array, S: number): number {
  let p = start;
  for (let s = from; s < to; s++) p = Math.min(upper[s + 1]!, p + r / S);
  return p;
}

/** Arrivals per second (arrivals in [s, s + 1)) of an arrival stream, over `span` seconds. */
export function arrivalsPerSecond(next: () => number, span: number): Float64Array {
  const out = new Float64Array(Math.ceil(span));
  for (let t = next(); t < span; t = next()) out[Math.floor(t)]! += 1;
  return out;
}

/**
 * A lower bound of the worker-seconds of ANY schedule, online or offline, that meets the SLA with
 * no breach, from a relaxation: replicas may change at any second (no check interval), by
 * fractions, with no max_replicas. Per second s of the run, with x_s the messages started in it:
 * - ready replicas y_s >= max(min_replicas, x_s / c), c = ceil(1/S) starts one replica can make in
 *   a second; and over the run sum y_s >= the work of the messages that must start in it;
 * - the starts keep within the tube L <= P <= U of clairvoyantSchedule, with L taken at its
 *   loosest (due by s: arrived before floor(s − SLA)), and may stop at the lower end: the taut
 *   string through it minimises sum max(min_replicas, x_s / c) over every such path, as it does
 *   every convex cost of the rates, and its peak rate is the lowest any path has;
 * - every replica beyond the min_replicas it starts with cost its startup delay: at least
 *   ceil(peak / c) − min_replicas of them.
 * The true optimum lies between this and the clairvoyant schedule's replay (an upper bound).
 */
export function workerSecondsLowerBound(perSecond: ArrayLike<number>, o: Omit<ClairvoyantOptions, 'checkInterval' | 'maxReplicas'>): number {
  const n = Math.ceil(o.span);
  const S = o.serviceTime;
  const c = Math.max(1, Math.ceil(1 / S - EPSILON));
  const cumulative = new Float64Array(n + 1);
  for (let s = 0; s < n; s++) cumulative[s + 1] = cumulative[s]! + (perSecond[s] ?? 0);
  const upper = new Float64Array(n + 1);
  const lower = new Float64Array(n + 1);
  for (let s = 0; s <= n; s++) {
    upper[s] = cumulative[s]!;
    const due = Math.floor(s - o.slaSeconds);
    lower[s] = due <= 0 ? 0 : cumulative[Math.min(n, due)]!;
    // Before the startup delay only the first min_replicas serve: at most c per second each, +1.
    if (s <= o.startupDelay) upper[s] = Math.min(upper[s]!, o.minReplicas * (c * s + 1));
    if (lower[s]! > upper[s]!) lower[s] = upper[s]!;
  }
  upper[n] = lower[n]!;
  const string = tautString(lower, upper);
  let ready = 0;
  let peak = 0;
  for (let s = 0; s < n; s++) {
    const x = string[s + 1]! - string[s]!;
    ready += Math.max(o.minReplicas, x / c);
    if (x > peak) peak = x;
  }
  const busy = Math.max(ready, lower[n]! * S);
  return busy + o.startupDelay * Math.max(0, Math.ceil(peak / c - EPSILON) - o.minReplicas);
}
