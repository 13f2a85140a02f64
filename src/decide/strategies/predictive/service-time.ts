// Step 1 of the predictive strategy (docs/decide.md): the service time T, seconds of replica time
// per message: configured, measured by Little's law on the messages in service over the metrics
// window, remembered, or bounded from above (busy / rate_out, replica-seconds, occupancy).
// Never from the replica count alone when the queue shows it, so the estimate is not circular.
import type { Sla } from '../../../config/policy';
import type { DecisionInput, PredictiveState } from '../../input';
import { addInService, even, inServiceOverWindow, type InServiceSample } from './in-service';
import { MAX_SERVICE_TIME_SECONDS, MIN_ACKS_PER_READING } from './limits';
import { addOccupancy, occupancyBound, type Occupancy } from './occupancy-bound';
import type { QueueReadings } from './queue-readings';
import { replicaSecondsBound } from './replica-seconds-bound';

/**
 * Weight of a new ack-pending/rate-out measurement in the smoothed service time. ack_pending is
 * an instant count (Poisson-noisy), so one reading moves the estimate by a fifth.
 */
const SERVICE_TIME_SMOOTHING = 0.2;

export interface ServiceTime {
  seconds: number | undefined;
  source: string;
  /** From replicas / rate-out: an upper bound, only trusted for scaling up. */
  upperBoundOnly: boolean;
  /** What to keep for the next call: the estimate and its weight (smoothed rate_out). */
  keep: number | null;
  keepWeight: number | null;
  keepBound: number | null;
}

/**
 * Seconds per message: configured, measured (ack-pending / rate-out), remembered, or bounded.
 * Readings are pooled, T = Σ ack_pending / Σ rate_out over exponentially weighted readings
 * (Little's law on the pooled readings), not averaged as ratios: a reading taken while little
 * flows weighs by its acks, as little as it tells.
 */
export interface ServiceTimeInput {
  sla: Sla;
  current: number;
  backlog: number | undefined;
  /** queue.ack_pending now. */
  ackPending: number | undefined;
  /** Messages in service over the rate window when known (see inServiceOverWindow), else ackPending. */
  inService: number | undefined;
  rateOut: number | undefined;
  /** Seconds the reading covers (the rate window). */
  windowSeconds: number;
  /** Whether a reading may be taken (an even window, or a steady flow). */
  settled: boolean;
  /** Whether busy replicas / rate_out bounds the service time now (no scale-down within the window). */
  boundValid: boolean;
  /** replicaSecondsBound over the rate window, if known. */
  replicaBound: number | null;
  previous: number | null;
  previousWeight: number | null;
  /** The smallest busy upper bound seen, if any. */
  previousBound: number | null;
  /** occupancyBound of the quiet checks so far, if any. */
  occupancyBound?: number | null;
}

export function estimateServiceTime(i: ServiceTimeInput): ServiceTime {
  const { sla, current, backlog, inService, rateOut, previous, previousWeight, previousBound } = i;
  // With messages waiting every ready replica is busy (ack_pending of them; all replicas when it
  // is unknown), and none served faster before: no replica was removed within the window, so
  // rate_out's window saw at most as many. busy / rate_out then bounds the time per message from
  // above (rate_out's lag only loosens it). Idle replicas would make it circular, hence only with
  // a backlog.
  const busy = i.ackPending !== undefined && i.ackPending > 0 ? Math.min(i.ackPending, current) : current;
  const ratio = i.boundValid && backlog !== undefined && backlog > 0 && rateOut !== undefined && rateOut > 0 ? Math.min(busy / rateOut, MAX_SERVICE_TIME_SECONDS) : 0;
  const replicaBound = i.boundValid && i.replicaBound !== null && i.replicaBound > 0 ? i.replicaBound : Infinity;
  // The occupancy bound only sizes work that waits (as busy / rate_out): a bound is loose, and in a
  // trickle its queueing headroom alone asked for a second replica.
  const occupancy = backlog !== undefined && backlog > 0 ? (i.occupancyBound ?? Infinity) : Infinity;
  const tightest = Math.min(ratio > 0 ? ratio : Infinity, replicaBound, occupancy);
  const busyBound = tightest < Infinity ? tightest : undefined; // (a denormal count over a rate can round to 0)
  const bound = busyBound === undefined ? previousBound : Math.min(busyBound, previousBound ?? Infinity);
  const kept = { keep: previous, keepWeight: previousWeight, keepBound: bound };
  if (sla.service_time_seconds !== undefined) {
    return { seconds: sla.service_time_seconds, source: 'sla.service_time_seconds', upperBoundOnly: false, ...kept };
  }
  const canMeasure = inService !== undefined && rateOut !== undefined && rateOut > 0;
  const measured = canMeasure ? Math.min(inService / rateOut, MAX_SERVICE_TIME_SECONDS) : 0;
  // Only a reading over the same window as rate_out, or taken while the flow is steady (see
  // `settled`), is right; and it only says something when the window saw enough acks.
  const informative = canMeasure && rateOut * i.windowSeconds >= MIN_ACKS_PER_READING;
  if (informative && i.settled && (previous !== null || measured > 0)) {
    // Little's law on the messages in service: L = X × W, so W = ack_pending / rate_out. The new
    // reading's share is its rate_out against the pooled weight's: a quiet reading (few acks)
    // barely moves the estimate, and the pooled weight forgets only as new acks replace it.
    let seconds = measured;
    let weight = rateOut;
    if (previous !== null) {
      const w0 = previousWeight ?? rateOut;
      const share = (SERVICE_TIME_SMOOTHING * rateOut) / ((1 - SERVICE_TIME_SMOOTHING) * w0 + SERVICE_TIME_SMOOTHING * rateOut);
      // A run of empty readings cannot take the estimate to 0 (it must stay positive).
      seconds = Math.max((1 - share) * previous + share * measured, Number.MIN_VALUE);
      weight = (1 - share) * w0 + share * rateOut;
    }
    return { seconds, source: 'queue.ack_pending / queue.rate_out', upperBoundOnly: false, keep: seconds, keepWeight: weight, keepBound: bound };
  }
  if (previous !== null) return { seconds: previous, source: canMeasure ? 'previous estimate (flow not steady)' : 'previous estimate', upperBoundOnly: false, ...kept };
  if (busyBound !== undefined && busyBound <= (previousBound ?? Infinity)) {
    // The occupancy bound holds whatever the replicas do now, so the need it gives may also scale down.
    if (busyBound === i.occupancyBound) return { seconds: busyBound, source: 'queue.ack_pending sampled at quiet checks / acknowledgements (upper bound)', upperBoundOnly: false, ...kept };
    return { seconds: busyBound, source: busyBound === replicaBound ? 'replica-seconds / acknowledgements over the window (upper bound)' : 'replicas / queue.rate_out (busy upper bound)', upperBoundOnly: true, ...kept };
  }
  if (previousBound !== null) {
    // A bound seen earlier still bounds it: the need it gives is at least the true one, so a
    // scale-down to it is safe (without it, replicas added for the first burst were held until a
    // steady reading came, minutes later on on/off traffic).
    return { seconds: previousBound, source: 'smallest busy upper bound seen (replicas / queue.rate_out with a backlog)', upperBoundOnly: false, ...kept };
  }
  return { seconds: undefined, source: 'unknown', upperBoundOnly: false, ...kept };
}

export interface MeasuredServiceTime {
  /** The state's in_service history with this call's count added. */
  inServiceHistory: InServiceSample[];
  occupancy: Occupancy | null;
  st: ServiceTime;
  /** The service time used (capped at a day), undefined when unknown. */
  T: number | undefined;
}

/**
 * This call's service time from its readings and the state. `lag` is backlog + in service now
 * (undefined without a backlog), kept with the count for the arrival step.
 */
export function measureServiceTime(input: DecisionInput, sla: Sla, prev: PredictiveState, q: QueueReadings, lag: number | undefined): MeasuredServiceTime {
  const { backlog, ackPending, rateIn, rateOut } = q;
  const now = input.now;
  const current = input.current_replicas;
  // Little's law needs ack_pending and rate_out over the same window: ack_pending's mean over
  // the window since the calls cover one. Before that, the instant count only while the flow is
  // steady: no scale change within metrics_window + startup (ack_pending follows the replica
  // count at once, rate_out lags it), and arrivals within 10% of acknowledgements.
  const window = input.service.metrics_window;
  const rateSpan = input.observations['queue.rate_span_s'];
  const acked = rateOut !== undefined && rateSpan !== undefined && rateSpan > 0 ? { acks: rateOut * rateSpan, since: now - rateSpan } : undefined;
  const inServiceHistory = addInService(prev.in_service, now, ackPending, lag, current, window, acked);
  const overWindow = ackPending === undefined ? null : inServiceOverWindow(inServiceHistory, now, window);
  const lastChange = Math.max(input.state?.last_scale_up_at ?? -Infinity, input.state?.last_scale_down_at ?? -Infinity);
  const occupancy = addOccupancy(prev, now, backlog, ackPending, rateOut, now - lastChange >= window + sla.startup_seconds);
  const balanced = rateIn === undefined || rateOut === undefined || Math.abs(rateIn - rateOut) <= 0.1 * Math.max(rateIn, rateOut);
  // Arrivals over the window as counts (rate × window), this call's and the kept samples'.
  const arrivals = prev.samples.filter((x) => x.at >= now - window && x.at < now).map((x) => x.rate * window);
  if (rateIn !== undefined) arrivals.push(rateIn * window);
  const arrivalsEven = arrivals.length > 0 && even(Math.min(...arrivals), Math.max(...arrivals));
  const settled = overWindow !== null ? overWindow.even && arrivalsEven : balanced && now - lastChange >= window + sla.startup_seconds;
  const boundValid = now - (input.state?.last_scale_down_at ?? -Infinity) >= window;
  const st = estimateServiceTime({
    sla,
    current,
    backlog,
    ackPending,
    inService: overWindow?.mean ?? ackPending,
    rateOut,
    windowSeconds: overWindow?.seconds ?? window,
    settled,
    boundValid,
    replicaBound: replicaSecondsBound(inServiceHistory, now, window, rateOut),
    occupancyBound: occupancyBound(occupancy),
    previous: prev.service_time_s,
    previousWeight: prev.service_time_weight,
    previousBound: prev.service_time_bound,
  });
  const T = st.seconds === undefined ? undefined : Math.min(st.seconds, MAX_SERVICE_TIME_SECONDS);
  return { inServiceHistory, occupancy, st, T };
}
