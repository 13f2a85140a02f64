// Plain-text tables, times and line wrapping for the control commands.

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** ISO-8601 in UTC to the second (`2026-12-07T01:02:03Z`): a time read later, or elsewhere, still says when. */
export function isoTime(unixSeconds: number): string {
  return new Date(Math.floor(unixSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A span `start–end`; the end without its date when it is the same day (`…T01:02:03Z–01:04:05Z`). */
export function isoSpan(start: number, end: number): string {
  const a = isoTime(start);
  const b = isoTime(end);
  return `${a}–${a.slice(0, 11) === b.slice(0, 11) ? b.slice(11) : b}`;
}

/** `in 4s`, `3m ago`: relative to `now` (Unix seconds). */
export function relative(unixSeconds: number, now: number): string {
  const d = Math.round(unixSeconds - now);
  const abs = Math.abs(d);
  const text = abs < 90 ? `${abs}s` : abs < 5400 ? `${Math.round(abs / 60)}m` : `${Math.round(abs / 3600)}h`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * Breaks a line at spaces so that no piece is wider than `width` (a word wider than that is cut);
 * the pieces after the first are indented `indent` columns (default: two more than the line).
 */
export function wrap(line: string, width: number, indent?: number): string[] {
  if (line.length <= width) return [line];
  const lead = /^ */.exec(line)?.[0].length ?? 0;
  const out: string[] = [];
  let prefix = ' '.repeat(lead);
  let rest = line.slice(lead);
  while (prefix.length + rest.length > width) {
    const room = Math.max(1, width - prefix.length);
    const cut = rest.lastIndexOf(' ', room);
    const at = cut > 0 ? cut : room;
    out.push(prefix + rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
    prefix = ' '.repeat(indent ?? lead + 2);
  }
  if (rest) out.push(prefix + rest);
  return out;
}
