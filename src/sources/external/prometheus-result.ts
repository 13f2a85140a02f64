// Pure: the number in a Prometheus instant-query answer (`/api/v1/query`): a scalar, or a vector
// of exactly one sample. Anything else is a problem saying what came back and how to fix the query.
import type { PathResult } from './value-path';

interface Sample {
  metric?: Record<string, string>;
  value?: [number, string];
}

export function prometheusValue(body: unknown): PathResult {
  const data = (body as { data?: { resultType?: unknown; result?: unknown } } | null)?.data;
  if ((body as { status?: unknown } | null)?.status !== 'success' || !data || typeof data !== 'object') {
    return { ok: false, problem: `the answer is not a Prometheus query result: ${JSON.stringify(body)?.slice(0, 120)}` };
  }
  const { resultType, result } = data;
  if (resultType === 'scalar') return sampleValue(result, 'the scalar');
  if (resultType === 'vector' && Array.isArray(result)) {
    if (result.length === 1) return sampleValue((result[0] as Sample).value, `the sample ${labels(result[0] as Sample)}`);
    if (result.length === 0) {
      return { ok: false, problem: 'the query returned 0 samples (an empty vector); if no series means 0, add `or vector(0)`' };
    }
    const shown = (result as Sample[]).slice(0, 3).map(labels).join(', ');
    return { ok: false, problem: `the query returned ${result.length} samples (${shown}${result.length > 3 ? ', …' : ''}); it must return one: aggregate it, e.g. sum(...)` };
  }
  if (resultType === 'matrix' && Array.isArray(result)) {
    return { ok: false, problem: `the query returned a range vector of ${result.length} series; use an instant query (no [range] selector on the outside)` };
  }
  if (resultType === 'string') return { ok: false, problem: 'the query returned a string, not a number' };
  return { ok: false, problem: `the query returned an unknown result type ${JSON.stringify(resultType)}` };
}

/** A `[time, "value"]` pair's value. Prometheus quotes sample values, and may send NaN or ±Inf. */
function sampleValue(pair: unknown, what: string): PathResult {
  const raw = Array.isArray(pair) ? pair[1] : undefined;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (Number.isFinite(value)) return { ok: true, value };
  return { ok: false, problem: `${what} is ${typeof raw === 'string' ? raw : JSON.stringify(raw)}, not a finite number` };
}

function labels(s: Sample): string {
  const entries = Object.entries(s.metric ?? {});
  return `{${entries.map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}
