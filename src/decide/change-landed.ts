// When a decided change lands. The engine records a change at the check that decided it (its
// `now`); applying it can take much longer (replicas started one by one, a grace period on the
// way down, retries on a worker that has them). Cooldowns and the HPA rate-limit periods are
// meant to run from the moment the replicas changed, as the HPA times them from its scale
// update: timed from the decision, a scale-up that landed 15 s late was followed by a scale-down
// one second later. Pure: the workflow applies it with the apply's recorded finish time.
import type { EngineState } from './input';

/** `state` (the decision's) with the change made at `decidedAt` re-timed to `landedAt`. */
export function changeLanded(state: EngineState, decidedAt: number, landedAt: number): EngineState {
  if (!(landedAt > decidedAt)) return state;
  const at = (t: number | null) => (t === decidedAt ? landedAt : t);
  return {
    ...state,
    scale_events: state.scale_events.map((e) => (e.at === decidedAt ? { ...e, at: landedAt } : e)),
    last_scale_up_at: at(state.last_scale_up_at),
    last_scale_down_at: at(state.last_scale_down_at),
  };
}
