// Plain-text tables and times for the control commands.

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** HH:MM:SS in local time, as the seed's `explain` shows it. */
export function clock(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `in 4s`, `3m ago`: relative to `now` (Unix seconds). */
export function relative(unixSeconds: number, now: number): string {
  const d = Math.round(unixSeconds - now);
  const abs = Math.abs(d);
  const text = abs < 90 ? `${abs}s` : abs < 5400 ? `${Math.round(abs / 60)}m` : `${Math.round(abs / 3600)}h`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}
