// Service-time upper bound (c) of docs/decide.md, predictive step 1: the messages in service seen
// by quiet checks, pooled (`occupancy` in the state), over the acknowledgements of those checks.
import type { PredictiveState } from '../../input';
import { IN_SERVICE_Z, MAX_SERVICE_TIME_SECONDS, MIN_ACKS_PER_READING } from './limits';

const OCCUPANCY_MEMORY_ACKS = 500;
export type Occupancy = NonNullable<PredictiveState['occupancy']>;

/**
 * Pools a quiet check into the occupancy sums: no backlog now nor at any call of the metrics
 * window (replicas to spare, so queue.ack_pending is the messages in service at a time independent
 * of when they started, and rate_out's window holds no drain), no scale change within the metrics
 * window + startup. The count stands for the seconds
 * since the previous call, and rate_out over them for its acknowledgements: summed over many
 * checks, Σ count × seconds is the busy time (sampled) and Σ rate_out × seconds the acks.
 */
export function addOccupancy(prev: PredictiveState, now: number, backlog: number | undefined, ackPending: number | undefined, rateOut: number | undefined, steady: boolean): Occupancy | null {
  const kept = prev.occupancy ?? null;
  const last = prev.in_service[prev.in_service.length - 1];
  if (last === undefined || backlog !== 0 || ackPending === undefined || rateOut === undefined || !steady) return kept;
  const seconds = now - last.at;
  // rate_out covers the metrics window: every call within it (and the one before) saw no backlog.
  if (!(seconds > 0) || prev.in_service.length < 2 || prev.in_service.some((x) => x.lag === undefined || x.lag > x.count)) return kept;
  const o = kept ?? { checks: 0, count: 0, seconds: 0, acks: 0 };
  const next = { checks: o.checks + 1, count: o.count + ackPending, seconds: o.seconds + seconds, acks: o.acks + rateOut * seconds };
  if (next.acks <= OCCUPANCY_MEMORY_ACKS) return next;
  const f = OCCUPANCY_MEMORY_ACKS / next.acks;
  return { checks: next.checks * f, count: next.count * f, seconds: next.seconds * f, acks: OCCUPANCY_MEMORY_ACKS };
}

/**
 * Upper bound of the service time from quiet checks: each message in service is seen by a check
 * with probability T / (seconds between checks), so Σ count ≈ acks × T / Δ, a Poisson count while
 * replicas are to spare (M/G/∞). Its upper confidence bound (IN_SERVICE_Z, widened by T/Δ when a
 * message can be seen by several checks) over the acks bounds T from above: a trickle between
 * bursts tells the service time within a few acks, where busy / rate_out read 6–30 s for a 1 s job
 * and sent the first burst's replicas to max_replicas.
 */
export function occupancyBound(o: Occupancy | null): number | null {
  if (o === null || o.checks <= 0 || !(o.acks >= MIN_ACKS_PER_READING)) return null;
  const interval = o.seconds / o.checks;
  const overlap = Math.max(1, o.count / o.acks); // T / Δ: checks that see one message
  const upper = overlap * (Math.sqrt(o.count / overlap + 1) + IN_SERVICE_Z / 2) ** 2;
  return Math.min((upper * interval) / o.acks, MAX_SERVICE_TIME_SECONDS);
}
