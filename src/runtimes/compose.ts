// The compose runtime: a Docker Compose service's replicas are its containers (labels
// com.docker.compose.project / .service), counted, measured and made N through the Engine API,
// the way `docker compose up --scale` does it. See compose-plan.ts for the choices on stopped
// containers and order, compose-spec.ts for how a new replica is made.
import type Dockerode from 'dockerode';
import type { ComposeRuntimeConfig } from '../config/runtime';
import { ConfigurationError, OperationError } from '../errors';
import type { CheckResult, Observations } from '../observations';
import { ComposeFileError } from './compose-values';
import type { Variables } from '../config/compose-interpolation';
import { loadComposeService, type LoadedComposeService } from './compose-load';
import { isNoop, isReady, isReplica, planScale, replicasFromList, type ComposeReplica } from './compose-plan';
import { cloneReplicaSpec, COMPOSE_LABELS, replicaFilters, specFromDefinition, type InspectedContainer, type ReplicaSpec } from './compose-spec';
import { dockerEndpoint, dockerFromEnv, engineDescription, engineMessage, engineStatus, toDocktorError } from './docker-client';
import { containerUsage, summarizeUsage, type ContainerUsage } from './docker-stats';
import type { Runtime, RuntimeTarget, ScaleResult } from './runtime';

/** Seconds between SIGTERM and SIGKILL when neither the config nor the compose file says. */
export const DEFAULT_GRACE_SECONDS = 10;

export interface ComposeRuntimeOptions {
  /** The Engine client; default: one from DOCKER_HOST, made on first use. */
  docker?: Dockerode;
  /** Variables for the compose file; default process.env. */
  env?: Variables;
}

type Target = RuntimeTarget<ComposeRuntimeConfig>;

/** The compose service a docktor service scales: `runtime.service`, else the docktor service's name. */
export function composeServiceName(target: Target): string {
  return target.runtime.service ?? target.service.name;
}

/**
 * The tail of the queue of ensure calls per project/service, shared by every instance in this
 * process: one change at a time. (Across processes, the service's single workflow is the only writer.)
 */
const queues = new Map<string, Promise<unknown>>();

export class ComposeRuntime implements Runtime<ComposeRuntimeConfig> {
  readonly kind = 'compose' as const;
  private client: Dockerode | undefined;
  private readonly env: Variables;

  constructor(options: ComposeRuntimeOptions = {}) {
    this.client = options.docker;
    this.env = options.env ?? process.env;
  }

  private get docker(): Dockerode {
    this.client ??= dockerFromEnv();
    return this.client;
  }

  async observe(target: Target): Promise<Observations> {
    const replicas = await this.replicas(target);
    const counted = replicas.filter(isReplica);
    const usages = await this.usage(replicas.filter((r) => r.state === 'running'));
    return {
      'replicas.current': counted.length,
      'replicas.ready': counted.filter(isReady).length,
      ...summarizeUsage(usages),
    };
  }

  ensure(target: Target, replicas: number): Promise<ScaleResult> {
    if (!Number.isInteger(replicas) || replicas < 0) {
      return Promise.reject(new OperationError(`replicas must be a whole number >= 0, got ${replicas}`));
    }
    return this.serialized(`${target.project}/${composeServiceName(target)}`, () => this.ensureNow(target, replicas));
  }

  async check(target: Target): Promise<CheckResult[]> {
    const service = composeServiceName(target);
    const results: CheckResult[] = [];
    let reachable = false;
    try {
      results.push({ ok: true, label: 'Docker reachable', detail: await engineDescription(this.docker) });
      reachable = true;
    } catch (e) {
      results.push({ ok: false, label: 'Docker reachable', detail: toDocktorError(e, 'ping', this.docker).message });
    }
    if (target.compose_file) {
      const file = target.compose_file;
      try {
        const loaded = await loadComposeService(file, target.project, service, this.env);
        results.push({ ok: true, label: `Compose file defines service '${service}'`, detail: file });
        results.push({
          ok: loaded.unsupported.length === 0,
          label: `Compose service '${service}' uses only keys docktor applies`,
          detail:
            loaded.unsupported.length === 0
              ? undefined
              : `unsupported: ${loaded.unsupported.join(', ')}; these are not applied to replicas created from the file ` +
                '(replicas copied from a running one keep everything)',
        });
      } catch (e) {
        results.push({ ok: false, label: `Compose file defines service '${service}'`, detail: composeFileProblem(e, file) });
      }
    }
    if (reachable) {
      try {
        const count = (await this.replicas(target)).filter(isReplica).length;
        const canCreate = target.compose_file !== undefined;
        results.push({
          ok: count > 0 || canCreate,
          label: `Containers of compose service '${service}' (project '${target.project}')`,
          detail:
            count > 0 || canCreate
              ? `${count} found`
              : `none found with labels ${COMPOSE_LABELS.project}=${target.project}, ${COMPOSE_LABELS.service}=${service}, ` +
                'and no compose_file to create them from: run `docker compose up` first, or set compose_file',
        });
      } catch (e) {
        results.push({ ok: false, label: `Containers of compose service '${service}'`, detail: toDocktorError(e, 'list containers', this.docker).message });
      }
    }
    return results;
  }

  async close(): Promise<void> {
    // dockerode keeps no connection open between calls; the replicas stay as they are.
  }

  // ---- internals ----

  private async replicas(target: Target): Promise<ComposeReplica[]> {
    try {
      const list = await this.docker.listContainers({ all: true, filters: replicaFilters(target.project, composeServiceName(target)) });
      return replicasFromList(list);
    } catch (e) {
      throw toDocktorError(e, 'list containers', this.docker);
    }
  }

  /** One stats sample per running replica, all at once (the Engine takes ~1 s per sample). */
  private async usage(running: readonly ComposeReplica[]): Promise<ContainerUsage[]> {
    const samples = await Promise.all(
      running.map(async (r) => {
        try {
          return containerUsage(await this.docker.getContainer(r.id).stats({ stream: false }));
        } catch {
          return undefined; // stopped or removed meanwhile: not measured
        }
      }),
    );
    return samples.filter((u): u is ContainerUsage => u !== undefined);
  }

  private serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = queues.get(key) ?? Promise.resolve();
    const next = previous.then(work, work);
    const tail = next.catch(() => undefined);
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return next;
  }

  private async ensureNow(target: Target, desired: number): Promise<ScaleResult> {
    const service = composeServiceName(target);
    const replicas = await this.replicas(target);
    const before = replicas.filter(isReplica).length;
    const plan = planScale(replicas, desired);
    if (isNoop(plan)) return { before, after: before, detail: `${before} replica(s) of ${service}, as wanted` };

    // Creating never goes with stopping (only dead containers are removed then): any replica can be copied.
    const template = plan.create.length > 0 ? await this.templateReplica(replicas.filter(isReplica)) : undefined;
    const done: string[] = [];

    if (plan.stop.length > 0) {
      const grace = await this.graceSeconds(target, service);
      const stopped = await Promise.all(plan.stop.map((r) => this.stopAndRemove(r, grace)));
      done.push(`stopped ${stopped.join(', ')}`);
    }
    if (plan.remove.length > 0) {
      await Promise.all(plan.remove.map((r) => this.remove(r)));
      done.push(`removed ${plan.remove.map((r) => `${r.name} (${r.state})`).join(', ')}`);
    }
    if (plan.start.length > 0) {
      await Promise.all(plan.start.map((r) => this.start(r.id, r.name)));
      done.push(`restarted ${plan.start.map((r) => r.name).join(', ')}`);
    }
    if (plan.create.length > 0) {
      const specs = template
        ? plan.create.map((n) => cloneReplicaSpec(template, target.project, service, n))
        : await this.specsFromFile(target, service, plan.create);
      const names: string[] = [];
      for (const spec of specs) names.push(await this.createAndStart(spec));
      done.push(`started ${names.join(', ')}${template ? '' : ' (from the compose file)'}`);
    }
    return { before, after: desired, detail: done.join('; ') };
  }

  /** The replica new ones are copied from: a running one if there is one; undefined when none is left. */
  private async templateReplica(replicas: readonly ComposeReplica[]): Promise<InspectedContainer | undefined> {
    const candidates = [...replicas.filter((r) => r.state === 'running'), ...replicas.filter((r) => r.state !== 'running')];
    for (const r of candidates) {
      try {
        return (await this.docker.getContainer(r.id).inspect()) as InspectedContainer;
      } catch (e) {
        if (engineStatus(e) !== 404) throw toDocktorError(e, `inspect ${r.name}`, this.docker);
      }
    }
    return undefined;
  }

  /** Grace before SIGKILL: the config's, else the compose file's stop_grace_period, else (undefined) the container's own StopTimeout or the Engine's 10 s. */
  private async graceSeconds(target: Target, service: string): Promise<number | undefined> {
    if (target.runtime.grace_period !== undefined) return target.runtime.grace_period;
    if (!target.compose_file) return undefined;
    try {
      return (await loadComposeService(target.compose_file, target.project, service, this.env)).definition.stop_grace_period_s ?? DEFAULT_GRACE_SECONDS;
    } catch {
      return undefined; // an unreadable file must not block scaling down
    }
  }

  /** Stop signal (the container's, SIGTERM by default), then SIGKILL after the grace; then remove. */
  private async stopAndRemove(r: ComposeReplica, grace: number | undefined): Promise<string> {
    const container = this.docker.getContainer(r.id);
    const started = Date.now();
    try {
      await container.stop(grace === undefined ? {} : { t: Math.ceil(grace) });
    } catch (e) {
      // 304: already stopped; 404: already gone.
      if (engineStatus(e) !== 304 && engineStatus(e) !== 404) throw toDocktorError(e, `stop ${r.name}`, this.docker);
    }
    let exit = '';
    try {
      const info = await container.inspect();
      exit = ` (exit ${info.State.ExitCode} after ${((Date.now() - started) / 1000).toFixed(1)} s)`;
    } catch {
      // gone already
    }
    await this.remove(r);
    return `${r.name}${exit}`;
  }

  private async remove(r: ComposeReplica): Promise<void> {
    try {
      // v: anonymous volumes go with the replica; named volumes are never removed.
      await this.docker.getContainer(r.id).remove({ v: true, force: true });
    } catch (e) {
      const status = engineStatus(e);
      // 404: gone; 409 "removal already in progress".
      if (status !== 404 && !(status === 409 && /already in progress/.test(engineMessage(e)))) {
        throw toDocktorError(e, `remove ${r.name}`, this.docker);
      }
    }
  }

  private async start(id: string, name: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (e) {
      if (engineStatus(e) !== 304) throw toDocktorError(e, `start ${name}`, this.docker);
    }
  }

  private async createAndStart(spec: ReplicaSpec): Promise<string> {
    let container: Dockerode.Container;
    try {
      container = await this.docker.createContainer(spec.create);
    } catch (e) {
      throw toDocktorError(e, `create ${spec.name}`, this.docker);
    }
    for (const { network, endpoint } of spec.connect) {
      try {
        await this.docker.getNetwork(network).connect({ Container: container.id, EndpointConfig: endpoint });
      } catch (e) {
        throw toDocktorError(e, `connect ${spec.name} to network ${network}`, this.docker);
      }
    }
    await this.start(container.id, spec.name);
    return spec.name;
  }

  private async specsFromFile(target: Target, service: string, numbers: readonly number[]): Promise<ReplicaSpec[]> {
    const file = target.compose_file;
    if (!file) {
      throw new ConfigurationError(
        `no container of compose service '${service}' (project '${target.project}') to copy, and no compose_file to create one from: ` +
          'run `docker compose up` first, or set compose_file',
        'compose_file',
      );
    }
    let loaded: LoadedComposeService;
    try {
      loaded = await loadComposeService(file, target.project, service, this.env);
    } catch (e) {
      throw new ConfigurationError(composeFileProblem(e, file), 'compose_file');
    }
    await this.ensureImage(loaded.definition.image);
    await this.ensureNetworks(target.project, loaded);
    return numbers.map((n) => specFromDefinition(loaded.definition, n, { project: target.project, composeFile: file, environment: loaded.environment }));
  }

  private async ensureImage(image: string): Promise<void> {
    try {
      await this.docker.getImage(image).inspect();
      return;
    } catch (e) {
      if (engineStatus(e) !== 404) throw toDocktorError(e, `inspect image ${image}`, this.docker);
    }
    try {
      const stream = await this.docker.pull(image);
      await new Promise<void>((resolve, reject) => this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
    } catch (e) {
      throw new ConfigurationError(`image ${image} is not on ${dockerEndpoint(this.docker)} and could not be pulled: ${engineMessage(e)}`, 'compose_file');
    }
  }

  /** The project networks the service joins, created as compose creates them when missing (external ones must exist). */
  private async ensureNetworks(project: string, loaded: LoadedComposeService): Promise<void> {
    for (const att of loaded.definition.networks) {
      try {
        await this.docker.getNetwork(att.network).inspect();
        continue;
      } catch (e) {
        if (engineStatus(e) !== 404) throw toDocktorError(e, `inspect network ${att.network}`, this.docker);
      }
      if (att.external) throw new ConfigurationError(`network ${att.network} is declared external but does not exist`, 'compose_file');
      try {
        await this.docker.createNetwork({ Name: att.network, CheckDuplicate: true, Labels: { [COMPOSE_LABELS.project]: project, [COMPOSE_LABELS.network]: att.key } });
      } catch (e) {
        if (engineStatus(e) !== 409) throw toDocktorError(e, `create network ${att.network}`, this.docker);
      }
    }
  }
}

function composeFileProblem(e: unknown, file: string): string {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !(e instanceof ComposeFileError)) return `${file}: not found`;
  if (e instanceof ComposeFileError) return `${file}: ${e.message}`;
  return `${file}: ${(e as Error).message}`;
}

export function createComposeRuntime(options: ComposeRuntimeOptions = {}): ComposeRuntime {
  return new ComposeRuntime(options);
}

