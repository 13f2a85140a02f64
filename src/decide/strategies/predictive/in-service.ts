// The in-service model: the messages in service (queue.ack_pending) at each call of the metrics
// window, kept in the state (`in_service`), and their mean over the window, the L of Little's law
// for the service time (docs/decide.md, predictive step 1).
import type { PredictiveState } from '../../input';
import { MAX_SAMPLES } from './limits';

export type InServiceSample = PredictiveState['in_service'][number];

/** Acknowledgements a source counted (queue.rate_out × queue.rate_span_s) and since when. */
export interface AckCount {
  acks: number;
  since: number;
}

/**
 * ack_pending history: the samples newer than now − window, plus the newest one at or before it
 * (where rate_out's window starts too, as the sources measure it).
 */
export function addInService(history: readonly InServiceSample[], now: number, count: number | undefined, lag: number | undefined, replicas: number, windowSeconds: number, acked?: AckCount): InServiceSample[] {
  const out = history.filter((s) => s.at < now);
  if (count !== undefined) out.push({ at: now, count, replicas, ...(lag === undefined ? {} : { lag }), ...(acked === undefined ? {} : { acks: acked.acks, acks_since: acked.since }) });
  let first = 0;
  for (let i = 0; i < out.length; i++) if (out[i]!.at <= now - windowSeconds) first = i;
  const kept = out.slice(first);
  return kept.length > MAX_SAMPLES ? kept.slice(kept.length - MAX_SAMPLES) : kept;
}

/**
 * Mean messages in service over the rate window (linear between the counts of two calls), with
 * the seconds it covers; null until calls cover a whole window, or across a gap in the calls.
 * Holding each count until the next call read a burst's last drain (every replica busy at one
 * call, idle a few seconds later) as ten busy seconds: service times 10–15% too long.
 */
export function inServiceOverWindow(history: readonly InServiceSample[], now: number, windowSeconds: number): { mean: number; seconds: number; even: boolean } | null {
  const first = history[0];
  if (first === undefined || first.at > now - windowSeconds || now - first.at > 2 * windowSeconds) return null;
  let area = 0;
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i + 1 < history.length; i++) {
    const gap = history[i + 1]!.at - history[i]!.at;
    if (gap > windowSeconds) return null;
    const count = history[i]!.count;
    area += ((count + history[i + 1]!.count) / 2) * gap;
    if (count < lo) lo = count;
    if (count > hi) hi = count;
  }
  if (history[history.length - 1]!.at !== now) return null;
  return { mean: area / (now - first.at), seconds: now - first.at, even: lo >= 1 && even(lo, hi) };
}

/**
 * Counts that do not swing beyond a count's noise. A reading of ack_pending over the window only
 * holds when the flow was even within it: each count stands for the time around its call, so
 * replicas that became ready at a check and all took a message at once (idle a second later)
 * would stand for seconds of service, and a spike served between two calls for none. The counts of
 * messages in service must moreover never be 0 (see inServiceOverWindow): work done entirely
 * between two calls is invisible to them.
 */
export function even(lo: number, hi: number): boolean {
  return hi <= 2 * lo + 2;
}
