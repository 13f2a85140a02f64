import { UsageError } from '../errors';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `90`, `90s`, `10m`, `1h30m`, `1.5h` into seconds; `what` names the argument in errors. */
export function parseDuration(text: string, what: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(t); m; m = re.exec(t)) {
    total += Number(m[1]) * (UNIT_SECONDS[m[2] as string] ?? 0);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== t.length || total <= 0) {
    throw new UsageError(`${what}: "${text}" is not a duration; use e.g. 90s, 10m, 1h30m`);
  }
  return total;
}
