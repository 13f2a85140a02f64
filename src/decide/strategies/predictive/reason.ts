// The predictive decision's reason: the deciding component (drain, steady state, idle, or what is
// missing), then what held the scale-down or capped it.
import type { Sla } from '../../../config/policy';
import { fmt, isoSeconds, periodText } from '../../format';
import type { LimitedBy } from '../../types';
import type { ArrivalRate } from './arrival-rate';
import type { CapacityCap } from './capacity';
import type { BacklogDrain } from './drain';
import type { Forecast } from './forecast';
import type { Need } from './need';
import { STEADY_UP_TOLERANCE } from './need';
import type { QueueReadings } from './queue-readings';
import type { RecurringForecast } from './recurring/index';
import type { ScaleDown } from './scale-down';
import type { Headroom } from './steady-state';

export interface ReasonInput {
  now: number;
  sla: Sla;
  current: number;
  q: QueueReadings;
  missing: readonly string[];
  T: number | undefined;
  arrivals: ArrivalRate;
  forecast: Forecast;
  headroom: Headroom;
  steady: number | undefined;
  budget: number;
  drain: BacklogDrain;
  need: Need;
  scaleDown: ScaleDown;
  replicas: number;
  limitedBy: LimitedBy | undefined;
  capacity: CapacityCap;
}

export function predictiveReason(i: ReasonInput): string {
  const { now, sla, current, missing, T, steady, budget, replicas, limitedBy, capacity } = i;
  const { backlog, ackPending, rateIn, oldestAge } = i.q;
  const { base, throughput, throughputEstimated, meanInService, split, rate } = i.arrivals;
  const configuredT = sla.service_time_seconds;
  const { forecast, horizon, cappedInService } = i.forecast;
  const { age, drain, drainSeconds, drainArrivals } = i.drain;
  const { steadyUp, need, raw } = i.need;
  const { downWindow, needsSince, windowMax, windowCovered } = i.scaleDown;
  const parts: string[] = [];
  // Less than a message is the noise bound's trimming, not a burst an operator would recognise.
  const burstText = split === null ? '' : split.burst >= 1 ? `; less a burst of ${fmt(split.burst)} at one check, drained from the backlog, not a rate` : split.rising ? '; the backlog rose check after check: all arrivals' : '';
  const estimatedText = rate !== undefined && rateIn === undefined && throughputEstimated ? ` (backlog change over ${fmt(now - (base?.at ?? now))}s + throughput ${fmt(throughput ?? 0)}/s = queue.ack_pending ${fmt(meanInService ?? 0)} / ${fmt(configuredT ?? 0)}s, Little's law: no queue.rate_in/rate_out${burstText})` : burstText === '' ? '' : ` (backlog change${burstText})`;
  const capText = cappedInService ? ` (at most ${fmt(forecast ?? 0)}/s: queue.ack_pending ${fmt(ackPending ?? 0)} in service, nothing waiting)` : '';
  const rateText = rate === undefined ? 'rate unknown' : `${fmt(rate)}/s${estimatedText}${forecast !== undefined && forecast > rate ? ` (trend → ${fmt(forecast)}/s in ${fmt(horizon)}s)` : capText}`;
  const tText = T === undefined ? 'service time unknown' : `${fmt(T)}s/msg`;
  if (need === undefined) {
    parts.push(raw > current ? `work waiting (queue.backlog ${fmt(backlog ?? 0)}), ${missing.join(', ')} unknown → ${raw}` : `hold: ${missing.join(', ')} missing`);
  } else if (drain !== undefined && drain >= (steady ?? -1) && drain > 0) {
    parts.push(
      `backlog drain: queue.backlog ${fmt(backlog ?? 0)} before ${fmt(drainSeconds ?? 0)}s (${oldestAge === undefined && split !== null ? `oldest waiting ~${fmt(age)}s by the backlog's history,` : `queue.oldest_age_s ${fmt(age)}`} of ${fmt(budget)}s = ${fmt(sla.breach_threshold)} × sla ${fmt(sla.max_pickup_seconds)}s) at ${tText} + arrivals ${rateText}${drainArrivals !== null && forecast !== undefined && drainArrivals < forecast ? `, ${fmt(drainArrivals)}/s of them not yet waiting` : ''} → ${raw}`,
    );
  } else if (steady !== undefined && steady > 0) {
    const noise = steadyUp !== steady ? ` (within ${fmt(STEADY_UP_TOLERANCE * 100)}% of current)` : '';
    parts.push(`steady state: arrivals ${rateText} × ${tText}${i.headroom.text} = ${fmt(steady)}${noise} → ${raw}`);
  } else {
    parts.push(`idle: queue.backlog ${fmt(backlog ?? 0)}, arrivals ${rateText} → ${raw}`);
  }
  if (raw < current && replicas > raw) {
    parts.push(
      windowCovered
        ? `scale-down held at ${replicas}: need was ${windowMax} within the last ${fmt(downWindow)}s`
        : `scale-down waits: needs recorded for ${fmt(now - needsSince)}s of the ${fmt(downWindow)}s window`,
    );
  }
  if (limitedBy === 'capacity') parts.push(`host capacity caps at ${replicas} (${capacity.reason})`);
  return parts.join('; ');
}

/** The forecast's part of the reason: what it expects and did, or why it does not act. */
export function forecastNote(f: RecurringForecast, now: number): string {
  const hits = f.state.outcomes.filter((x) => x === 1).length;
  const record = f.state.outcomes.length === 0 ? 'none judged yet' : `${hits} of the last ${f.state.outcomes.length} expected bursts came`;
  const e = f.due;
  if (e !== undefined && (f.floor !== undefined || f.wouldRaise !== undefined)) {
    const when = e.came !== null ? `began ${isoSeconds(e.came)}` : `expected ${isoSeconds(Math.max(e.from, now))}–${isoSeconds(e.to)}`;
    const what = `burst of ~${fmt(Math.round(e.size))} every ${periodText(e.period)} ${when} (${record})`;
    return f.floor !== undefined ? `forecast: ${what} → ${f.floor} ready for it` : `forecast (shadow, not applied): ${what} → would raise to ${f.wouldRaise}`;
  }
  if (f.status === 'broken') return `forecast not acting: the pattern broke (${record}); reactive until an expected burst comes again`;
  return '';
}
