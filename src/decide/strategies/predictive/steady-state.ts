// Step 4 of the predictive strategy (docs/decide.md): the steady state, Little's law (λ_f · T busy
// replicas) plus the headroom the SLA needs (a queueing bound), or sla.target_utilization's.
import type { Sla } from '../../../config/policy';
import { fmt } from '../../format';

/**
 * Without `sla.target_utilization`, the steady state is sized so that, were the queue M/M/c, at
 * most this share of messages would wait longer than the breach budget (1%: the p99 pickup).
 */
export const QUEUEING_TAIL = 0.01;

/** The steady state's sizing rule, with what `details` and the reason show of it. */
export interface Headroom {
  /** Steady-state replicas for an arrival rate (messages/s). */
  replicas(rate: number): number;
  utilization: number | null;
  margin: number | null;
  text: string;
}

/**
 * How many replicas beyond λ·T (the busy ones) steady state keeps. With `sla.target_utilization`
 * ρ it is the operator's fixed headroom: λ·T/ρ. Otherwise it comes from the SLA: in an M/M/c
 * queue with offered load a = λ·T, P(wait > b) = C(c, a)·e^(−(c−a)·b/T) <= e^(−(c−a)·b/T) for
 * any Erlang-C probability C <= 1, so c = a + (T/b)·ln(1/ε) replicas keep fewer than ε of the
 * messages waiting longer than the budget b. A service time small against the budget needs
 * almost no headroom (busy replicas drain a queue in a fraction of it); one close to the budget
 * needs several replicas more. A fixed 80% would over-provision the first by 25% and, with the
 * drain component, pay twice for the same wait.
 */
export function headroomFor(sla: Sla, T: number | undefined, budget: number, upperBoundOnly: boolean): Headroom {
  if (upperBoundOnly) return { replicas: (rate) => rate * (T ?? 0), utilization: 1, margin: null, text: ' / utilization 1 (upper bound)' };
  const rho = sla.target_utilization;
  if (rho !== undefined) return { replicas: (rate) => (rate * (T ?? 0)) / rho, utilization: rho, margin: null, text: ` / utilization ${fmt(rho)}` };
  const margin = T === undefined ? 0 : (T / budget) * Math.log(1 / QUEUEING_TAIL);
  return { replicas: (rate) => (rate === 0 ? 0 : rate * (T ?? 0) + margin), utilization: null, margin, text: ` + ${fmt(margin)} (queueing headroom: P(wait > ${fmt(budget)}s) < ${fmt(QUEUEING_TAIL * 100)}%)` };
}

/**
 * The steady-state replicas for the forecast λ_f: none without arrivals, whatever the service
 * time; unknown when λ_f or T is.
 */
export function steadyState(headroom: Headroom, forecast: number | undefined, T: number | undefined): number | undefined {
  let steady: number | undefined;
  if (forecast !== undefined) {
    if (forecast === 0) steady = 0;
    else if (T !== undefined) steady = headroom.replicas(forecast);
  }
  return steady;
}
