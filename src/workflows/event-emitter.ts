// Sends a scaler's CloudEvents (src/events/scaling-events.ts) to its sinks without ever holding up
// a check: each batch (one decision's events, one sink) is delivered by its own activity, started
// and not awaited; its outcome updates the sink's status when it settles.
//
// At least once, bounded: a batch is tried in two rounds. The first retries 3 times within
// seconds, so a failing sink shows in `status` at once; the second retries with back-off (up to
// a minute apart) until the batch's deadline, events.retry_seconds after the decision; then the
// batch is dropped and counted. A sink whose config is wrong (ConfigurationError) drops at once.
// Batches still pending at continue-as-new are carried in the state and started again by the new
// run, with the same ids (a receiver may see a batch twice; dedupe on `id`).
import { ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { DeliverEventsActivities } from '../activities/deliver-events';
import { sinkName } from '../config/sink-name';
import { initialEventsState, MAX_PENDING_PER_SINK, noteDelivered, noteFailed, overflowing, type PendingDelivery } from '../model/events-state';
import { eventsForDecision, type EventContext } from '../events/scaling-events';
import type { HistoryEntry, ScalerState } from '../model/scaler-state';

/** Attempts of the first round (1 s then 2 s apart). */
export const FIRST_ROUND_ATTEMPTS = 3;

function deliverActivity(batch: PendingDelivery, firstRound: boolean, secondsLeft: number) {
  return proxyActivities<DeliverEventsActivities>({
    summary: `deliver ${batch.events.length} event(s) to ${batch.sink}`,
    startToCloseTimeout: '40s',
    scheduleToCloseTimeout: `${Math.max(1, Math.ceil(secondsLeft))}s`,
    retry: firstRound
      ? { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: FIRST_ROUND_ATTEMPTS, nonRetryableErrorTypes: ['ConfigurationError'] }
      : { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '60s', nonRetryableErrorTypes: ['ConfigurationError'] },
  }).deliverEvents;
}

function failureOf(e: unknown): { message: string; retryable: boolean } {
  const cause = e instanceof ActivityFailure ? e.cause : e;
  const message = cause instanceof Error ? cause.message : String(cause);
  return { message, retryable: !(cause instanceof ApplicationFailure && cause.nonRetryable) };
}

export class ScalerEvents {
  constructor(
    private readonly state: ScalerState,
    private readonly context: () => EventContext,
    private readonly now: () => number,
  ) {
    state.events ??= initialEventsState();
  }

  private get events() {
    return this.state.events!;
  }

  /** After a decision is recorded: its events go to every sink (not awaited). */
  decided(entry: HistoryEntry): void {
    const ctx = this.context();
    const { events, episode } = eventsForDecision(ctx, entry, this.events.sla_episode);
    this.state.events = { ...this.events, sla_episode: episode };
    const config = ctx.service.events;
    if (!config || events.length === 0) return;
    config.sinks.forEach((sink, i) => {
      const batch: PendingDelivery = { sink: sinkName(sink, i), config: sink, events, deadline: entry.at + config.retry_seconds };
      for (const old of overflowing(this.events, batch)) {
        this.state.events = noteFailed(this.events, old, `more than ${MAX_PENDING_PER_SINK} batches pending: the oldest dropped`, this.now(), true);
        this.inFlight.get(old)?.cancel();
      }
      this.state.events = { ...this.events, pending: [...this.events.pending, batch] };
      void this.deliver(batch);
    });
  }

  /** In a new run: delivers again what the last one had not finished. */
  resume(): void {
    for (const batch of this.events.pending) void this.deliver(batch);
  }

  /** Before continue-as-new: a moment for deliveries in flight, so fewer are sent twice. */
  async settle(timeoutMs = 2000): Promise<void> {
    // Nothing pending: no timer (a command in the history) either.
    if (this.events.pending.length === 0) return;
    await condition(() => this.events.pending.length === 0, timeoutMs);
  }

  /** Deliveries in flight, to stop one whose batch was dropped. Not state: a new run restarts them. */
  private readonly inFlight = new Map<PendingDelivery, CancellationScope>();

  private async deliver(batch: PendingDelivery): Promise<void> {
    const scope = new CancellationScope();
    this.inFlight.set(batch, scope);
    try {
      await scope.run(() => this.attempt(batch));
    } finally {
      this.inFlight.delete(batch);
    }
  }

  private async attempt(batch: PendingDelivery): Promise<void> {
    const { project, service: { name: service, queue } } = this.context();
    for (const firstRound of [true, false]) {
      // A batch handed over past its deadline still gets one attempt.
      const left = Math.max(1, batch.deadline - this.now());
      try {
        await deliverActivity(batch, firstRound, left)({ project, service, ...(queue ? { queue } : {}), sink: batch.sink, config: batch.config, events: batch.events });
        this.state.events = noteDelivered(this.events, batch, this.now());
        return;
      } catch (e) {
        // The scaler is stopping (`docktor down`), or the batch was dropped: nothing more to record.
        if (isCancellation(e)) return;
        const f = failureOf(e);
        const last = !firstRound || !f.retryable || batch.deadline <= this.now();
        this.state.events = noteFailed(this.events, batch, f.message, this.now(), last);
        if (last) return;
      }
    }
  }
}
