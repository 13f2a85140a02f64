// Step 3 of the predictive strategy (docs/decide.md): the forecast λ_f, a least-squares trend of
// λ looked ahead startup + one check interval, capped by the messages in service when nothing waits.
import type { Sla } from '../../../config/policy';
import { within } from '../../history';
import type { RateSample } from '../../input';
import { fitLine } from '../../trend';
import { IN_SERVICE_Z, MAX_RATE, MAX_SAMPLES } from './limits';

export interface Forecast {
  /** Seconds looked ahead: startup + one check interval. */
  horizon: number;
  /** The trend samples to keep (this call's λ added when known). */
  samples: RateSample[];
  /** λ_f, undefined when λ is. */
  forecast: number | undefined;
  /** The fitted line's slope, null without a fit. */
  slope: number | null;
  /** Whether the in-service cap lowered the forecast. */
  cappedInService: boolean;
}

export interface ForecastInput {
  now: number;
  sla: Sla;
  checkInterval: number;
  /** The state's trend samples. */
  samples: readonly RateSample[];
  /** λ now. */
  rate: number | undefined;
  backlog: number | undefined;
  ackPending: number | undefined;
  T: number | undefined;
}

export function forecastRate(f: ForecastInput): Forecast {
  const { now, sla, rate, backlog, ackPending, T } = f;
  // Forecast over startup + one check interval.
  const horizon = sla.startup_seconds + f.checkInterval;
  let samples = within(f.samples, now, sla.trend_window_seconds);
  let forecast: number | undefined;
  let slope: number | null = null;
  if (rate !== undefined) {
    samples = addSample(f.samples, now, rate, sla.trend_window_seconds);
    forecast = rate;
    const fit = fitLine(samples);
    if (fit !== null) {
      slope = fit.slope;
      // Only ahead of a rise that is still going on (the current rate at or above the fitted
      // line: after a spike the line still slopes up while the rate has fallen), anchored at
      // the current rate, at most doubling it. A fall is left to the scale-down window.
      if (fit.slope > 0 && rate >= fit.at(now)) forecast = rate + Math.min(fit.slope * horizon, Math.max(rate, fit.meanRate));
    }
  }
  // With nothing waiting, the messages in service are those that arrived within about the last
  // T seconds: ack_pending is a count of mean λ·T (Poisson while replicas are to spare), known
  // at once, where rate_in averages the metrics window and kept a burst's replicas for most of
  // a window after its arrivals stopped. Its upper confidence bound caps the forecast: within a
  // burst it stays above the rate (a low count by noise alone is beyond IN_SERVICE_Z standard
  // deviations), so it only lowers a need whose arrivals have fallen. In replicas it is the
  // busy ones plus the count's noise, whatever the service-time estimate: so it holds with an
  // upper bound of T too, and a need it caps may go below current then (after a first burst,
  // 89 replicas were held for three checks while 40 were busy and nothing waited).
  let cappedInService = false;
  if (forecast !== undefined && backlog === 0 && ackPending !== undefined && T !== undefined && T > 0) {
    const inServiceCap = Math.min(MAX_RATE, (Math.sqrt(ackPending + 1) + IN_SERVICE_Z / 2) ** 2 / T);
    if (inServiceCap < forecast) {
      forecast = inServiceCap;
      cappedInService = true;
    }
  }
  return { horizon, samples, forecast, slope, cappedInService };
}

/** One sample per window/MAX_SAMPLES seconds (the newest of each slot), within the window. */
function addSample(samples: readonly RateSample[], now: number, rate: number, windowSeconds: number): RateSample[] {
  const kept = within(samples, now, windowSeconds).filter((s) => s.at <= now);
  const slot = windowSeconds / MAX_SAMPLES;
  const bucket = Math.floor(now / slot);
  const out = kept.filter((s) => Math.floor(s.at / slot) !== bucket);
  out.push({ at: now, rate });
  out.sort((a, b) => a.at - b.at);
  return out.length > MAX_SAMPLES + 1 ? out.slice(out.length - MAX_SAMPLES - 1) : out;
}
