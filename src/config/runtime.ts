// Where a service's replicas run. One variant per `kind`; the registry in src/runtimes/
// maps each kind to its actuator.
import { z } from 'zod';
import { dockerHostProblem } from './docker-host';

/**
 * The machine the replicas live on (issue: machines): only a worker started with `--host NAME`
 * observes and changes them. Absent: any worker may (every worker reaches the same replicas).
 */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const HOST_NAME_RULE = 'a host name: letters, digits, ".", "_" and "-", at most 63 characters';
const host = z.string().regex(HOST_NAME, `${HOST_NAME_RULE} (as \`docktor worker --host NAME\` gives it)`).optional();

/** The Docker Engine to reach on that host, in the DOCKER_HOST forms; default: DOCKER_HOST, else the local socket. */
const dockerHost = z
  .string()
  .superRefine((v, ctx) => {
    const problem = dockerHostProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .optional();

export const ComposeRuntimeSchema = z.strictObject({
  kind: z.literal('compose'),
  /** The compose service, when it differs from the docktor service name. */
  service: z.string().min(1).optional(),
  /** Seconds between SIGTERM and SIGKILL; default: the compose file's stop_grace_period, else 10. */
  grace_period: z.number().min(0).optional(),
  host,
  docker_host: dockerHost,
});

export const SwarmRuntimeSchema = z.strictObject({
  kind: z.literal('swarm'),
  /** The Swarm service; default `<project>_<name>` as `docker stack deploy` names it. */
  service: z.string().min(1).optional(),
  host,
  docker_host: dockerHost,
});

export const ProcessRuntimeSchema = z.strictObject({
  kind: z.literal('process'),
  command: z.array(z.string()).min(1, 'the program and its arguments, e.g. [node, worker.js]'),
  env: z.record(z.string(), z.string()).default({}),
  /** Working directory, resolved relative to the config file. */
  cwd: z.string().min(1).optional(),
  grace_period: z.number().min(0).default(30),
  host,
});

export const RUNTIME_KINDS = ['compose', 'swarm', 'process'] as const;
export const RuntimeSchema = z.discriminatedUnion('kind', [ComposeRuntimeSchema, SwarmRuntimeSchema, ProcessRuntimeSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of: ${RUNTIME_KINDS.join(', ')}` : undefined),
});
export type RuntimeConfig = z.infer<typeof RuntimeSchema>;
export type ComposeRuntimeConfig = z.infer<typeof ComposeRuntimeSchema>;
export type SwarmRuntimeConfig = z.infer<typeof SwarmRuntimeSchema>;
export type ProcessRuntimeConfig = z.infer<typeof ProcessRuntimeSchema>;
