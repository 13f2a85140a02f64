// Where the checks went: the stretches without a recorded check longer than three check intervals
// (from the status samples), each put down to the faults that overlapped it, so a low share of
// recorded checks can be traced to the fault kinds that cost it.
import type { Fault } from './fault-log';
import type { StatusSample } from './monitor';

export function checkGaps(samples: readonly StatusSample[], faults: readonly Fault[], intervalS: number): string {
  const times = [...new Set(samples.map((s) => s.lastCheckAt).filter((t): t is number => t !== null))].sort((a, b) => a - b);
  const byKind = new Map<string, { n: number; s: number }>();
  let longest = { s: 0, at: 0, kinds: '' };
  for (let i = 1; i < times.length; i++) {
    const from = times[i - 1] as number;
    const to = times[i] as number;
    const s = (to - from) / 1000;
    if (s <= 3 * intervalS) continue;
    const kinds = [...new Set(faults.filter((f) => f.start <= to && (f.end ?? Infinity) >= from).map((f) => f.kind))].sort().join('+') || 'no fault';
    const k = byKind.get(kinds) ?? { n: 0, s: 0 };
    byKind.set(kinds, { n: k.n + 1, s: k.s + s });
    if (s > longest.s) longest = { s, at: from, kinds };
  }
  // A quiet watch reports its folded checks up to a minute apart: 'no fault' stretches may be that.
  if (byKind.size === 0) return `no stretch without a check longer than ${3 * intervalS} s`;
  const parts = [...byKind].sort((a, b) => b[1].s - a[1].s).map(([k, v]) => `${k}: ${v.n} (${v.s.toFixed(0)} s)`);
  return `stretches without a check over ${3 * intervalS} s, by the faults overlapping them: ${parts.join(', ')}; longest ${longest.s.toFixed(0)} s from ${new Date(longest.at).toISOString().slice(11, 19)} (${longest.kinds}); a quiet watch reports folded checks up to a minute apart`;
}
