// What the predictive steps read of a check's observations (docs/decide.md: B, A, rate_in, μ, a).
import type { DecisionInput } from '../../input';

export interface QueueReadings {
  /** queue.backlog (B). */
  backlog: number | undefined;
  /** queue.ack_pending (A): messages in service now. */
  ackPending: number | undefined;
  rateIn: number | undefined;
  /** queue.rate_out (μ). */
  rateOut: number | undefined;
  /** queue.oldest_age_s (a). */
  oldestAge: number | undefined;
  /** queue.rate_span_s: the seconds the rates cover. */
  rateSpan: number | undefined;
}

export function readQueue(obs: DecisionInput['observations']): QueueReadings {
  return {
    backlog: obs['queue.backlog'],
    ackPending: obs['queue.ack_pending'],
    rateIn: obs['queue.rate_in'],
    rateOut: obs['queue.rate_out'],
    oldestAge: obs['queue.oldest_age_s'],
    rateSpan: obs['queue.rate_span_s'],
  };
}
