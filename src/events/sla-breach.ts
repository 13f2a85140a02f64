// When the predictive strategy's own figures say the SLA (sla.max_pickup_seconds) will be missed:
// - `capacity_late`: more replicas are needed than run now, and the oldest waiting message will
//   be older than the SLA by the time a new replica serves (its age + sla.startup_seconds);
// - `max_replicas` / `capacity`: the need is above what the scaler may ask for (max_replicas, or
//   what the host can carry), so the SLA cannot be held however long one waits.
// Pure: reads only the recorded decision (its observations and the predictive strategy's details).
import type { ServiceConfig } from '../config/service';
import { fmt } from '../decide/format';
import type { HistoryEntry } from '../model/scaler-state';

export type SlaBreachCause = 'capacity_late' | 'max_replicas' | 'capacity';

export interface SlaBreach {
  cause: SlaBreachCause;
  sla_seconds: number;
  /** Forecast pickup time of the oldest waiting message; null when the cause is a cap. */
  forecast_pickup_seconds: number | null;
  /** Replicas the strategy found necessary (its `raw_need`). */
  needed_replicas: number;
  explanation: string;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function predictSlaBreach(service: ServiceConfig, e: HistoryEntry): SlaBreach | null {
  const sla = service.sla;
  if (service.strategy !== 'predictive' || !sla) return null;
  // The strategy's own figures are the decision's `details.proposal` (src/decide/index.ts).
  const proposal = obj(e.details.proposal);
  const need = num(proposal?.raw_need);
  if (need === undefined) return null;
  const base = { sla_seconds: sla.max_pickup_seconds, needed_replicas: need };
  const capacityCap = num(obj(proposal?.capacity)?.replicas);
  if (need > service.max_replicas) {
    return { ...base, cause: 'max_replicas', forecast_pickup_seconds: null, explanation: `needs ${need} replicas, max_replicas is ${service.max_replicas}` };
  }
  if (capacityCap !== undefined && need > capacityCap) {
    return { ...base, cause: 'capacity', forecast_pickup_seconds: null, explanation: `needs ${need} replicas, the host can carry ${capacityCap}` };
  }
  const age = e.observations['queue.oldest_age_s'];
  if (need > e.from && age !== undefined) {
    const pickup = age + sla.startup_seconds;
    if (pickup > sla.max_pickup_seconds) {
      return {
        ...base,
        cause: 'capacity_late',
        forecast_pickup_seconds: pickup,
        explanation: `oldest message ${fmt(age)}s old + ${fmt(sla.startup_seconds)}s until a new replica serves = ${fmt(pickup)}s > sla ${fmt(sla.max_pickup_seconds)}s`,
      };
    }
  }
  return null;
}
