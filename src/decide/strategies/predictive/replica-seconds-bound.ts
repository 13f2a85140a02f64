// Service-time upper bound (b) of docs/decide.md, predictive step 1: replica-seconds over the
// acknowledgements they gave, over the metrics window and over the time since each of its calls.
import type { InServiceSample } from './in-service';
import { MAX_SERVICE_TIME_SECONDS, MIN_ACKS_PER_READING } from './limits';

/**
 * Upper bound of the service time from replica-seconds: every acknowledgement in the rate window,
 * but those of the messages already in service when it began (at most the replicas then), took T
 * seconds of some replica's time within the window, and no more replicas than replicas.current
 * at either end of each interval between calls were there to give it: T <= replica-seconds /
 * (acks − replicas at the window's start). Unlike busy / rate_out (which takes every replica as
 * busy over the whole window) it holds with idle replicas, so the quiet time before a burst
 * loosens it less: on the first burst of on/off traffic busy / rate_out read 6–30 s for a 1 s job
 * and sent the replicas to max_replicas. Replicas asked for at a call count over the whole
 * interval after it (their startup is not assumed: a real one shorter than sla.startup_seconds
 * would make the bound too small), so right after a scale-up it is loose too.
 * Over the whole window it needs calls that cover it without a gap, and 10 acks; over the time
 * since a call (sinceCallBound), the sources' counts (queue.rate_span_s). Null when neither is known.
 */
export function replicaSecondsBound(history: readonly InServiceSample[], now: number, windowSeconds: number, rateOut: number | undefined): number | null {
  if (history.length === 0 || history[history.length - 1]!.at !== now) return null;
  const bound = Math.min(windowBound(history, now, windowSeconds, rateOut), sinceCallBound(history, now, windowSeconds));
  return bound < Infinity ? Math.min(bound, MAX_SERVICE_TIME_SECONDS) : null;
}

/** replicaSecondsBound over the whole window, with rate_out × window as its acks; Infinity if unknown. */
function windowBound(history: readonly InServiceSample[], now: number, windowSeconds: number, rateOut: number | undefined): number {
  const first = history[0]!;
  if (rateOut === undefined || first.at > now - windowSeconds) return Infinity;
  let replicaSeconds = 0;
  for (let i = 0; i + 1 < history.length; i++) {
    const [a, b] = [history[i]!, history[i + 1]!];
    if (a.replicas === undefined || b.replicas === undefined || b.at - a.at > windowSeconds) return Infinity;
    replicaSeconds += Math.max(a.replicas, b.replicas) * Math.max(0, b.at - Math.max(a.at, now - windowSeconds));
  }
  const second = history[1];
  const acks = rateOut * windowSeconds - Math.max(first.replicas ?? Infinity, second?.replicas ?? 0);
  return acks >= MIN_ACKS_PER_READING ? replicaSeconds / acks : Infinity;
}

/**
 * The replica-seconds bound over the time since a call of the window instead of the whole window:
 * a burst's window holds the interval its new replicas were starting in, counted as serving (their
 * startup is not assumed), and that alone kept the bound near 2 s for a 1 s job through a burst of
 * 100 busy replicas. Acks since call j: the source counted `acks` over (acks_since, now] and
 * acks_j over (acks_since_j, t_j]; when the first interval starts no earlier than the second, the
 * acks in (acks_since, t_j] are at most acks_j, so at least acks − acks_j came after t_j (exact
 * counts, not rate × window: a source's rates span from its newest sample at or before the
 * window's start, often a little more than the window). Less the messages in service at t_j.
 */
function sinceCallBound(history: readonly InServiceSample[], now: number, windowSeconds: number): number {
  const last = history[history.length - 1]!;
  if (last.acks === undefined || last.acks_since === undefined) return Infinity;
  let best = Infinity;
  let replicaSeconds = 0;
  for (let j = history.length - 2; j >= 0 && history[j]!.at >= now - windowSeconds; j--) {
    const [a, b] = [history[j]!, history[j + 1]!];
    if (a.replicas === undefined || b.replicas === undefined) break;
    replicaSeconds += Math.max(a.replicas, b.replicas) * (b.at - a.at);
    if (a.acks === undefined || a.acks_since === undefined || last.acks_since < a.acks_since) continue;
    const acks = last.acks - a.acks - Math.max(a.replicas, b.replicas);
    if (acks >= MIN_ACKS_PER_READING) best = Math.min(best, replicaSeconds / acks);
  }
  return best;
}
