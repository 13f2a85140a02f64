// How the scaler workflow calls its activities: the watch's stretches and heartbeats, the apply's
// timeouts and retries, and what each shows in the Temporal UI's event list. Deterministic: workflow
// code (src/workflows/service-scaler.ts).
import { TimeoutType } from '@temporalio/common';
import { ActivityCancellationType, ActivityFailure, TimeoutFailure, proxyActivities } from '@temporalio/workflow';
import type { ScalerActivities } from '../activities/scaler-activities';
import type { ServiceConfig } from '../config/service';
import { iso } from '../model/scaler-state';

/**
 * A watch returns at the latest after this many seconds of identical decisions (so the raw
 * `status`/`history` queries and the UI's current details never lag further; `refresh` reads
 * are current to the last check whatever this is), and heartbeats this often (so a dead worker's
 * watch is retried elsewhere after 1.5 times that, from its last heartbeat). Measured cost:
 * docs/architecture.md "Durable cost".
 */
export const WATCH_QUIET_SECONDS = 60;
export const WATCH_HEARTBEAT_SECONDS = 60;
/**
 * After a change (a start, an apply, a signal or update, another decision), things tend to move
 * on: the watches are ten times shorter and heartbeat twelve times as often (30 s, every 5 s, so a
 * dead worker is noticed within 8 s, when a missed check matters most) until one whole such
 * stretch passes without a change. Steady state pays the long ones only.
 */
export const ACTIVE_QUIET_SHARE = 1 / 10;
export const ACTIVE_HEARTBEAT_SHARE = 1 / 12;
/** Heartbeats closer than this (sent at most every 0.8 s by the worker) would time out on a loaded machine. */
export const MIN_HEARTBEAT_SECONDS = 2;
/** A check's sources give up after 20 s (src/sources/collect.ts); a watch may end with one. */
export const WATCH_CHECK_ALLOWANCE_S = 60;
/**
 * On a signal or update the watch returns within milliseconds (it long-polls the history); when
 * it has not after this long, its worker is gone: the workflow stops waiting for it (its folded
 * checks are then lost, the next watch re-observes) so that the signal still acts at once.
 */
export const WATCH_WAKE_GRACE_MS = 2000;

/**
 * Where a host-bound activity runs (issue: machines): its host's task queue, waiting at most
 * `pickupS` for a worker there (src/model/host-routing.ts). Absent: the workflow's own task queue.
 */
export interface HostRoute {
  taskQueue: string;
  pickupS: number;
}

/** An activity that no worker picked up in time (on a host route: the host has no live worker). */
export function isPickupTimeout(e: unknown): boolean {
  return e instanceof ActivityFailure && e.cause instanceof TimeoutFailure && e.cause.timeoutType === TimeoutType.SCHEDULE_TO_START;
}

function routed(route: HostRoute | undefined): { taskQueue?: string; scheduleToStartTimeout?: string } {
  return route ? { taskQueue: route.taskQueue, scheduleToStartTimeout: `${route.pickupS}s` } : {};
}

export function watchActivity(summary: string, startToCloseS: number, heartbeatS: number, route?: HostRoute) {
  return proxyActivities<ScalerActivities>({
    summary,
    ...routed(route),
    startToCloseTimeout: `${Math.ceil(startToCloseS)}s`,
    heartbeatTimeout: `${Math.ceil(heartbeatS * 1.5)}s`,
    // Waiting for the cancellation to be confirmed would wait out a dead worker's heartbeat timeout.
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    retry: { initialInterval: '1s', maximumAttempts: 3 },
  }).watchService;
}

/**
 * Scale-downs wait for the grace period of every stopped replica; leave room for it. A compose
 * service without `runtime.grace_period` uses its compose file's stop_grace_period, which the
 * workflow cannot see: allow 10 minutes then (a retried ensure is harmless, but wasteful).
 * The activity heartbeats every second: a worker that dies mid-apply is noticed after
 * APPLY_HEARTBEAT_TIMEOUT and the apply retried, not after the start-to-close timeout; and a
 * cancellation (pause, resume, override) reaches it through the heartbeats. Cancelling waits
 * for the activity to stop, so the next check never races a scale still in progress.
 */
export const APPLY_HEARTBEAT_TIMEOUT = '5s';

export function applyActivity(service: ServiceConfig, from: number, to: number, route?: HostRoute) {
  const rt = service.runtime;
  const grace = 'grace_period' in rt ? rt.grace_period : undefined;
  const timeoutS = grace === undefined ? 600 : Math.max(60, Math.ceil(grace * 2 + 60));
  return proxyActivities<ScalerActivities>({
    summary: `apply replicas ${from}→${to} (${rt.kind}${rt.host ? ` on ${rt.host}` : ''})`,
    ...routed(route),
    startToCloseTimeout: `${timeoutS}s`,
    heartbeatTimeout: APPLY_HEARTBEAT_TIMEOUT,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: ['ConfigurationError'] },
  }).applyReplicas;
}

/** What a watch will do, for the event list of the Temporal UI (its result says what it found). */
export function watchSummary(interval: number, checkNow: boolean, until: number): string {
  // To the second: the event list shows about 45 characters of it.
  return `checks every ${interval}s${checkNow ? ', the first at once,' : ''} until ${iso(until)?.replace(/\.\d+Z$/, 'Z')} or a change`;
}

/** An activity failure's own message (ActivityFailure wraps the cause). */
export function failureMessage(e: unknown): string {
  return e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
}
