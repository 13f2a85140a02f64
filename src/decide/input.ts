// The decision input (CONTRACT §4) and the engine state that travels with it, as zod schemas.
// Pure: imported by the workflow sandbox, the simulator and `docktor decide`.
import { z } from 'zod';
import { toFieldIssues } from '../config/issues';
import { ServiceSchema } from '../config/service';
import { InputError } from '../errors';

/** Unix seconds (zod 4 numbers are finite). */
const unixSeconds = z.number();
const replicaCount = z.number().int().min(0);

const TimedReplicasSchema = z.object({ at: unixSeconds, replicas: replicaCount });
export type TimedReplicas = z.infer<typeof TimedReplicasSchema>;

/** A replica change that was applied: `delta` > 0 added, < 0 removed. */
const ScaleEventSchema = z.object({ at: unixSeconds, delta: z.number().int() });
export type ScaleEvent = z.infer<typeof ScaleEventSchema>;

/** One arrival-rate estimate (messages/s) the predictive strategy fits its trend over. */
const RateSampleSchema = z.object({ at: unixSeconds, rate: z.number().min(0) });
export type RateSample = z.infer<typeof RateSampleSchema>;

/** A burst the forecast saw: its first interval's start, last check, arrivals above the base, spread. */
const BurstSchema = z.object({ at: unixSeconds, end: unixSeconds, size: z.number().min(0), seconds: z.number().min(0) });
export type Burst = z.infer<typeof BurstSchema>;

/**
 * A recurring period found in the bursts: its length, matching tolerance, the spread of a burst's
 * start around its phase (standard deviation, seconds) and how many of the bursts that could have
 * had a predecessor one period earlier had one.
 */
const PeriodSchema = z.object({ seconds: z.number().positive(), tolerance: z.number().min(0), jitter: z.number().min(0).default(0), support: z.number().int().min(0), of: z.number().int().min(0) });
export type RecurringPeriod = z.infer<typeof PeriodSchema>;

/** A burst the forecast expected (between `from` and `to`), until it came (hit) or its time passed (miss). */
const ExpectationSchema = z.object({ from: unixSeconds, to: unixSeconds, size: z.number().min(0), seconds: z.number().min(0), period: z.number().positive(), came: unixSeconds.nullable().default(null) });
export type Expectation = z.infer<typeof ExpectationSchema>;

/**
 * The forecast's compact model of recurring bursts (sla.forecast, docs/decide.md "Forecast"),
 * updated at every check from that check's arrivals: never the whole recording.
 */
export const RecurringStateSchema = z.object({
  /** The previous check (the interval's start). */
  last_at: unixSeconds.nullable().default(null),
  /** Arrivals per second outside bursts (a moving average). */
  baseline: z.number().min(0).nullable().default(null),
  /** Bursts seen, oldest first (<= MAX_BURSTS). */
  bursts: z.array(BurstSchema).default([]),
  /** Periods found in them when the last burst began. */
  periods: z.array(PeriodSchema).default([]),
  /** Expected bursts not yet judged, and those that came while their replicas may still serve. */
  expected: z.array(ExpectationSchema).default([]),
  /** Judged expectations, oldest first (<= MAX_OUTCOMES): 1 the burst came, 0 it did not. */
  outcomes: z.array(z.union([z.literal(0), z.literal(1)])).default([]),
});
export type RecurringState = z.infer<typeof RecurringStateSchema>;

/** What the predictive strategy keeps between calls. Every list is bounded (docs/decide.md). */
export const PredictiveStateSchema = z.object({
  /** Arrival-rate estimates within `sla.trend_window_seconds`, oldest first. */
  samples: z.array(RateSampleSchema).default([]),
  /** Backlog + ack-pending at the previous call, for the backlog's change. */
  last_lag: z.object({ at: unixSeconds, lag: z.number().min(0) }).nullable().default(null),
  /** Last service-time estimate measured from the queue (seconds per message). */
  service_time_s: z.number().positive().nullable().default(null),
  /**
   * Smoothed rate_out of the measurements behind service_time_s (messages/s): the estimate is
   * their pooled ratio, so each new measurement weighs by its acknowledgements.
   */
  service_time_weight: z.number().positive().nullable().default(null),
  /** Smallest replicas / rate_out seen with a backlog: an upper bound of the service time. */
  service_time_bound: z.number().positive().nullable().default(null),
  /**
   * queue.ack_pending at each call within the metrics window (and one before it), with backlog +
   * ack-pending then (`lag`) for the arrivals over the window when queue.rate_in is missing, and
   * replicas.current then (`replicas`) for the replica-seconds bound of the service time, and
   * the acknowledgements queue.rate_out counted then (`acks`, rate × queue.rate_span_s) since
   * `acks_since`, for that bound over the time since a call.
   */
  in_service: z
    .array(
      z.object({
        at: unixSeconds,
        count: z.number().min(0),
        lag: z.number().min(0).optional(),
        replicas: replicaCount.optional(),
        acks: z.number().min(0).optional(),
        acks_since: unixSeconds.optional(),
      }),
    )
    .default([]),
  /**
   * Quiet checks' in-service counts pooled for the service time's occupancy bound (see
   * occupancyBound): how many checks, the sum of their counts, the seconds they stand for, and the
   * acknowledgements over those seconds. Decays once acks pass OCCUPANCY_MEMORY_ACKS.
   */
  occupancy: z.object({ checks: z.number().min(0), count: z.number().min(0), seconds: z.number().min(0), acks: z.number().min(0) }).nullable().default(null),
  /** Raw replica needs within the scale-down window, for the conservative scale-down. */
  needs: z.array(TimedReplicasSchema).default([]),
  /** Since when needs have been recorded without a gap longer than the window. */
  needs_since: unixSeconds.nullable().default(null),
  /** The forecast's model (absent while sla.forecast.mode is off). */
  recurring: RecurringStateSchema.optional(),
});
export type PredictiveState = z.infer<typeof PredictiveStateSchema>;

/**
 * Engine state: returned with every decision, passed back with the next input. Unknown keys are
 * dropped (not rejected) so a state written by another version still loads.
 */
export const EngineStateSchema = z.object({
  /** Unstabilized recommendations, for HPA stabilization windows. */
  recommendations: z.array(TimedReplicasSchema).default([]),
  /** Applied replica changes, for HPA rate-limit policies. */
  scale_events: z.array(ScaleEventSchema).default([]),
  last_scale_up_at: unixSeconds.nullable().default(null),
  last_scale_down_at: unixSeconds.nullable().default(null),
  predictive: PredictiveStateSchema.optional(),
});
export type EngineState = z.infer<typeof EngineStateSchema>;
export type EngineStateInput = z.input<typeof EngineStateSchema>;

export const OverrideSchema = z.strictObject({
  replicas: replicaCount,
  reason: z.string().optional(),
  /** Allow a target outside min_replicas..max_replicas (`docktor override --force`). */
  force: z.boolean().optional(),
});

/**
 * One decision's input. Beyond CONTRACT §4 (`now`, `service`, `current_replicas`,
 * `observations`, `state`) the caller may pass facts only it knows:
 * - `paused`: the scaler is paused; the decision is computed and recorded, but the target stays
 *   at `current_replicas` with `limited_by: "paused"` (pause wins over an override).
 * - `override`: `{ replicas, reason?, force? }` pins the target (`limited_by: "override"`),
 *   clamped to min..max unless `force`.
 * - `metric_failures`: consecutive failed metric collections up to and including this one
 *   (0 when this one succeeded), for `fallback` (KEDA: used once failures > failure_threshold).
 */
export const DecisionInputSchema = z.strictObject({
  now: unixSeconds,
  service: ServiceSchema,
  current_replicas: replicaCount,
  observations: z.record(z.string(), z.number()),
  state: EngineStateSchema.optional(),
  paused: z.boolean().optional(),
  override: OverrideSchema.optional(),
  metric_failures: z.number().int().min(0).optional(),
});
export type DecisionInput = z.infer<typeof DecisionInputSchema>;
/** The input as written (service defaults not yet applied). */
export type DecisionInputJson = z.input<typeof DecisionInputSchema>;

/** Validates one decision input; throws InputError listing every bad field by path. */
export function parseDecisionInput(json: unknown): DecisionInput {
  const result = DecisionInputSchema.safeParse(json, { reportInput: true });
  if (!result.success) throw new InputError('input', toFieldIssues(result.error));
  return result.data;
}
