// The swarm runtime: a Swarm service's replicas through the services API. The desired count is the
// service's spec (Mode.Replicated.Replicas), changed with an update that carries the spec's
// Version.Index so that a concurrent change is never overwritten; Swarm itself then starts tasks,
// or stops them with the service's stop grace period.
import type Dockerode from 'dockerode';
import type { SwarmRuntimeConfig } from '../config/runtime';
import { ConfigurationError, OperationError } from '../errors';
import type { CheckResult, Observations } from '../observations';
import { engineDescription, engineMessage, engineStatus, dockerFromEnv, toDocktorError } from './docker-client';
import type { Runtime, RuntimeTarget, ScaleResult } from './runtime';

type Target = RuntimeTarget<SwarmRuntimeConfig>;

/** The Swarm service: `runtime.service`, else `<project>_<name>` as `docker stack deploy` names it. */
export function swarmServiceName(target: Target): string {
  return target.runtime.service ?? `${target.project}_${target.service.name}`;
}

/** The part of a service inspect that the runtime reads and writes back. */
interface InspectedService {
  ID: string;
  Version?: { Index?: number };
  Spec: Dockerode.ServiceSpec & { Mode?: Dockerode.ServiceMode };
}

/** The part of a task that the runtime reads. */
interface ListedTask {
  Status?: { State?: string };
  DesiredState?: string;
}

/** The part of `GET /info` that says whether this node manages a swarm. */
interface SwarmInfo {
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string };
}

export interface SwarmRuntimeOptions {
  /** The Engine client (a manager node); default: one from DOCKER_HOST, made on first use. */
  docker?: Dockerode;
}

/** How many times an update that lost a race (stale version) is retried on a fresh inspect. */
const UPDATE_ATTEMPTS = 5;

/** Ensure calls per Swarm service, shared by every instance in this process: one update at a time. */
const queues = new Map<string, Promise<unknown>>();

export class SwarmRuntime implements Runtime<SwarmRuntimeConfig> {
  readonly kind = 'swarm' as const;
  private client: Dockerode | undefined;

  constructor(options: SwarmRuntimeOptions = {}) {
    this.client = options.docker;
  }

  private get docker(): Dockerode {
    this.client ??= dockerFromEnv();
    return this.client;
  }

  async observe(target: Target): Promise<Observations> {
    const service = await this.inspect(target);
    const tasks = await this.runningTasks(service.ID);
    const ready = tasks.filter((t) => t.Status?.State === 'running').length;
    const replicated = service.Spec.Mode?.Replicated;
    // A global service has no replica count of its own: its tasks are the replicas.
    return { 'replicas.current': replicated ? (replicated.Replicas ?? 0) : tasks.length, 'replicas.ready': ready };
  }

  ensure(target: Target, replicas: number): Promise<ScaleResult> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      return Promise.reject(new OperationError(`replicas must be a whole number >= 0, got ${replicas}`));
    }
    const name = swarmServiceName(target);
    const previous = queues.get(name) ?? Promise.resolve();
    const next = previous.then(
      () => this.ensureNow(target, replicas),
      () => this.ensureNow(target, replicas),
    );
    const tail = next.catch(() => undefined);
    queues.set(name, tail);
    void tail.then(() => {
      if (queues.get(name) === tail) queues.delete(name);
    });
    return next;
  }

  async check(target: Target): Promise<CheckResult[]> {
    const name = swarmServiceName(target);
    const results: CheckResult[] = [];
    try {
      results.push({ ok: true, label: 'Docker reachable', detail: await engineDescription(this.docker) });
    } catch (e) {
      results.push({ ok: false, label: 'Docker reachable', detail: toDocktorError(e, 'ping', this.docker).message });
      return results;
    }
    try {
      const info = (await this.docker.info()) as SwarmInfo;
      const manager = info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true;
      results.push({
        ok: manager,
        label: 'Docker node is a swarm manager',
        detail: manager
          ? `node ${info.Swarm?.NodeID ?? '?'}`
          : `swarm state '${info.Swarm?.LocalNodeState ?? 'unknown'}'${info.Swarm?.LocalNodeState === 'active' ? ' (a worker node)' : ''}: ` +
            'point DOCKER_HOST at a manager, or run `docker swarm init`',
      });
      if (!manager) return results;
    } catch (e) {
      results.push({ ok: false, label: 'Docker node is a swarm manager', detail: toDocktorError(e, 'info', this.docker).message });
      return results;
    }
    try {
      const service = await this.inspect(target);
      const replicated = service.Spec.Mode?.Replicated !== undefined;
      results.push({
        ok: replicated,
        label: `Swarm service '${name}' exists`,
        detail: replicated ? `${service.Spec.Mode?.Replicated?.Replicas ?? 0} replica(s)` : 'it is not in replicated mode, so it cannot be scaled',
      });
    } catch (e) {
      results.push({ ok: false, label: `Swarm service '${name}' exists`, detail: (e as Error).message });
    }
    return results;
  }

  async close(): Promise<void> {
    // dockerode keeps no connection open between calls.
  }

  private async ensureNow(target: Target, desired: number): Promise<ScaleResult> {
    const name = swarmServiceName(target);
    for (let attempt = 1; ; attempt++) {
      const service = await this.inspect(target);
      const replicated = service.Spec.Mode?.Replicated;
      if (!replicated) throw new ConfigurationError(`swarm service '${name}' is not in replicated mode, so it cannot be scaled`, 'runtime.service');
      const before = replicated.Replicas ?? 0;
      if (before === desired) return { before, after: before, detail: `${name} has ${before} replica(s), as wanted` };
      const spec = { ...service.Spec, Mode: { Replicated: { Replicas: desired } } };
      try {
        await this.docker.getService(service.ID).update({ _query: { version: service.Version?.Index ?? 0 }, _body: spec });
        return { before, after: desired, detail: `${name}: replicas ${before} -> ${desired}` };
      } catch (e) {
        // Someone else updated the service since our inspect: read it again and retry.
        const stale = /out of sequence/i.test(engineMessage(e));
        if (!stale || attempt >= UPDATE_ATTEMPTS) throw toDocktorError(e, `update swarm service ${name}`, this.docker, 'runtime.service');
      }
    }
  }

  private async inspect(target: Target): Promise<InspectedService> {
    const name = swarmServiceName(target);
    try {
      return (await this.docker.getService(name).inspect()) as InspectedService;
    } catch (e) {
      const status = engineStatus(e);
      if (status === 404) {
        throw new ConfigurationError(
          `swarm service '${name}' does not exist: deploy it (docker stack deploy / docker service create) or set runtime.service`,
          'runtime.service',
        );
      }
      if (status === 503) {
        throw new ConfigurationError(`the Docker node is not a swarm manager (${engineMessage(e)}); point DOCKER_HOST at a manager`, 'runtime.kind');
      }
      throw toDocktorError(e, `inspect swarm service ${name}`, this.docker);
    }
  }

  private async runningTasks(serviceId: string): Promise<ListedTask[]> {
    try {
      return (await this.docker.listTasks({ filters: { service: [serviceId], 'desired-state': ['running'] } })) as ListedTask[];
    } catch (e) {
      throw toDocktorError(e, 'list swarm tasks', this.docker);
    }
  }
}

export function createSwarmRuntime(options: SwarmRuntimeOptions = {}): SwarmRuntime {
  return new SwarmRuntime(options);
}
