// The recommended service config as a diff against the current one, both as YAML (what an
// operator pastes into docktor.yaml): changed lines with two lines of context. Pure.
import YAML from 'yaml';
import type { ServiceConfig } from '../config/service';

const CONTEXT = 2;

export function configYaml(c: ServiceConfig): string {
  return YAML.stringify(c, { lineWidth: 0 });
}

/** `-`/`+` lines of a line diff (longest common subsequence), with context; '' when equal. */
export function yamlDiff(current: ServiceConfig, recommended: ServiceConfig): string {
  const a = configYaml(current).trimEnd().split('\n');
  const b = configYaml(recommended).trimEnd().split('\n');
  // LCS table (configs are tens of lines).
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: Array<{ kind: ' ' | '-' | '+'; line: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: ' ', line: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: '-', line: a[i++]! });
    else ops.push({ kind: '+', line: b[j++]! });
  }
  if (ops.every((o) => o.kind === ' ')) return '';
  const keep = ops.map((o, k) => o.kind !== ' ' || ops.slice(Math.max(0, k - CONTEXT), k + CONTEXT + 1).some((x) => x.kind !== ' '));
  const out: string[] = [];
  ops.forEach((o, k) => {
    if (keep[k]) out.push(`${o.kind} ${o.line}`);
    else if (k > 0 && keep[k - 1]) out.push('  ...');
  });
  return out.join('\n') + '\n';
}
