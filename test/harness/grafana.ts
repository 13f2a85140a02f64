// The queries of examples/grafana/docktor-dashboard.json and the metric names they read: checked
// against docktor's metrics by test/unit/grafana-dashboard.test.ts, run on a real Prometheus by
// test/integration/events-metrics.test.ts.
import path from 'node:path';

export const DASHBOARD = path.join(process.cwd(), 'examples/grafana/docktor-dashboard.json');

/** Every query of a Grafana dashboard: panel targets' `expr` and query variables' `query`. */
export function dashboardQueries(dashboard: unknown): string[] {
  const out: string[] = [];
  const d = dashboard as { panels?: Array<{ targets?: Array<{ expr?: string }> }>; templating?: { list?: Array<{ type: string; query?: string | { query?: string } }> } };
  for (const p of d.panels ?? []) for (const t of p.targets ?? []) if (t.expr) out.push(t.expr);
  for (const v of d.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : v.query?.query;
    if (q) out.push(q);
  }
  return out;
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** The metric names a query reads: identifiers outside label matchers, strings, ranges and grouping clauses that are not functions. */
export function metricNames(query: string): string[] {
  const stripped = query
    // Grafana's label_values(METRIC{...}, LABEL): the metric only.
    .replace(/label_values\(([^,)]*)(,[^)]*)?\)/g, '($1)')
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length).trimStart();
    if (!after.startsWith('(') && !PROMQL_WORDS.has(m[0])) names.push(m[0]);
  }
  return names;
}
