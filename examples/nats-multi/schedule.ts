// The producer's arrival schedule, pure: a steady RATE with a burst of BURST_RATE for
// BURST_SECONDS at the start of every BURST_EVERY seconds, or a fixed COUNT published at once.

export interface Schedule {
  /** Messages per second outside bursts. */
  rate: number;
  /** Messages per second during a burst (0: no bursts). */
  burst_rate: number;
  burst_seconds: number;
  burst_every: number;
}

export type ProducerPlan = { kind: 'count'; count: number } | { kind: 'rate'; schedule: Schedule };

function number(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a number >= 0, got "${raw}"`);
  return v;
}

/** COUNT set: publish that many and exit; otherwise run the schedule until stopped. */
export function planFromEnv(env: NodeJS.ProcessEnv = process.env): ProducerPlan {
  if (env.COUNT !== undefined && env.COUNT !== '') return { kind: 'count', count: Math.floor(number(env, 'COUNT', 0)) };
  const schedule: Schedule = {
    rate: number(env, 'RATE', 5),
    burst_rate: number(env, 'BURST_RATE', 0),
    burst_seconds: number(env, 'BURST_SECONDS', 20),
    burst_every: number(env, 'BURST_EVERY', 120),
  };
  if (schedule.burst_rate > 0 && schedule.burst_every <= 0) throw new Error('BURST_EVERY must be > 0 when BURST_RATE is set');
  return { kind: 'rate', schedule };
}

/** Messages per second at `t` seconds after the start. */
export function rateAt(s: Schedule, t: number): number {
  if (s.burst_rate > 0 && s.burst_every > 0 && t % s.burst_every < s.burst_seconds) return s.burst_rate;
  return s.rate;
}

/**
 * Messages due between `from` and `to` seconds, given the fractional message carried from the last
 * tick; returns the whole number to publish now and the fraction to carry.
 */
export function dueBetween(s: Schedule, from: number, to: number, carry: number): { count: number; carry: number } {
  // Rates change only at whole burst edges; integrating per 50 ms slice is exact enough for a demo.
  let total = carry;
  for (let t = from; t < to; t += 0.05) total += rateAt(s, t) * Math.min(0.05, to - t);
  const count = Math.floor(total);
  return { count, carry: total - count };
}
