// What a compose replica is made of: its labels and name, and the Engine create options of a new
// replica, either copied from an existing one (as `docker compose up --scale` does) or built from
// the compose file's definition when no replica is left. Pure.
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import type { ComposeServiceDefinition } from './compose-file';

/** The labels `docker compose up` puts on a service's containers. */
export const COMPOSE_LABELS = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  configFiles: 'com.docker.compose.project.config_files',
  workingDir: 'com.docker.compose.project.working_dir',
  network: 'com.docker.compose.network',
} as const;

/** `<project>-<service>-<n>`, compose v2's container name. */
export function replicaName(project: string, service: string, n: number): string {
  return `${project}-${service}-${n}`;
}

/** The container list filter for one service's replicas. */
export function replicaFilters(project: string, service: string): { label: string[] } {
  return { label: [`${COMPOSE_LABELS.project}=${project}`, `${COMPOSE_LABELS.service}=${service}`] };
}

/** What a new replica needs: create options, then networks to connect before it starts. */
export interface ReplicaSpec {
  name: string;
  number: number;
  create: Dockerode.ContainerCreateOptions;
  /** API 1.41 engines take one network at create; the others are connected before start. */
  connect: Array<{ network: string; endpoint: Dockerode.EndpointSettings }>;
}

/** The fields of a container inspect that the clone copies (the Engine returns more than the typings say). */
export type InspectedContainer = Dockerode.ContainerInspectInfo & {
  Config: Dockerode.ContainerInspectInfo['Config'] & { StopSignal?: string; StopTimeout?: number; Shell?: string[] };
};

/**
 * Create options for replica `n` copied from an existing replica: image, command, entrypoint,
 * environment, mounts, networks and aliases, labels, user, working dir, stop signal and timeout,
 * and the rest of its host config. Left out, because a second container cannot share them: the
 * container's own hostname and aliases, fixed IP addresses, and fixed published host ports
 * (the copy publishes the same container ports on ephemeral host ports).
 */
export function cloneReplicaSpec(source: InspectedContainer, project: string, service: string, n: number): ReplicaSpec {
  const name = replicaName(project, service, n);
  const cfg = source.Config;
  const host: Dockerode.HostConfig = { ...source.HostConfig };
  delete host.ContainerIDFile;
  if (host.PortBindings) host.PortBindings = ephemeralPorts(host.PortBindings);
  const mode = host.NetworkMode ?? 'default';
  const sharesNetworkStack = mode === 'host' || mode === 'none' || mode.startsWith('container:');

  const create: Dockerode.ContainerCreateOptions = {
    name,
    Image: cfg.Image,
    Env: cfg.Env ?? [],
    Cmd: cfg.Cmd ?? undefined,
    Entrypoint: cfg.Entrypoint ?? undefined,
    Labels: { ...cfg.Labels, [COMPOSE_LABELS.number]: String(n) },
    User: cfg.User,
    WorkingDir: cfg.WorkingDir,
    Domainname: cfg.Domainname,
    Tty: cfg.Tty,
    OpenStdin: cfg.OpenStdin,
    StdinOnce: cfg.StdinOnce,
    AttachStdin: cfg.AttachStdin,
    AttachStdout: cfg.AttachStdout,
    AttachStderr: cfg.AttachStderr,
    ExposedPorts: cfg.ExposedPorts,
    Volumes: cfg.Volumes,
    HostConfig: host,
  };
  if (cfg.Healthcheck) create.Healthcheck = cfg.Healthcheck;
  if (cfg.StopSignal) create.StopSignal = cfg.StopSignal;
  if (cfg.StopTimeout !== undefined && cfg.StopTimeout !== null) create.StopTimeout = cfg.StopTimeout;
  if (cfg.Shell) create.Shell = cfg.Shell;
  // A hostname the user chose is kept; the default one is the source's short id, and with a
  // shared network stack the Engine refuses any hostname.
  if (!sharesNetworkStack && cfg.Hostname && cfg.Hostname !== source.Id.slice(0, 12)) create.Hostname = cfg.Hostname;

  const endpoints = sharesNetworkStack ? [] : copiedEndpoints(source, name);
  return withEndpoints({ name, number: n, create, connect: [] }, endpoints, mode);
}

/** The source's networks with the aliases that name the source itself replaced by the new name. */
function copiedEndpoints(source: InspectedContainer, name: string): Array<[string, Dockerode.EndpointSettings]> {
  const oldName = source.Name.replace(/^\//, '');
  const own = new Set([oldName, source.Id.slice(0, 12), source.Id]);
  return Object.entries(source.NetworkSettings?.Networks ?? {}).map(([network, ep]) => {
    const aliases = Array.isArray(ep.Aliases) ? (ep.Aliases as unknown[]).filter((a): a is string => typeof a === 'string') : [];
    const hadOwn = aliases.some((a) => own.has(a));
    const kept = aliases.filter((a) => !own.has(a));
    const settings: Dockerode.EndpointSettings = {};
    if (aliases.length > 0) settings.Aliases = hadOwn ? [...kept, name] : kept;
    if (Array.isArray(ep.Links) && ep.Links.length > 0) settings.Links = ep.Links as string[];
    return [network, settings];
  });
}

/** Puts the network named by NetworkMode (else the first) in the create options, the others in `connect`. */
function withEndpoints(spec: ReplicaSpec, endpoints: Array<[string, Dockerode.EndpointSettings]>, mode: string): ReplicaSpec {
  if (endpoints.length === 0) return spec;
  const primaryIndex = Math.max(
    0,
    endpoints.findIndex(([n]) => n === mode),
  );
  const [primaryName, primary] = endpoints[primaryIndex];
  spec.create.NetworkingConfig = { EndpointsConfig: { [primaryName]: primary } };
  spec.connect = endpoints.filter((_, i) => i !== primaryIndex).map(([network, endpoint]) => ({ network, endpoint }));
  return spec;
}

function ephemeralPorts(bindings: unknown): Record<string, Array<{ HostIp: string; HostPort: string }>> {
  const out: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  const rec = bindings !== null && typeof bindings === 'object' ? (bindings as Record<string, unknown>) : {};
  for (const [port, list] of Object.entries(rec)) {
    out[port] = (Array.isArray(list) ? list : []).map((b: { HostIp?: string; HostPort?: string }) => ({
      HostIp: b.HostIp ?? '',
      // A range such as 8000-8010 lets the Engine pick a free one; a single fixed port cannot be shared.
      HostPort: b.HostPort && b.HostPort.includes('-') ? b.HostPort : '',
    }));
  }
  return out;
}

export interface FromDefinitionOptions {
  project: string;
  /** Absolute path of the compose file, recorded in the labels as compose does. */
  composeFile: string;
  /** Environment merged from env_file and environment. */
  environment: Record<string, string>;
}

/** Create options for replica `n` from the compose file's definition (when no replica exists to copy). */
export function specFromDefinition(def: ComposeServiceDefinition, n: number, opts: FromDefinitionOptions): ReplicaSpec {
  const name = replicaName(opts.project, def.name, n);
  const binds: string[] = [];
  const mounts: Dockerode.MountSettings[] = [];
  for (const m of def.mounts) {
    if (m.type === 'bind' && m.create_host_path) {
      // Binds (not Mounts) make the Engine create a missing host directory, as compose's short syntax does.
      const modes = [m.read_only ? 'ro' : 'rw', ...(m.propagation ? [m.propagation] : [])];
      binds.push(`${m.source}:${m.target}:${modes.join(',')}`);
      continue;
    }
    const mount: Dockerode.MountSettings = { Type: m.type, Source: m.source ?? '', Target: m.target, ReadOnly: m.read_only };
    if (m.type === 'bind' && m.propagation) mount.BindOptions = { Propagation: m.propagation as Dockerode.MountPropagation };
    if (m.type === 'volume' && m.nocopy) mount.VolumeOptions = { NoCopy: true } as Dockerode.MountSettings['VolumeOptions'];
    if (m.type === 'tmpfs' && m.tmpfs_size_bytes !== undefined) {
      mount.TmpfsOptions = { SizeBytes: m.tmpfs_size_bytes } as Dockerode.MountSettings['TmpfsOptions'];
    }
    mounts.push(mount);
  }

  const host: Dockerode.HostConfig = { NetworkMode: def.network_mode ?? def.networks[0]?.network ?? 'default' };
  if (binds.length > 0) host.Binds = binds;
  if (mounts.length > 0) host.Mounts = mounts;
  if (def.restart) host.RestartPolicy = { Name: def.restart.name === 'no' ? '' : def.restart.name, MaximumRetryCount: def.restart.max_retries ?? 0 };
  if (def.init !== undefined) host.Init = def.init;

  const create: Dockerode.ContainerCreateOptions = {
    name,
    Image: def.image,
    Env: Object.entries(opts.environment).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...def.labels,
      [COMPOSE_LABELS.project]: opts.project,
      [COMPOSE_LABELS.service]: def.name,
      [COMPOSE_LABELS.number]: String(n),
      [COMPOSE_LABELS.oneoff]: 'False',
      [COMPOSE_LABELS.configFiles]: opts.composeFile,
      [COMPOSE_LABELS.workingDir]: path.dirname(opts.composeFile),
    },
    HostConfig: host,
  };
  if (def.command) create.Cmd = def.command;
  if (def.entrypoint) create.Entrypoint = def.entrypoint;
  if (def.user !== undefined) create.User = def.user;
  if (def.working_dir !== undefined) create.WorkingDir = def.working_dir;
  if (def.stop_signal !== undefined) create.StopSignal = def.stop_signal;
  if (def.stop_grace_period_s !== undefined) create.StopTimeout = Math.ceil(def.stop_grace_period_s);
  if (def.tty !== undefined) create.Tty = def.tty;
  if (def.stdin_open !== undefined) create.OpenStdin = def.stdin_open;

  const endpoints: Array<[string, Dockerode.EndpointSettings]> = def.networks.map((att) => {
    const ep: Dockerode.EndpointSettings = { Aliases: [name, def.name, ...att.aliases] };
    if (att.ipv4_address || att.ipv6_address) {
      ep.IPAMConfig = {};
      if (att.ipv4_address) ep.IPAMConfig.IPv4Address = att.ipv4_address;
      if (att.ipv6_address) ep.IPAMConfig.IPv6Address = att.ipv6_address;
    }
    return [att.network, ep];
  });
  return withEndpoints({ name, number: n, create, connect: [] }, endpoints, host.NetworkMode ?? '');
}
