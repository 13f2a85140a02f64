// Decision-policy parts of a service's config: rules, target tracking, HPA behavior,
// the predictive SLA, capacity, cooldown and fallback. Pure zod, no I/O.
import { z } from 'zod';

const nonNegative = z.number().finite().min(0);
const positive = z.number().finite().positive();

export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export const OperatorSchema = z.enum(OPERATORS, {
  error: () => `must be one of ${OPERATORS.map((o) => `"${o}"`).join(' ')} (quote it in YAML)`,
});
export type Operator = z.infer<typeof OperatorSchema>;

export const ConditionSchema = z.strictObject({
  metric: z.string().min(1, 'a metric name such as queue.backlog or cpu.avg_pct'),
  op: OperatorSchema,
  value: z.number().finite(),
});
export type Condition = z.infer<typeof ConditionSchema>;

export const RulesSchema = z.strictObject({
  scale_up_when: z.array(ConditionSchema).default([]),
  scale_down_when: z.array(ConditionSchema).default([]),
  step: z
    .strictObject({
      up: z.number().int().min(1).default(2),
      down: z.number().int().min(1).default(1),
    })
    .default({ up: 2, down: 1 }),
});
export type Rules = z.infer<typeof RulesSchema>;

export const TARGET_TYPES = ['average', 'value', 'utilization'] as const;
export const TargetMetricSchema = z.strictObject({
  metric: z.string().min(1),
  type: z.enum(TARGET_TYPES),
  value: positive,
});
export type TargetMetric = z.infer<typeof TargetMetricSchema>;

const toleranceValue = z.number().finite().min(0);
export const ToleranceSchema = z
  .union([toleranceValue, z.strictObject({ up: toleranceValue.default(0.1), down: toleranceValue.default(0.1) })])
  .default(0.1)
  .transform((t) => (typeof t === 'number' ? { up: t, down: t } : t));

export const TargetSchema = z.strictObject({
  metrics: z.array(TargetMetricSchema).min(1, 'at least one target metric'),
  tolerance: ToleranceSchema,
});
export type Target = z.infer<typeof TargetSchema>;

export const ScalingPolicySchema = z.strictObject({
  type: z.enum(['pods', 'percent']),
  value: z.number().int().positive(),
  period_seconds: z.number().int().positive().max(1800),
});
export type ScalingPolicy = z.infer<typeof ScalingPolicySchema>;

export const ScalingRulesSchema = z.strictObject({
  stabilization_window_seconds: z.number().int().min(0).max(3600).default(0),
  select_policy: z.enum(['max', 'min', 'disabled']).default('max'),
  policies: z.array(ScalingPolicySchema).optional(),
});
export type ScalingRules = z.infer<typeof ScalingRulesSchema>;

export const BehaviorSchema = z.strictObject({
  scale_up: ScalingRulesSchema.optional(),
  scale_down: ScalingRulesSchema.optional(),
});
export type Behavior = z.infer<typeof BehaviorSchema>;

export const FORECAST_MODES = ['off', 'shadow', 'on'] as const;
/**
 * The predictive strategy's forecast of recurring bursts (docs/decide.md, "Forecast"): learned
 * from what the checks see, it starts replicas before a burst that came at the same phase of a
 * period in each of the last `min_periods` periods. `shadow` computes and records the forecast
 * (details.forecast) without acting on it. Off by default: a forecast spends replicas on a guess.
 */
export const ForecastSchema = z
  .strictObject({
    mode: z.enum(FORECAST_MODES).default('off'),
    /**
     * Seconds ahead the forecast looks for a burst; null: startup_seconds + two check intervals
     * (a burst must be seen coming before the check that can still have replicas ready for it).
     */
    horizon_seconds: positive.nullable().default(null),
    /** Periods in a row a burst must have come at its phase before the forecast expects it again. */
    min_periods: z.number().int().min(2).max(8).default(2),
  })
  .default({ mode: 'off', horizon_seconds: null, min_periods: 2 });
export type Forecast = z.infer<typeof ForecastSchema>;

export const SlaSchema = z.strictObject({
  max_pickup_seconds: positive,
  breach_threshold: z.number().gt(0).max(1).default(0.8),
  /** Known time to process one message; otherwise estimated from the queue. */
  service_time_seconds: positive.optional(),
  /**
   * Share of a replica's time it should be busy in steady state: a fixed headroom. Unset, the
   * headroom comes from the SLA and the service time (a queueing bound, docs/decide.md).
   */
  target_utilization: z.number().gt(0).max(1).optional(),
  /** Seconds a new replica needs before it serves; the forecast looks at least this far ahead. */
  startup_seconds: nonNegative.default(10),
  /** Seconds of arrival-rate samples the trend is fitted over. */
  trend_window_seconds: positive.default(120),
  /**
   * Seconds a lower replica need must hold before the predictive strategy scales down (the highest
   * need in this window wins, so noise does not flap). Default max(startup_seconds,
   * check_interval) (see docs/decide.md).
   */
  scale_down_window_seconds: nonNegative.optional(),
  forecast: ForecastSchema,
});
export type Sla = z.infer<typeof SlaSchema>;

export const CapacitySchema = z.strictObject({
  max_cpu_pct: z.number().gt(0).max(100).default(85),
  max_mem_pct: z.number().gt(0).max(100).default(85),
  /** Footprint of one replica, in % of the host; otherwise estimated from observations. */
  replica_cpu_pct: positive.optional(),
  replica_mem_pct: positive.optional(),
});
export type Capacity = z.infer<typeof CapacitySchema>;

const COOLDOWN_DOWN_SECONDS = 60;

/**
 * cooldown.down when the config gives none: 60 s, but 0 for predictive, whose scale-down has its
 * own window (sla.scale_down_window_seconds, at least the startup delay and one check) and goes
 * only to the highest need of it. A further 60 s after every change held a burst's or a one-second
 * spike's replicas a minute after the work was done (issue 16: most of the cost on on/off traffic).
 */
export function cooldownDownDefault(strategy: string): number {
  return strategy === 'predictive' ? 0 : COOLDOWN_DOWN_SECONDS;
}

/** `down` left out takes its strategy's default (cooldownDownDefault), filled in by ServiceSchema. */
export const CooldownSchema = z
  .strictObject({ up: nonNegative.default(0), down: nonNegative.default(COOLDOWN_DOWN_SECONDS).describe('default 60 s; 0 with strategy predictive') })
  .default({ up: 0, down: COOLDOWN_DOWN_SECONDS });
export type Cooldown = z.infer<typeof CooldownSchema>;

export const FallbackSchema = z.strictObject({
  failure_threshold: z.number().int().min(1),
  replicas: z.number().int().min(0),
  behavior: z.enum(['static', 'current_if_higher', 'current_if_lower']).default('static'),
});
export type Fallback = z.infer<typeof FallbackSchema>;
