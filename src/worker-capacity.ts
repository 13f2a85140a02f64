// A worker that is full says so (issue 27). Every running scaler holds one `watchService`
// activity slot of a worker for as long as it runs; a worker whose slots are all taken stops
// polling for activities, so new watches (and applies) go to workers with room, and when no
// worker has room they wait in the task queue: their checks are late and nothing else would say
// why. This module watches the worker's own count of running activities and logs a warning when
// it is (nearly) full, at most once a minute while it stays so, and a line when it has room again.
import { Runtime, type Worker } from '@temporalio/worker';

/** Share of the slots at which the worker counts as full: applies need a slot beside the watches. */
export const FULL_SHARE = 0.9;
/** How often the count is read, and the least time between two warnings while full. */
export const CAPACITY_POLL_MS = 5_000;
export const CAPACITY_WARN_EVERY_MS = 60_000;

export interface CapacityState {
  full: boolean;
  /** When the last warning was logged (ms), or -Infinity. */
  warnedAt: number;
}

export const ROOMY: CapacityState = { full: false, warnedAt: -Infinity };

/** What to log (if anything) for `used` of `max` slots at `now` (ms), and the state after. Pure. */
export function capacityNotice(used: number, max: number, state: CapacityState, now: number, warnEveryMs = CAPACITY_WARN_EVERY_MS): { warn?: string; info?: string; state: CapacityState } {
  const full = used >= Math.max(1, Math.floor(max * FULL_SHARE));
  if (full && now - state.warnedAt >= warnEveryMs) {
    return {
      warn:
        `worker nearly full: ${used} of ${max} activity slots in use (each running scaler holds one for its watch). ` +
        'New scalers\' watches and applies go to other workers of the task queue; when none has room they wait there and their checks are late. ' +
        'Add workers (docs/operations.md, "Sizing: cost per scaler").',
      state: { full: true, warnedAt: now },
    };
  }
  if (!full && state.full) return { info: `worker has room again: ${used} of ${max} activity slots in use`, state: { full: false, warnedAt: state.warnedAt } };
  return { state: { full, warnedAt: state.warnedAt } };
}

export interface CapacityLog {
  warn(message: string, meta?: Record<string, unknown>): void;
  info(message: string, meta?: Record<string, unknown>): void;
}

/**
 * Reads `worker`'s running activities every `pollMs` and logs as capacityNotice says (default:
 * the SDK runtime's logger, where the worker's own lines go). Stops by itself once the worker has
 * stopped; never keeps the process alive. Returns a stop function.
 */
export function watchCapacity(worker: Pick<Worker, 'getStatus'>, max: number, o: { log?: CapacityLog; pollMs?: number; warnEveryMs?: number } = {}): () => void {
  const log = o.log ?? Runtime.instance().logger;
  let state = ROOMY;
  const timer = setInterval(() => {
    const status = worker.getStatus();
    if (status.runState === 'STOPPED' || status.runState === 'FAILED') return clearInterval(timer);
    const used = status.numInFlightNonLocalActivities;
    const notice = capacityNotice(used, max, state, Date.now(), o.warnEveryMs);
    state = notice.state;
    if (notice.warn) log.warn(notice.warn, { activitySlotsUsed: used, maxConcurrentActivities: max });
    if (notice.info) log.info(notice.info, { activitySlotsUsed: used, maxConcurrentActivities: max });
  }, o.pollMs ?? CAPACITY_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
