// One scaled service: bounds, timing, the strategy and its policy, the queue it reads and the
// runtime that holds its replicas. The same schema validates the config file, `docktor decide`
// input and the workflow's `set_config` update.
import { z } from 'zod';
import {
  BehaviorSchema,
  CapacitySchema,
  CooldownSchema,
  cooldownDownDefault,
  FallbackSchema,
  RulesSchema,
  SlaSchema,
  TargetSchema,
} from './policy';
import { CustomStrategySchema, PolicySchema } from './extension';
import { EventsSchema } from './events';
import { ExternalListSchema } from './external';
import { QueueSchema } from './queue';
import { RecordingSchema } from './recording';
import { RuntimeSchema } from './runtime';
import { ScheduleSchema } from './schedule';

export const BUILTIN_STRATEGIES = ['rules', 'target', 'predictive'] as const;
export type BuiltinStrategyName = (typeof BUILTIN_STRATEGIES)[number];
export const STRATEGIES = [...BUILTIN_STRATEGIES, 'custom'] as const;
export type StrategyName = (typeof STRATEGIES)[number];

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const ServiceNameSchema = z.string().regex(SERVICE_NAME, 'letters, digits, "_", "." and "-", starting with a letter or digit');

const ServiceObjectSchema = z
  .strictObject({
    name: ServiceNameSchema,
    min_replicas: z.number().int().min(0).default(1),
    max_replicas: z.number().int().min(0),
    /** The hard ceiling no override passes, not even --force (default max(100, max_replicas)). */
    replica_ceiling: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
    check_interval: z.number().positive().default(10),
    metrics_window: z.number().positive().default(30),
    strategy: z.enum(STRATEGIES).default('rules'),
    rules: RulesSchema.optional(),
    target: TargetSchema.optional(),
    sla: SlaSchema.optional(),
    capacity: CapacitySchema.optional(),
    /** `strategy: custom`: the module that decides (src/extend). */
    custom: CustomStrategySchema.optional(),
    /** Modules run before (on the input) and after (on the strategy's result) the strategy. */
    policies: z.array(PolicySchema).optional(),
    /** Windows that raise min_replicas / lower max_replicas while open (src/decide/schedule.ts). */
    schedule: ScheduleSchema.optional(),
    cooldown: CooldownSchema,
    behavior: BehaviorSchema.optional(),
    fallback: FallbackSchema.optional(),
    dry_run: z.boolean().default(false),
    queue: QueueSchema.optional(),
    /** Any number from HTTP, SQL or PromQL, each the observation `external.<name>`. */
    external: ExternalListSchema.optional(),
    runtime: RuntimeSchema.default({ kind: 'compose' }),
    /** Where this scaler sends its CloudEvents; default: the top-level `events:` (src/config/events.ts). */
    events: EventsSchema.optional(),
    /** What each check saw, for `docktor tune`; default: the top-level `recording:` (src/config/recording.ts). */
    recording: RecordingSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.max_replicas < s.min_replicas) {
      ctx.addIssue({ code: 'custom', path: ['max_replicas'], message: `must be >= min_replicas (${s.min_replicas})` });
    }
    if (s.replica_ceiling !== undefined && s.replica_ceiling < s.max_replicas) {
      ctx.addIssue({ code: 'custom', path: ['replica_ceiling'], message: `must be >= max_replicas (${s.max_replicas})` });
    }
    const needs: Record<StrategyName, 'rules' | 'target' | 'sla' | 'custom'> = { rules: 'rules', target: 'target', predictive: 'sla', custom: 'custom' };
    const block = needs[s.strategy];
    if (s[block] === undefined) {
      ctx.addIssue({ code: 'custom', path: [block], message: `required when strategy is ${s.strategy}` });
    }
    if (s.fallback && s.fallback.behavior === 'static' && (s.fallback.replicas < s.min_replicas || s.fallback.replicas > s.max_replicas)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fallback', 'replicas'],
        message: `must be within min_replicas..max_replicas (${s.min_replicas}..${s.max_replicas})`,
      });
    }
    s.schedule?.forEach((w, i) => {
      // A window narrows the bounds; it never widens them past the service's own.
      if (w.min_replicas !== null && w.min_replicas > s.max_replicas) {
        ctx.addIssue({ code: 'custom', path: ['schedule', i, 'min_replicas'], message: `must be <= the service's max_replicas (${s.max_replicas})` });
      }
      if (w.max_replicas !== null && w.max_replicas < s.min_replicas) {
        ctx.addIssue({ code: 'custom', path: ['schedule', i, 'max_replicas'], message: `must be >= the service's min_replicas (${s.min_replicas})` });
      }
    });
  });

/** A service as written in the file (defaults not yet applied). */
export type ServiceInput = z.input<typeof ServiceObjectSchema>;

/**
 * cooldown.down left out takes its strategy's default (cooldownDownDefault). Filled in before the
 * object is parsed: a transform after it made a union containing this schema (the MCP tools'
 * service-or-name) report "Invalid input" instead of the refinements' messages. Anything but an
 * object with an object or no `cooldown` passes unchanged, for the schema to name the error.
 */
function withStrategyCooldown(raw: unknown): unknown {
  if (!isRecord(raw) || (raw.cooldown !== undefined && !isRecord(raw.cooldown))) return raw;
  const cooldown = raw.cooldown ?? {};
  if (cooldown.down !== undefined) return raw;
  return { ...raw, cooldown: { ...cooldown, down: cooldownDownDefault(typeof raw.strategy === 'string' ? raw.strategy : 'rules') } };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const ServiceSchema = z.preprocess((raw: ServiceInput) => withStrategyCooldown(raw), ServiceObjectSchema);
/** A validated service with every default applied. */
export type ServiceConfig = z.infer<typeof ServiceSchema>;
