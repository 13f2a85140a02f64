// Host-aware routing (issue: machines). A service whose `runtime.host` is set has its host-bound
// activities (the watch, which observes the replicas, and the apply, which changes them) sent to
// that host's task queue, which only workers started with `docktor worker --host NAME` poll; the
// workflow itself (decisions, history, bookkeeping) runs on any worker. Deterministic: the
// workflow imports it.
import type { ServiceConfig } from '../config/service';

/** The task queue of a host's workers, beside the deployment's own. */
export function hostTaskQueue(taskQueue: string, host: string): string {
  return `${taskQueue}/host/${host}`;
}

/** The host a service's replicas live on, when it names one. */
export function serviceHost(service: ServiceConfig): string | undefined {
  return service.runtime.host;
}

/**
 * How long a host-bound activity may wait for a worker of its host before the scaler says the
 * host is unserved (Temporal's schedule-to-start timeout; a task that times out is never run).
 * Once the host is known to be missing, each later watch waits longer (it is picked up the moment
 * a worker of the host polls, so waiting longer delays nothing and costs fewer actions).
 */
export const HOST_PICKUP_SECONDS = 15;
export const HOST_MISSING_PICKUP_SECONDS = 60;

/** The failure recorded when no worker of the host took a watch or an apply in time. */
export function hostMissingError(host: string, waitedS: number, what: 'check' | 'apply'): string {
  return `host ${host}: no worker serves it (none took the ${what} within ${waitedS} s); run \`docktor worker --host ${host}\` on that machine`;
}

/**
 * A worker that polled a task queue this recently counts as live: an idle one renews its long
 * poll about every minute, and the server lists the pollers it saw in the last minutes, dead ones
 * included.
 */
export const LIVE_POLLER_SECONDS = 90;
