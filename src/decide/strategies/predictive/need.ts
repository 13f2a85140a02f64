// Step 6 of the predictive strategy (docs/decide.md): the need, the larger of the steady state
// and the drain in whole replicas, at least one while anything waits, is in service or arrives.
import { MAX_PROPOSAL } from '../../safety/bounds';
import { EPSILON } from './limits';

/** Steady-state excess over current replicas that is treated as noise (as the HPA's 0.1). */
export const STEADY_UP_TOLERANCE = 0.1;

export interface NeedInput {
  current: number;
  steady: number | undefined;
  drain: number | undefined;
  backlog: number | undefined;
  ackPending: number | undefined;
  forecast: number | undefined;
  /** The service time is only this call's upper bound: never fewer than current from it. */
  upperBoundOnly: boolean;
  /** The in-service cap lowered the forecast (a need it caps may go below current). */
  cappedInService: boolean;
}

export interface Need {
  /** The steady state after the tolerance (current when within it). */
  steadyUp: number | undefined;
  /** The largest known component, undefined when none is. */
  need: number | undefined;
  /** In replicas. */
  raw: number;
}

export function replicaNeed(i: NeedInput): Need {
  const { current, steady, drain, backlog, ackPending, forecast } = i;
  // Raw need: the largest known component. A steady state within STEADY_UP_TOLERANCE above
  // current is noise, not a reason to add a replica (a real excess grows a backlog, which the
  // drain component sees); so is a drain need (a tenth past the budget is within the SLA's
  // margin), and a +1 step would restart cooldown.down for the whole burst's replicas.
  const tolerated = (n: number | undefined) => (n !== undefined && n > current && n <= current * (1 + STEADY_UP_TOLERANCE) ? current : n);
  const steadyUp = tolerated(steady);
  const need = largest(steadyUp, tolerated(drain));
  const busy = (backlog ?? 0) > 0 || (ackPending ?? 0) > 0 || (forecast ?? 0) > 0;
  const toReplicas = (n: number | undefined): number => {
    let r = n === undefined ? current : Math.min(MAX_PROPOSAL, Math.max(0, Math.ceil(n - EPSILON)));
    if (busy && r < 1) r = 1; // work waiting or arriving: at least one replica (scale from zero)
    if (i.upperBoundOnly && r < current && !i.cappedInService) r = current;
    return r;
  };
  return { steadyUp, need, raw: toReplicas(need) };
}

function largest(...values: (number | undefined)[]): number | undefined {
  let out: number | undefined;
  for (const v of values) if (v !== undefined && (out === undefined || v > out)) out = v;
  return out;
}
