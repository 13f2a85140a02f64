// Pure: the value of a SQL source, the first column of the first row, as a number. Drivers give
// BIGINT and NUMERIC/DECIMAL as strings (to keep their precision), so numeric strings count;
// NULL, no rows and anything else are a problem saying what came back.
import type { PathResult } from './value-path';

export function firstCellNumber(rows: unknown[][]): PathResult {
  if (rows.length === 0) return { ok: false, problem: 'the query returned no rows' };
  const row = rows[0]!;
  if (row.length === 0) return { ok: false, problem: 'the query returned a row without columns' };
  const cell = row[0];
  const found = numberOf(cell);
  if (found !== undefined) return { ok: true, value: found };
  return { ok: false, problem: `the first column of the first row is ${describeCell(cell)}, not a number` };
}

function numberOf(cell: unknown): number | undefined {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  if (typeof cell === 'bigint') return Number(cell);
  if (typeof cell === 'string' && cell.trim() !== '') {
    const n = Number(cell);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function describeCell(cell: unknown): string {
  if (cell === null || cell === undefined) return 'NULL';
  if (typeof cell === 'string') return `the string ${JSON.stringify(cell.length > 40 ? `${cell.slice(0, 40)}…` : cell)}`;
  if (typeof cell === 'number') return String(cell);
  if (typeof cell === 'boolean') return `the boolean ${cell}`;
  if (cell instanceof Date) return `the date ${cell.toISOString()}`;
  if (Buffer.isBuffer(cell)) return `${cell.length} byte(s) of binary data`;
  return Array.isArray(cell) ? `an array of ${cell.length}` : 'an object';
}
