// Which compose replicas to stop, start or create to make their number N. Pure.
//
// Choices, compose-like:
// - A replica is any container of the service that is not dead or being removed; exited and
//   created ones count (as `replicas.current`) but are not ready.
// - Ensuring N keeps N replicas and starts the stopped ones among them before creating new
//   containers (as `docker compose up` restarts a stopped container rather than replacing it).
//   So ensure(N) also repairs crashed replicas, and ensuring N twice leaves N.
// - On the way down, stopped replicas go first (they serve nothing), then running ones newest
//   first: the highest container-number.
// - New replicas take the numbers after the highest one in use, so a name is never reused while a
//   container that holds it remains.
import type Dockerode from 'dockerode';
import { COMPOSE_LABELS } from './compose-spec';

export interface ComposeReplica {
  id: string;
  /** Container name without the leading `/`. */
  name: string;
  number: number;
  /** Engine state: created, running, paused, restarting, removing, exited, dead. */
  state: string;
  /** From the list's status text; absent without a healthcheck. */
  health?: 'starting' | 'healthy' | 'unhealthy';
}

export interface ScalePlan {
  /** Running replicas to stop gracefully, then remove. */
  stop: ComposeReplica[];
  /** Replicas not running (and dead ones) to remove without a stop. */
  remove: ComposeReplica[];
  /** Stopped replicas kept and started. */
  start: ComposeReplica[];
  /** Container numbers of new replicas. */
  create: number[];
}

/** Replicas of a service from the Engine's container list (all states), one-off `run` containers left out. */
export function replicasFromList(list: readonly Dockerode.ContainerInfo[]): ComposeReplica[] {
  return list
    .filter((c) => (c.Labels?.[COMPOSE_LABELS.oneoff] ?? 'False') !== 'True')
    .map((c) => {
      const r: ComposeReplica = {
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
        number: Number.parseInt(c.Labels?.[COMPOSE_LABELS.number] ?? '', 10) || 0,
        state: c.State,
      };
      const health = healthOf(c.Status ?? '');
      if (health) r.health = health;
      return r;
    })
    .sort((a, b) => a.number - b.number);
}

function healthOf(status: string): ComposeReplica['health'] {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return undefined;
}

const GONE = new Set(['dead', 'removing']);
const LIVE = new Set(['running', 'restarting', 'paused']);

/** Counted as `replicas.current`. */
export function isReplica(r: ComposeReplica): boolean {
  return !GONE.has(r.state);
}

/** Counted as `replicas.ready`: running and, with a healthcheck, healthy. */
export function isReady(r: ComposeReplica): boolean {
  return r.state === 'running' && (r.health === undefined || r.health === 'healthy');
}

export function isLive(r: ComposeReplica): boolean {
  return LIVE.has(r.state);
}

export function planScale(replicas: readonly ComposeReplica[], desired: number): ScalePlan {
  const counted = replicas.filter(isReplica);
  const dead = replicas.filter((r) => r.state === 'dead');
  const byNumberDesc = (a: ComposeReplica, b: ComposeReplica) => b.number - a.number;
  const removalOrder = [...counted.filter((r) => !isLive(r)).sort(byNumberDesc), ...counted.filter(isLive).sort(byNumberDesc)];
  const victims = removalOrder.slice(0, Math.max(0, counted.length - desired));
  const kept = counted.filter((r) => !victims.includes(r));
  const highest = replicas.reduce((max, r) => Math.max(max, r.number), 0);
  const missing = Math.max(0, desired - kept.length);
  return {
    stop: victims.filter(isLive),
    remove: [...victims.filter((r) => !isLive(r)), ...dead],
    start: kept.filter((r) => !isLive(r)),
    create: Array.from({ length: missing }, (_, i) => highest + 1 + i),
  };
}

/** True when the plan changes nothing. */
export function isNoop(plan: ScalePlan): boolean {
  return plan.stop.length + plan.remove.length + plan.start.length + plan.create.length === 0;
}
