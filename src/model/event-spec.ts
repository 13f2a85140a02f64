// The CloudEvents a scaler emits, as the workflow records them for delivery (CONTRACT §2 "Events
// and metrics"): their types and JSON-safe shape. Shared from below by the workflow (which builds
// them, src/events/scaling-events.ts), its state (delivery per sink) and the delivery activity.
import type { Json } from '../observations';

export const EVENT_TYPES = {
  decision: 'docktor.ScalingDecisionMade',
  scaled: 'docktor.WorkersScaled',
  slaBreach: 'docktor.SlaBreachPredicted',
} as const;
export type EventType = (typeof EVENT_TYPES)[keyof typeof EVENT_TYPES];

/** What the workflow hands to delivery: the attributes of a CloudEvent, JSON-safe. */
export interface EventSpec {
  /** Stable across retries: `<workflow id>/<decision time in ms>/<type>`. */
  id: string;
  type: EventType;
  /** `docktor/<project>/<service>`. */
  source: string;
  /** The service name. */
  subject: string;
  /** ISO-8601, the decision's time. */
  time: string;
  data: { [key: string]: Json };
}

/** The SLA breach episode a scaler is in: one SlaBreachPredicted per episode, not per check. */
export interface SlaEpisode {
  since: number;
}
