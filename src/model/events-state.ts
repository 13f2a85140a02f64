// What a scaler keeps about its event delivery (in its state, carried by continue-as-new) and
// shows in `status`: per sink, events delivered, failed delivery rounds, events dropped, and the
// last error with when it happened and when it cleared. Pure and deterministic.
import type { SinkConfig } from '../config/events';
import { isoTime } from '../decide/format';
import type { EventSpec, SlaEpisode } from './event-spec';

export interface SinkError {
  message: string;
  /** Unix seconds. */
  at: number;
  /** The first successful delivery after it; null while the sink still fails. */
  cleared_at: number | null;
}

export interface SinkStatus {
  /** Events delivered. */
  delivered: number;
  /** Delivery rounds that failed (each after its retries; see src/workflows/event-emitter.ts). */
  failures: number;
  /** Events given up on after events.retry_seconds. */
  dropped: number;
  last_error: SinkError | null;
}

/** One batch of events (one decision's) on its way to one sink. */
export interface PendingDelivery {
  /** The sink's name (src/config/events.ts sinkName). */
  sink: string;
  /** The sink as the scaler's config had it when the events were made (secrets masked). */
  config: SinkConfig;
  events: EventSpec[];
  /** Unix seconds after which the batch is dropped. */
  deadline: number;
}

export interface EventsState {
  sla_episode: SlaEpisode | null;
  sinks: Record<string, SinkStatus>;
  /** Batches not yet delivered nor dropped; a new run (continue-as-new) starts them again. */
  pending: PendingDelivery[];
}

export interface EventsStatus {
  /** Since when an SLA breach is predicted (one SlaBreachPredicted per episode), else null. */
  sla_breach_since: number | null;
  sla_breach_since_iso: string | null;
  /** Batches being delivered or retried. */
  pending: number;
  sinks: Record<string, SinkStatus & { last_error: (SinkError & { at_iso: string; cleared_at_iso: string | null }) | null }>;
}

export function initialEventsState(): EventsState {
  return { sla_episode: null, sinks: {}, pending: [] };
}

function sinkOf(state: EventsState, sink: string): SinkStatus {
  return state.sinks[sink] ?? { delivered: 0, failures: 0, dropped: 0, last_error: null };
}

function withoutBatch(state: EventsState, batch: PendingDelivery): PendingDelivery[] {
  return state.pending.filter((p) => p !== batch);
}

export function noteDelivered(state: EventsState, batch: PendingDelivery, at: number): EventsState {
  const k = sinkOf(state, batch.sink);
  const last_error = k.last_error && k.last_error.cleared_at === null ? { ...k.last_error, cleared_at: at } : k.last_error;
  return { ...state, pending: withoutBatch(state, batch), sinks: { ...state.sinks, [batch.sink]: { ...k, delivered: k.delivered + batch.events.length, last_error } } };
}

/** A delivery round failed; with `dropped`, the batch is given up. */
export function noteFailed(state: EventsState, batch: PendingDelivery, message: string, at: number, dropped: boolean): EventsState {
  const k = sinkOf(state, batch.sink);
  const next: SinkStatus = { ...k, failures: k.failures + 1, dropped: k.dropped + (dropped ? batch.events.length : 0), last_error: { message, at, cleared_at: null } };
  return { ...state, pending: dropped ? withoutBatch(state, batch) : state.pending, sinks: { ...state.sinks, [batch.sink]: next } };
}

/**
 * Batches a sink may have pending. Beyond it (a sink down for long while decisions keep coming)
 * the oldest is dropped: pending batches are carried through continue-as-new, whose input must
 * stay small, and each is an activity in flight.
 */
export const MAX_PENDING_PER_SINK = 50;

/** The batches to give up on before `batch` is added: the oldest of its sink beyond the bound. */
export function overflowing(state: EventsState, batch: PendingDelivery): PendingDelivery[] {
  const same = state.pending.filter((p) => p.sink === batch.sink);
  return same.slice(0, Math.max(0, same.length + 1 - MAX_PENDING_PER_SINK));
}

export function eventsStatus(state: EventsState | undefined): EventsStatus {
  const s = state ?? initialEventsState();
  const sinks: EventsStatus['sinks'] = {};
  for (const [name, k] of Object.entries(s.sinks)) {
    sinks[name] = {
      ...k,
      last_error: k.last_error && { ...k.last_error, at_iso: isoTime(k.last_error.at), cleared_at_iso: k.last_error.cleared_at === null ? null : isoTime(k.last_error.cleared_at) },
    };
  }
  const since = s.sla_episode?.since ?? null;
  return { sla_breach_since: since, sla_breach_since_iso: since === null ? null : isoTime(since), pending: s.pending.length, sinks };
}
