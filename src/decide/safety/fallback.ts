// KEDA's `fallback`: once metric collection has failed more than `failure_threshold` times in a
// row (KEDA: NumberOfFailures > FailureThreshold), scale to `replicas`, or keep the current size
// when it is higher (`current_if_higher`) or lower (`current_if_lower`). Without a fallback the
// engine holds (no scale-down on missing data).
import type { Fallback } from '../../config/policy';

export interface FallbackResult {
  replicas: number;
  reason: string;
}

export function fallbackReplicas(fallback: Fallback | undefined, failures: number, current: number): FallbackResult | null {
  if (fallback === undefined || failures <= fallback.failure_threshold) return null;
  const head = `metrics failed ${failures} times > fallback.failure_threshold ${fallback.failure_threshold}`;
  switch (fallback.behavior) {
    case 'static':
      return { replicas: fallback.replicas, reason: `${head}: fallback.replicas ${fallback.replicas}` };
    case 'current_if_higher':
      return current > fallback.replicas
        ? { replicas: current, reason: `${head}: current ${current} is higher than fallback.replicas ${fallback.replicas}` }
        : { replicas: fallback.replicas, reason: `${head}: fallback.replicas ${fallback.replicas}` };
    case 'current_if_lower':
      return current < fallback.replicas
        ? { replicas: current, reason: `${head}: current ${current} is lower than fallback.replicas ${fallback.replicas}` }
        : { replicas: fallback.replicas, reason: `${head}: fallback.replicas ${fallback.replicas}` };
  }
}
