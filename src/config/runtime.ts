// Where a service's replicas run. One variant per `kind`; the registry in src/runtimes/
// maps each kind to its actuator.
import { z } from 'zod';

export const ComposeRuntimeSchema = z.strictObject({
  kind: z.literal('compose'),
  /** The compose service, when it differs from the docktor service name. */
  service: z.string().min(1).optional(),
  /** Seconds between SIGTERM and SIGKILL; default: the compose file's stop_grace_period, else 10. */
  grace_period: z.number().min(0).optional(),
});

export const SwarmRuntimeSchema = z.strictObject({
  kind: z.literal('swarm'),
  /** The Swarm service; default `<project>_<name>` as `docker stack deploy` names it. */
  service: z.string().min(1).optional(),
});

export const ProcessRuntimeSchema = z.strictObject({
  kind: z.literal('process'),
  command: z.array(z.string()).min(1, 'the program and its arguments, e.g. [node, worker.js]'),
  env: z.record(z.string(), z.string()).default({}),
  /** Working directory, resolved relative to the config file. */
  cwd: z.string().min(1).optional(),
  grace_period: z.number().min(0).default(30),
});

export const RUNTIME_KINDS = ['compose', 'swarm', 'process'] as const;
export const RuntimeSchema = z.discriminatedUnion('kind', [ComposeRuntimeSchema, SwarmRuntimeSchema, ProcessRuntimeSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of: ${RUNTIME_KINDS.join(', ')}` : undefined),
});
export type RuntimeConfig = z.infer<typeof RuntimeSchema>;
export type ComposeRuntimeConfig = z.infer<typeof ComposeRuntimeSchema>;
export type SwarmRuntimeConfig = z.infer<typeof SwarmRuntimeSchema>;
export type ProcessRuntimeConfig = z.infer<typeof ProcessRuntimeSchema>;
