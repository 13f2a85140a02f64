// The soak's result as a Markdown table (stdout) and as the run's section of docs/reliability.md,
// between markers so the next run replaces it, with the seed that replays it.
import fs from 'node:fs';
import { FAULT_KINDS, faultsAround, type Fault, type FaultKind } from './fault-log';
import type { LedgerTally } from './ledger';
import type { StatusSample } from './monitor';
import type { Sample } from './sampler';
import type { Violation } from './violations';

export interface RunResult {
  seed: number;
  minutes: number;
  runtime: string;
  date: string;
  /** When the run began (fault times in the report are relative to it). */
  t0: number;
  faults: readonly Fault[];
  violations: readonly Violation[];
  maxLive: number;
  maxReplicas: number;
  tally: LedgerTally;
  publishFailures: number;
  statusSamples: readonly StatusSample[];
  replicaSamples: readonly Sample[];
  notes: readonly string[];
}

export interface Recovery {
  toGoodCheck: number[];
  toReplicasRight: number[];
}

/** Per kind: seconds from each fault's start to the first good check after it ended, and to the replicas matching the scaler again. */
export function recoveries(r: Pick<RunResult, 'faults' | 'statusSamples' | 'replicaSamples'>): Record<FaultKind, Recovery> {
  const out = Object.fromEntries(FAULT_KINDS.map((k): [FaultKind, Recovery] => [k, { toGoodCheck: [], toReplicasRight: [] }])) as Record<FaultKind, Recovery>;
  for (const f of r.faults) {
    if (f.end === undefined) continue;
    const end = f.end;
    const good = r.statusSamples.find((s) => s.lastCheckAt !== null && s.lastCheckAt > end && s.good);
    if (good?.lastCheckAt) out[f.kind].toGoodCheck.push((good.lastCheckAt - f.start) / 1000);
    let j = 0;
    for (const s of r.statusSamples) {
      if (s.at < end) continue;
      while (j + 1 < r.replicaSamples.length && (r.replicaSamples[j + 1] as Sample).at <= s.at) j++;
      const live = r.replicaSamples[j];
      if (live && s.replicas !== null && live.count === s.replicas) {
        out[f.kind].toReplicasRight.push((s.at - f.start) / 1000);
        break;
      }
    }
  }
  return out;
}

function pct(xs: readonly number[], p: number): string {
  if (xs.length === 0) return '-';
  const sorted = [...xs].sort((a, b) => a - b);
  const v = sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
  return v.toFixed(1);
}

export function renderReport(r: RunResult): string {
  const rec = recoveries(r);
  const lines: string[] = [];
  lines.push(`### Chaos soak: seed ${r.seed}, ${r.minutes} min of faults, runtime ${r.runtime} (${r.date})`);
  lines.push('');
  lines.push(`Replay: \`npm run chaos -- --minutes ${r.minutes} --seed ${r.seed} --runtime ${r.runtime}\``);
  lines.push('');
  lines.push('| fault | count | to first good check p50 / p99 (s) | to replicas right p50 / p99 (s) |');
  lines.push('|---|---:|---:|---:|');
  for (const k of FAULT_KINDS) {
    const n = r.faults.filter((f) => f.kind === k).length;
    const x = rec[k];
    lines.push(`| ${k} | ${n} | ${pct(x.toGoodCheck, 50)} / ${pct(x.toGoodCheck, 99)} | ${pct(x.toReplicasRight, 50)} / ${pct(x.toReplicasRight, 99)} |`);
  }
  lines.push('');
  lines.push('| measure | value |');
  lines.push('|---|---:|');
  lines.push(`| invariant violations | ${r.violations.length} |`);
  lines.push(`| max live replicas (max_replicas) | ${r.maxLive} (${r.maxReplicas}) |`);
  lines.push(`| published (acknowledged) | ${r.tally.published} |`);
  lines.push(`| processed (distinct ids) | ${r.tally.processed} |`);
  lines.push(`| lost | ${r.tally.lost.length} |`);
  lines.push(`| duplicates (of them after a SIGKILLed replica) | ${r.tally.duplicates} (${r.tally.duplicatesAfterSigkill}) |`);
  lines.push(`| failed publish attempts (retried) | ${r.publishFailures} |`);
  if (r.violations.length > 0) {
    lines.push('');
    lines.push('Violations:');
    for (const v of r.violations) {
      lines.push(`- invariant ${v.invariant} at ${new Date(v.at).toISOString()} (+${((v.at - r.t0) / 1000).toFixed(1)}s): ${v.what}; faults within ±60 s:`);
      lines.push('', '```', faultsAround(r.faults, r.t0, v.at), '```', '');
    }
  }
  if (r.notes.length > 0) {
    lines.push('');
    lines.push('Notes:');
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

const BEGIN = '<!-- chaos-soak:begin (written by npm run chaos) -->';
const END = '<!-- chaos-soak:end -->';

/** Puts `section` between the markers in `file` (appended with them when absent). */
export function writeSection(file: string, section: string): void {
  const body = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Reliability\n\n';
  const block = `${BEGIN}\n${section}${END}\n`;
  const i = body.indexOf(BEGIN);
  const j = body.indexOf(END);
  const next = i >= 0 && j > i ? `${body.slice(0, i)}${block}${body.slice(j + END.length + 1)}` : `${body.trimEnd()}\n\n## Latest chaos soak\n\n${block}`;
  fs.writeFileSync(file, next);
}
