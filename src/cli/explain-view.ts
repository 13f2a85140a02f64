// `docktor explain` as text: one row per history entry, a folded entry (several identical checks
// in a row, CONTRACT §6) as one row with its first and last time and the count. A reason too long
// for the line goes on under the REASON column, so that no line is wider than EXPLAIN_WIDTH.
import type { ExplainedEntry } from '../control/scalers';
import { isoSpan, isoTime, table, wrap } from './format';

export const EXPLAIN_WIDTH = 100;
/** Below this, continued reasons start near the left edge instead: a narrow column reads worse. */
const MIN_REASON_COLUMN = 40;

export type ExplainRow = Pick<ExplainedEntry, 'service' | 'at' | 'last_at' | 'checks' | 'action' | 'from' | 'to' | 'reason' | 'limited_by' | 'errors'>;

export function renderExplain(entries: ExplainRow[], width = EXPLAIN_WIDTH): string {
  const rows = entries.map((e) => [
    e.service,
    e.last_at !== undefined && (e.checks ?? 1) > 1 ? isoSpan(e.at, e.last_at) : isoTime(e.at),
    e.action + ((e.checks ?? 1) > 1 ? ` ×${e.checks}` : ''),
    `${e.from}→${e.to}`,
    e.reason + (e.limited_by ? ` [${e.limited_by}]` : '') + (e.errors?.length ? ` (errors: ${e.errors.join('; ')})` : ''),
  ]);
  const lines = table(['SERVICE', 'TIME', 'ACTION', 'FROM→TO', 'REASON'], rows).trimEnd().split('\n');
  const column = lines[0]?.indexOf('REASON') ?? 0;
  const indent = width - column >= MIN_REASON_COLUMN ? column : 4;
  return lines.flatMap((l) => wrap(l, width, indent)).join('\n') + '\n';
}
