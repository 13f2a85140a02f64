// Step 5 of the predictive strategy (docs/decide.md): the backlog drain, every waiting message
// picked up before it is breach_threshold × SLA old, by the replicas serving now and, after the
// startup delay, the new ones.
import type { BacklogArrivals } from './backlog-arrivals';
import type { QueueReadings } from './queue-readings';

/** The drain target never asks to clear the backlog in less than this share of the budget. */
const MIN_DRAIN_BUDGET_SHARE = 0.1;

interface DrainInput {
  T: number;
  backlog: number;
  oldestAge: number;
  /** Recent arrival rate: how fast the backlog's younger part came in. */
  rate: number;
  /** Replicas serving now (ack_pending: with a backlog, every ready replica is busy). */
  ready: number;
  startup: number;
  budget: number;
  /** Arrivals expected meanwhile (messages/s): the same replicas serve them too. */
  forecast: number;
}

export interface DrainNeed {
  /** Service rate (messages/s) the backlog needs, beyond the forecast arrivals. */
  rate: number;
  /** Seconds left for the message that sets the rate. */
  seconds: number;
  /** Whether the replicas serving now drain it in time on their own (no new replica needed). */
  serving: boolean;
}

/**
 * The service rate (messages/s) the backlog needs from the replicas kept or asked for now. FIFO:
 * the k-th waiting message is picked up once k messages before it are; the one of age age(k) must
 * be picked up within budget − age(k). Ages: the oldest is oldestAge; the younger part arrived at
 * the recent rate, so the k-th is min(oldestAge, (backlog − k) / rate) old (a burst that stopped
 * leaves many messages of nearly the oldest age; a steady inflow spreads them evenly). The time
 * left is floored at max(T, 0.1 × budget), so a message already past the budget asks for a fast
 * drain, not an infinite one.
 * - If the replicas serving now drain it in time with the forecast arrivals, rate >= k / (budget −
 *   age(k)) from now, and no more replicas are needed: a scale-down may go down to that, not below
 *   (replicas just started for a spike are kept until they have picked up its messages).
 * - Otherwise new replicas serve only after the startup delay. The replicas serving now pick up
 *   k1 = ready × startup / T messages before then, beyond this decision's reach however many
 *   replicas it asks for; each later one needs rate >= (k − k1) / (budget − startup − age(k)). The
 *   replicas serving now are kept: the need is at least them.
 * Each ratio is monotone on each piece of the age line, so its largest value is at a piece's end.
 */
export function drainNeed(d: DrainInput): DrainNeed {
  const floor = Math.max(d.T, MIN_DRAIN_BUDGET_SHARE * d.budget);
  const needed = (startup: number, k1: number, arrivals: number): { rate: number; seconds: number } => {
    const age = (k: number) => (arrivals > 0 ? Math.min(d.oldestAge, (d.backlog - k) / arrivals) : d.oldestAge);
    const points = [d.backlog, d.backlog - arrivals * d.oldestAge, d.backlog - arrivals * (d.budget - startup - floor)];
    let rate = 0;
    let seconds = Math.max(d.budget - startup, floor);
    for (const k of points) {
      if (!(k > k1) || k > d.backlog) continue;
      const left = Math.max(d.budget - startup - age(k), floor);
      const r = (k - k1) / left;
      if (r > rate) {
        rate = r;
        seconds = left;
      }
    }
    return { rate, seconds };
  };
  // Keeping fewer replicas is judged with every message as old as the oldest: the youngest one's
  // age is not observed, and after a spike they are all old (arrivals over the window, spike
  // included, would spread them down to 0 s and let too few replicas stay).
  const now = needed(0, 0, 0);
  if (d.T * (now.rate + d.forecast) <= d.ready) return { ...now, serving: true };
  const later = needed(d.startup, Math.min(d.backlog, (d.ready * d.startup) / d.T), d.rate);
  return { rate: Math.max(later.rate, d.ready / d.T - d.forecast), seconds: later.seconds, serving: false };
}

export interface BacklogDrain {
  /** Age of the oldest waiting message used (queue.oldest_age_s, else the backlog's history, else 0). */
  age: number;
  /** Replicas the drain needs, undefined when unknown. */
  drain: number | undefined;
  drainSeconds: number | null;
  /** Arrivals still to come that the drain counts (messages/s). */
  drainArrivals: number | null;
}

export interface BacklogDrainInput {
  q: QueueReadings;
  T: number | undefined;
  /** λ_f. */
  forecast: number | undefined;
  /** λ. */
  rate: number | undefined;
  /** Arrivals by the backlog's change, and its split at the calls (arrival-rate.ts). */
  fromBacklog: number | undefined;
  split: BacklogArrivals | null;
  metricsWindow: number;
  startup: number;
  budget: number;
}

export function backlogDrain(i: BacklogDrainInput): BacklogDrain {
  const { backlog, ackPending, rateIn, oldestAge } = i.q;
  const { T, forecast, split } = i;
  // Without queue.oldest_age_s, the backlog's history tells it (FIFO: the first of the last
  // `backlog` arrivals); read as 0, a burst's last messages had the whole budget at every check.
  const age = oldestAge ?? split?.oldestAge ?? 0;
  let drain: number | undefined;
  let drainSeconds: number | null = null;
  let drainArrivals: number | null = null;
  if (backlog !== undefined) {
    if (backlog === 0) drain = 0;
    else if (T !== undefined) {
      // rate_in counts the waiting messages too (those that arrived within its window), and the
      // drain already serves them: as arrivals still to come they were paid twice. A one-second
      // spike of 250 messages read as 8/s for the next 30 s, 8 replicas beyond the drain's 22.
      const ahead = Math.max(0, (forecast ?? 0) - (rateIn !== undefined ? backlog / i.metricsWindow : 0));
      // How fast the waiting messages came in (their ages): the window's arrivals, bursts included
      // (rate_in's counterpart), not the rate still to come.
      const cameIn = split !== null ? i.fromBacklog : i.rate;
      const d = drainNeed({ T, backlog, oldestAge: age, rate: cameIn ?? 0, ready: ackPending ?? 0, startup: i.startup, budget: i.budget, forecast: ahead });
      drainSeconds = d.seconds;
      drainArrivals = ahead;
      drain = T * (ahead + d.rate);
    }
  }
  return { age, drain, drainSeconds, drainArrivals };
}
