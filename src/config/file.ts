// The whole docktor.yaml (version "1"), including the older single-service form that is
// normalized into `services`.
import { z } from 'zod';
import { DiscoverSchema } from './discover';
import { EventsSchema } from './events';
import { TlsSchema } from './queue';
import { RecordingSchema } from './recording';
import { ServiceSchema } from './service';

/**
 * Payload encryption (AES-256-GCM, src/codec). The keys are never in this file: `key_file` names a
 * file and `key_env` an environment variable holding one or more keys (base64 of 32 random bytes,
 * e.g. `openssl rand -base64 32`); the first encrypts, all of them decrypt (key rotation).
 */
export const EncryptionSchema = z
  .strictObject({
    key_file: z.string().min(1).optional(),
    key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name, e.g. DOCKTOR_ENCRYPTION_KEYS').optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.key_file === undefined) === (e.key_env === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'set exactly one of key_file or key_env (where the keys are; never the key itself)' });
    }
  });
export type EncryptionConfig = z.infer<typeof EncryptionSchema>;

export const TemporalSchema = z.strictObject({
  /** host:port of a Temporal frontend; without it `docktor dev` starts a local dev server. */
  address: z.string().min(1).optional(),
  namespace: z.string().min(1).default('default'),
  task_queue: z.string().min(1).default('docktor'),
  tls: TlsSchema.optional(),
  api_key: z.string().min(1).optional(),
  /** Port for Prometheus metrics of the worker's SDK runtime. */
  metrics_port: z.number().int().min(1).max(65535).optional(),
  /** Threads that run workflow code in a worker (default DEFAULT_WORKFLOW_THREADS in src/worker.ts). */
  workflow_threads: z.number().int().min(1).max(16).optional(),
  /** Encrypt every payload the worker and the CLI send to Temporal (docs/operations.md). */
  encryption: EncryptionSchema.optional(),
});
export type TemporalConfig = z.infer<typeof TemporalSchema>;

export const LlmSchema = z.looseObject({
  provider: z.string().optional(),
  model: z.string().optional(),
  base_url: z.string().optional(),
});

/** The older single-service form: `service:` plus `scaling:`. */
export const LegacyScalingSchema = z.strictObject({
  cpu_high: z.number().default(75),
  cpu_low: z.number().default(20),
  min_replicas: z.number().int().min(0).default(1),
  max_replicas: z.number().int().min(0).default(10),
  scale_up_by: z.number().int().min(1).default(2),
  scale_down_by: z.number().int().min(1).default(1),
  check_interval: z.number().positive().default(10),
  metrics_window: z.number().positive().default(10),
});

export const FileSchema = z
  .strictObject({
    version: z.literal('1', { error: 'must be "1" (quoted)' }).default('1'),
    temporal: TemporalSchema.default({ namespace: 'default', task_queue: 'docktor' }),
    compose_file: z.string().min(1).optional(),
    project: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lowercase letters, digits, "_" and "-" (a compose project name)')
      .optional(),
    llm: LlmSchema.optional(),
    /** CloudEvents sinks of every service that sets none of its own. */
    events: EventsSchema.optional(),
    /** Traffic recording of every service that does not set its own fields (src/config/recording.ts). */
    recording: RecordingSchema.optional(),
    services: z.array(ServiceSchema).optional(),
    /** One scaler per queue found (docs/discovery.md). */
    discover: z.array(DiscoverSchema).optional(),
    service: z.string().min(1).optional(),
    scaling: LegacyScalingSchema.optional(),
  })
  .superRefine((f, ctx) => {
    if (f.services && (f.service !== undefined || f.scaling !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [f.service !== undefined ? 'service' : 'scaling'],
        message: 'use either `services:` or the older `service:` + `scaling:` form, not both',
      });
    }
    // With a compose file, services may come from its `x-docktor:` entries (checked after merging them).
    if (!f.services && f.service === undefined && !f.discover && f.compose_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['services'], message: 'required: a list of services to scale' });
    }
    // With a compose file the merged list is checked instead (src/config/load.ts): `services: []`
    // beside x-docktor entries is a config with services.
    if (f.services?.length === 0 && !f.discover && f.compose_file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['services'], message: 'must list at least one service' });
    }
    const seen = new Map<string, number>();
    f.services?.forEach((s, i) => {
      const first = seen.get(s.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `duplicate of services[${first}].name "${s.name}"` });
      } else seen.set(s.name, i);
    });
    const keys = new Map<string, number>();
    const patterns = new Map<string, number>();
    f.discover?.forEach((d, i) => {
      const key = d.name ?? String(i);
      const first = keys.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['discover', i, 'name'], message: `duplicate of discover[${first}]'s name "${key}"` });
      else keys.set(key, i);
      // Two entries that name services alike would share one scaler between two queues of one name.
      const pattern = typeof d.template.name === 'string' ? d.template.name : '{queue}';
      const same = patterns.get(pattern);
      if (same !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['discover', i, 'template', 'name'], message: `same service names as discover[${same}] ("${pattern}"): two queues of one name would share a scaler; set template.name, e.g. "${key}-{queue}"` });
      } else patterns.set(pattern, i);
    });
  });
export type FileConfig = z.infer<typeof FileSchema>;
