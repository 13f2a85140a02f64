// Least-squares line through (at, rate) samples, for the predictive strategy's forecast.
import type { RateSample } from './input';

export interface LinearFit {
  /** Rate change per second. */
  slope: number;
  meanAt: number;
  meanRate: number;
  /** The fitted rate at time `at`. */
  at(at: number): number;
}

/** The fit, or null with fewer than 3 samples or no spread in time. */
export function fitLine(samples: readonly RateSample[]): LinearFit | null {
  const n = samples.length;
  if (n < 3) return null;
  let sumT = 0;
  let sumY = 0;
  for (const s of samples) {
    sumT += s.at;
    sumY += s.rate;
  }
  const meanAt = sumT / n;
  const meanRate = sumY / n;
  let sxx = 0;
  let sxy = 0;
  for (const s of samples) {
    const dt = s.at - meanAt;
    sxx += dt * dt;
    sxy += dt * (s.rate - meanRate);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  return { slope, meanAt, meanRate, at: (t: number) => meanRate + slope * (t - meanAt) };
}
