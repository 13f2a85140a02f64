// Number formatting for reasons and details: short, stable, JSON-safe.

/** A number as people read it in a reason: integers as is, others with at most 2 decimals. */
export function fmt(n: number): string {
  if (Number.isInteger(n)) return String(n);
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 1) return String(Math.round(n * 100) / 100);
  return String(Number(n.toPrecision(2)));
}

/** Rounded to 4 decimals for details (keeps them readable; never NaN/Infinity: those become null). */
export function r4(n: number): number | null {
  if (!Number.isFinite(n)) return null;
  if (Math.abs(n) >= 1e11) return n; // already no decimals worth rounding; n × 1e4 could overflow
  const v = Math.round(n * 1e4) / 1e4;
  return v === 0 ? 0 : v; // no -0: it would not survive JSON
}

/** Unix seconds as ISO-8601 UTC with milliseconds, e.g. `2026-12-01T15:40:12.345Z`. */
export function isoTime(unix: number): string {
  return new Date(Math.round(unix * 1000)).toISOString();
}

/** Unix seconds as ISO-8601 UTC to the second, for reasons: `2026-12-01T15:40:12Z`. */
export function isoSeconds(unix: number): string {
  return isoTime(Math.round(unix)).replace(/\.000Z$/, 'Z');
}

/** A period as people say it: 45s, 10m, 1h, 1h30m, 1d. */
export function periodText(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 86_400 && s % 86_400 === 0) return `${s / 86_400}d`;
  if (s >= 3600) return `${Math.floor(s / 3600)}h${s % 3600 >= 60 ? `${Math.round((s % 3600) / 60)}m` : ''}`;
  if (s >= 60) return `${Math.floor(s / 60)}m${s % 60 > 0 ? `${s % 60}s` : ''}`;
  return `${s}s`;
}
