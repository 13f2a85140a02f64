// Times in trace files: seconds as a plain number, or a calendar timestamp such as
// `2023-11-16 18:15:46.6805900` (the Azure traces) or ISO 8601 with a zone. A timestamp without a
// zone is read as UTC, so a trace replays the same on every machine.

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

export type TimeKind = 'seconds' | 'timestamp';

export interface ParsedTime {
  kind: TimeKind;
  /** Seconds (as written), or Unix seconds for a timestamp, with the fraction kept. */
  seconds: number;
}

export function isPlainNumber(text: string): boolean {
  return NUMBER.test(text);
}

/** A time field, or undefined when it is neither a number nor a timestamp. */
export function parseTime(text: string): ParsedTime | undefined {
  const t = text.trim();
  if (NUMBER.test(t)) return { kind: 'seconds', seconds: Number(t) };
  const m = TIMESTAMP.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  if (!Number.isFinite(ms) || Number(mo) > 12 || Number(d) > 31 || Number(h ?? 0) > 23 || Number(mi ?? 0) > 59 || Number(s ?? 0) > 60) return undefined;
  let seconds = ms / 1000 + (frac ? Number(`0${frac}`) : 0);
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    seconds -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
  }
  return { kind: 'timestamp', seconds };
}
