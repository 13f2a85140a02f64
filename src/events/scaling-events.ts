// The CloudEvents a scaler emits (CONTRACT §2 "Events and metrics"), built from its decisions.
// Pure and deterministic: the workflow builds them, so an event is made once, recorded in the
// workflow's history as the delivery activity's input, and every retry sends the same `id`.
// The activity turns them into CloudEvents 1.0 with the `cloudevents` SDK (src/events/deliver.ts).
import type { ServiceConfig } from '../config/service';
import { isoTime } from '../decide/format';
import type { Json, Observations } from '../observations';
import type { HistoryEntry } from '../model/scaler-state';
import { EVENT_TYPES, type EventSpec, type EventType, type SlaEpisode } from '../model/event-spec';
import { predictSlaBreach, type SlaBreach } from './sla-breach';

export interface EventContext {
  project: string;
  service: ServiceConfig;
  workflowId: string;
}

/** The decision fields every event's data carries. */
function decisionData(ctx: EventContext, e: HistoryEntry): { [key: string]: Json } {
  return {
    project: ctx.project,
    service: ctx.service.name,
    at: e.at,
    action: e.action,
    from: e.from,
    to: e.to,
    reason: e.reason,
    limited_by: e.limited_by,
    applied: e.applied,
    observations: e.observations as Observations,
  };
}

function spec(ctx: EventContext, e: HistoryEntry, type: EventType, data: { [key: string]: Json }): EventSpec {
  return {
    id: `${ctx.workflowId}/${Math.round(e.at * 1000)}/${type}`,
    type,
    source: `docktor/${ctx.project}/${ctx.service.name}`,
    subject: ctx.service.name,
    time: isoTime(e.at),
    data,
  };
}

export interface DecisionEvents {
  events: EventSpec[];
  /** The episode after this decision (carry it to the next one). */
  episode: SlaEpisode | null;
}

/**
 * The events of one recorded decision:
 * - ScalingDecisionMade for every action other than hold, applied or not;
 * - WorkersScaled when the change was applied;
 * - SlaBreachPredicted when a breach is predicted and the previous decision predicted none.
 * A check that decided nothing (`missing_metrics`) leaves the episode as it was: nothing is known.
 */
export function eventsForDecision(ctx: EventContext, e: HistoryEntry, episode: SlaEpisode | null): DecisionEvents {
  const events: EventSpec[] = [];
  if (e.action !== 'hold') events.push(spec(ctx, e, EVENT_TYPES.decision, { ...decisionData(ctx, e), details: e.details }));
  if (e.applied && e.from !== e.to) {
    events.push(spec(ctx, e, EVENT_TYPES.scaled, { ...decisionData(ctx, e), direction: e.to > e.from ? 'up' : 'down' }));
  }
  if (e.limited_by === 'missing_metrics') return { events, episode };
  const breach = predictSlaBreach(ctx.service, e);
  if (!breach) return { events, episode: null };
  if (episode) return { events, episode };
  events.push(spec(ctx, e, EVENT_TYPES.slaBreach, { ...decisionData(ctx, e), ...slaData(breach) }));
  return { events, episode: { since: e.at } };
}

function slaData(b: SlaBreach): { [key: string]: Json } {
  return {
    cause: b.cause,
    sla_seconds: b.sla_seconds,
    forecast_pickup_seconds: b.forecast_pickup_seconds,
    needed_replicas: b.needed_replicas,
    explanation: b.explanation,
  };
}
