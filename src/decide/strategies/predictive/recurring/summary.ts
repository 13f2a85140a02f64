// What `docktor status`, its JSON and the Temporal UI show of a scaler's forecast (sla.forecast):
// its mode and state, the periods it found, how its expected bursts turned out, and the next burst
// it expects. Read from the engine state the last check left; pure.
import type { Sla } from '../../../../config/policy';
import type { RecurringState } from '../../../input';
import { expectBursts } from './expect';
import { MAX_PERIOD_SECONDS } from './periods';
import { forecastStatus, type ForecastStatus } from './trust';

export interface ForecastSummary {
  mode: 'shadow' | 'on';
  status: ForecastStatus;
  periods: Array<{ seconds: number; jitter_s: number }>;
  bursts_seen: number;
  hits: number;
  misses: number;
  /** The next burst it expects (its window and size), null when none. */
  next: { from: number; to: number; size: number; period: number } | null;
}

export function forecastSummary(sla: Sla | undefined, state: RecurringState | undefined, now: number, checkInterval: number): ForecastSummary | null {
  if (sla === undefined || sla.forecast.mode === 'off') return null;
  const s = state ?? { periods: [], outcomes: [], bursts: [], expected: [] };
  const hits = s.outcomes.filter((x) => x === 1).length;
  const pending = s.expected.find((e) => e.came === null && e.to >= now);
  const next = pending ?? expectBursts(s.bursts, s.periods, now, MAX_PERIOD_SECONDS, sla.forecast.min_periods, checkInterval).find((e) => e.came === null);
  return {
    mode: sla.forecast.mode,
    status: forecastStatus(s, sla.forecast.min_periods),
    periods: s.periods.map((p) => ({ seconds: Math.round(p.seconds), jitter_s: Math.round(p.jitter * 10) / 10 })),
    bursts_seen: s.bursts.length,
    hits,
    misses: s.outcomes.length - hits,
    next: next === undefined ? null : { from: next.from, to: next.to, size: Math.round(next.size), period: Math.round(next.period) },
  };
}
