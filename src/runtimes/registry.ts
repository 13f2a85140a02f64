// Which actuator runs a service's replicas, by `runtime.kind`. The registry's type is a mapped type
// over the config's kinds, so adding a kind to the schema does not compile until it has a runtime.
import type Dockerode from 'dockerode';
import type { RuntimeConfig } from '../config/runtime';
import { ComposeRuntime } from './compose';
import { dockerFor } from './docker-client';
import { ProcessRuntime, type ProcessRuntimeOptions } from './process';
import type { ProcessEvent } from './process-pool';
import type { Runtime, RuntimeTarget } from './runtime';
import { SwarmRuntime } from './swarm';

export type RuntimeKind = RuntimeConfig['kind'];
export type RuntimeOf<K extends RuntimeKind> = Runtime<Extract<RuntimeConfig, { kind: K }>>;
export type RuntimeRegistry = { [K in RuntimeKind]: RuntimeOf<K> };

export interface RuntimeRegistryOptions {
  /** Engine client for compose and swarm; default: from DOCKER_HOST, made on first use. */
  docker?: Dockerode;
  process?: ProcessRuntimeOptions;
}

export function createRuntimeRegistry(options: RuntimeRegistryOptions = {}): RuntimeRegistry {
  const docker = options.docker ? { docker: options.docker } : {};
  return {
    compose: new ComposeRuntime(docker),
    swarm: new SwarmRuntime(docker),
    process: new ProcessRuntime(options.process),
  };
}

let shared: RuntimeRegistry | undefined;

/** The registry of this process, made on first use; process replicas' life events go to stderr. */
export function runtimes(): RuntimeRegistry {
  shared ??= createRuntimeRegistry({ process: { onEvent: logProcessEvent } });
  return shared;
}

/** One line per replica start, exit, restart or adoption, so an operator sees crash loops. */
function logProcessEvent(e: ProcessEvent): void {
  const { type, replica, ...rest } = e;
  process.stderr.write(`docktor process ${replica}: ${type} ${JSON.stringify(rest)}\n`);
}

/** Compose and swarm runtimes per `runtime.docker_host` (issue: machines), made on first use. */
type EngineRuntimes = Pick<RuntimeRegistry, 'compose' | 'swarm'>;
const byEngine = new Map<string, EngineRuntimes>();

function engineRuntimes(dockerHost: string): EngineRuntimes {
  let found = byEngine.get(dockerHost);
  if (!found) {
    const docker = dockerFor(dockerHost);
    found = { compose: new ComposeRuntime({ docker }), swarm: new SwarmRuntime({ docker }) };
    byEngine.set(dockerHost, found);
  }
  return found;
}

/**
 * The runtime for a target's `runtime.kind`, from the process's registry (or the one given); a
 * compose or swarm service with its own `docker_host` gets runtimes bound to that Engine.
 */
export function runtimeFor(target: RuntimeTarget, registry: RuntimeRegistry = runtimes()): Runtime {
  const rt = target.runtime;
  if ((rt.kind === 'compose' || rt.kind === 'swarm') && rt.docker_host) return engineRuntimes(rt.docker_host)[rt.kind];
  return registry[rt.kind];
}

/** Releases the shared runtimes' connections (replicas stay); the next use makes new ones. */
export async function closeRuntimes(): Promise<void> {
  const current = [...(shared ? Object.values(shared) : []), ...[...byEngine.values()].flatMap((e) => Object.values(e))];
  shared = undefined;
  byEngine.clear();
  await Promise.all(current.map((r: Runtime) => r.close()));
}
