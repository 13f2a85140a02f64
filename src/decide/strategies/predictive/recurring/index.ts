// The predictive strategy's forecast of recurring bursts (sla.forecast; docs/decide.md,
// "Forecast"). Every check it adds the interval's arrivals to a compact model of bursts
// (bursts.ts), finds their periods when a burst begins (periods.ts), expects the bursts those
// periods bring within the horizon (expect.ts) and judges the ones it expected (trust.ts). With
// mode `on` and a pattern that holds, a burst expected within a startup delay and a check from
// now raises the replicas (never lowers them) so that enough are ready when it begins: its
// messages picked up within the breach budget, the work spread over it and the burst's length,
// as the clairvoyant schedule does. `shadow` computes the same and says what it would do.
import type { Forecast } from '../../../../config/policy';
import { r4 } from '../../../format';
import type { Expectation, RecurringState } from '../../../input';
import type { JsonObject } from '../../../types';
import { EPSILON } from '../limits';
import type { QueueReadings } from '../queue-readings';
import { observeInterval } from './bursts';
import { expectBursts } from './expect';
import { intervalArrivals } from './interval-arrivals';
import { findPeriods } from './periods';
import { forecastStatus, judge, type ForecastStatus } from './trust';

/** A burst up to this much larger than expected is still the expected one; beyond, the forecast steps aside. */
const SIZE_SLACK = 0.2;

export const EMPTY_RECURRING: RecurringState = { last_at: null, baseline: null, bursts: [], periods: [], expected: [], outcomes: [] };

export interface RecurringInput {
  now: number;
  forecast: Forecast;
  startup: number;
  checkInterval: number;
  metricsWindow: number;
  /** The breach budget (breach_threshold × SLA), seconds. */
  budget: number;
  prev: RecurringState | undefined;
  q: QueueReadings;
  lag: number | undefined;
  prevLag: number | undefined;
  /** In service at the previous check. */
  prevInService: number | undefined;
  /** sla.service_time_seconds. */
  configuredT: number | undefined;
  /** Service time, seconds per message. */
  T: number | undefined;
  /** λ now (messages/s). */
  rate: number | undefined;
}

export interface RecurringForecast {
  state: RecurringState;
  status: ForecastStatus;
  /** Replicas the forecast raises to (mode on, pattern holding, a burst due); else undefined. */
  floor: number | undefined;
  /** The expected burst behind the floor (or the one shadow mode would act on). */
  due: Expectation | undefined;
  /** What it would raise to in shadow mode. */
  wouldRaise: number | undefined;
  /**
   * Arrivals per second still to come while an expected burst arrives within its expected size
   * (mode on): the base rate plus the rest of the burst over the rest of its length.
   */
  plannedRate: number | undefined;
  details: JsonObject;
}

export function defaultHorizon(startup: number, checkInterval: number): number {
  return startup + 2 * checkInterval;
}

export function recurringForecast(i: RecurringInput): RecurringForecast {
  const { now, forecast, checkInterval } = i;
  const prev = i.prev ?? EMPTY_RECURRING;
  let { baseline, bursts, periods } = prev;
  let smear = i.checkInterval;
  if (prev.last_at !== null && now > prev.last_at) {
    const arrivals = intervalArrivals({ dt: now - prev.last_at, q: i.q, metricsWindow: i.metricsWindow, lag: i.lag, prevLag: i.prevLag, prevInService: i.prevInService, configuredT: i.configuredT });
    if (arrivals !== undefined) {
      smear = arrivals.smear;
      const update = observeInterval(bursts, baseline, prev.last_at, now, arrivals.count, arrivals.smear);
      baseline = update.baseline;
      bursts = update.bursts;
      if (update.opened) periods = findPeriods(bursts, checkInterval, forecast.min_periods);
    }
  }
  const horizon = forecast.horizon_seconds ?? defaultHorizon(i.startup, checkInterval);
  const fresh = expectBursts(bursts, periods, now, horizon, forecast.min_periods, checkInterval);
  const judged = judge(prev.expected, fresh, bursts, prev.outcomes, now, checkInterval);
  const state: RecurringState = { last_at: now, baseline, bursts, periods, expected: judged.expected, outcomes: judged.outcomes };
  const status = forecastStatus(state, forecast.min_periods);

  // Due: replicas asked for at the next check would be ready too late for its window's start.
  const lead = i.startup + checkInterval;
  let due: Expectation | undefined;
  let need: number | undefined;
  if (i.T !== undefined && status === 'ready') {
    for (const e of judged.expected) {
      if (e.from - now > lead + EPSILON || (e.came === null && now > e.to + EPSILON)) continue;
      // Once the burst came, its replicas are held until the arrivals' measure has seen it (one
      // smear): after that the reactive path sizes what is left, with the planned rate.
      if (e.came !== null && now > e.came + smear + EPSILON) continue;
      const replicas = Math.ceil((baseline ?? 0) * i.T + (e.size * i.T) / (i.budget + e.seconds) - EPSILON);
      if (need === undefined || replicas > need) {
        need = replicas;
        due = e;
      }
    }
  }
  const floor = forecast.mode === 'on' ? need : undefined;
  let plannedRate: number | undefined;
  if (forecast.mode === 'on' && status === 'ready') {
    for (const e of judged.expected) {
      const burst = e.came === null ? undefined : bursts.find((b) => b.at === e.came && b.end >= now);
      if (burst === undefined || burst.size > e.size * (1 + SIZE_SLACK)) continue;
      // What waits and the rest of the burst, served so that the burst's last message is picked
      // up within the budget after it arrives (at the rate arrivals come now): the rate the
      // clairvoyant schedule spreads a known burst at. The drain still guards every waiting
      // message's age.
      const rest = Math.max(0, e.size - burst.size);
      const arriving = Math.max(i.rate ?? 0, EPSILON);
      plannedRate = Math.max(plannedRate ?? 0, (baseline ?? 0) + ((i.q.backlog ?? 0) + rest) / (rest / arriving + i.budget));
    }
  }
  const wouldRaise = forecast.mode === 'shadow' ? need : undefined;
  const hits = judged.outcomes.filter((x) => x === 1).length;
  const details: JsonObject = {
    mode: forecast.mode,
    status,
    horizon_s: horizon,
    base_rate: baseline === null ? null : r4(baseline),
    bursts_seen: bursts.length,
    periods: periods.map((p) => ({ seconds: r4(p.seconds), tolerance_s: r4(p.tolerance), explains: p.support, of: p.of })),
    expected: judged.expected.map((e) => ({ from: r4(e.from), to: r4(e.to), size: r4(e.size), seconds: r4(e.seconds), period_s: r4(e.period), came: e.came })),
    hits,
    misses: judged.outcomes.length - hits,
    raise_to: need ?? null,
    acting: floor !== undefined,
  };
  if (plannedRate !== undefined) details.planned_rate = r4(plannedRate);
  return { state, status, floor, due, wouldRaise, plannedRate, details };
}
