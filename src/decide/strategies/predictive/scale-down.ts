// Step 7 of the predictive strategy (docs/decide.md): the conservative scale-down, only once the
// needs cover a whole window, and only to the highest of them (never below the raw need).
import type { Sla } from '../../../config/policy';
import { within } from '../../history';
import type { PredictiveState, TimedReplicas } from '../../input';

export const MAX_NEEDS = 64;

/**
 * Default scale-down window: hold a replica the lower need no longer asks for as long as bringing
 * it back would cost (its startup, in worker-seconds: rent or buy, at worst twice the optimum),
 * and at least one check. The need is already smooth (rate_in is an average over the metrics
 * window) and cooldown.down spaces scale-downs; with 120 s over the trend window's mean rate (two
 * more averages) on/off traffic paid minutes of idle replicas after every burst.
 */
export function defaultScaleDownWindow(startup: number, checkInterval: number): number {
  return Math.max(startup, checkInterval);
}

export interface ScaleDown {
  downWindow: number;
  /** Since when the needs history is continuous. */
  needsSince: number;
  /** The needs to keep, this call's included. */
  needs: TimedReplicas[];
  /** The highest need within the window. */
  windowMax: number;
  windowCovered: boolean;
  /** The replicas after this step. */
  replicas: number;
}

/**
 * The scale-down need is the raw need itself: rate_in is already an average over the metrics
 * window, and a second, longer average (the trend window's) kept replicas for minutes after
 * each burst. A backlog is not remembered: once drained, its extra replicas may go.
 */
export function conservativeScaleDown(now: number, sla: Sla, checkInterval: number, prev: PredictiveState, current: number, raw: number): ScaleDown {
  const downWindow = sla.scale_down_window_seconds ?? defaultScaleDownWindow(sla.startup_seconds, checkInterval);
  const lastNeedAt = prev.needs.length > 0 ? prev.needs[prev.needs.length - 1]!.at : null;
  // A check may come a little late: with the window one check interval long (the default when
  // startup <= check_interval), a gap of 5.01 s for a 5 s window restarted the history at every
  // check and the scale-down never came. A gap counts as one only beyond half an interval late.
  const continuous = prev.needs_since !== null && lastNeedAt !== null && now - lastNeedAt <= downWindow + checkInterval / 2 && now >= prev.needs_since;
  const needsSince = continuous ? prev.needs_since! : now;
  const needs = addNeed(prev.needs, now, raw, downWindow);
  let windowMax = raw;
  for (const n of needs) if (n.replicas > windowMax) windowMax = n.replicas;
  const windowCovered = now - needsSince >= downWindow;
  const replicas = raw >= current ? raw : windowCovered ? Math.min(current, windowMax) : current;
  return { downWindow, needsSince, needs, windowMax, windowCovered, replicas };
}

/** Needs within the window, keeping only those no newer need is at least as high as (max queries). */
function addNeed(needs: readonly TimedReplicas[], now: number, replicas: number, windowSeconds: number): TimedReplicas[] {
  const all = within(needs, now, windowSeconds).filter((n) => n.at <= now);
  all.push({ at: now, replicas });
  all.sort((a, b) => a.at - b.at);
  const kept: TimedReplicas[] = [];
  let maxNewer = -Infinity;
  for (let i = all.length - 1; i >= 0; i--) {
    const n = all[i]!;
    if (n.replicas > maxNewer) {
      kept.push(n);
      maxNewer = n.replicas;
    }
  }
  kept.reverse();
  return kept.length > MAX_NEEDS ? kept.slice(kept.length - MAX_NEEDS) : kept;
}
