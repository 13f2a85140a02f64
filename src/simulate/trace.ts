// Arrival traces (CONTRACT §5): parsed into bins of (start, count, width) seconds from the trace's
// first time. Three formats:
// - one number per line: arrivals in each second (bin i is [i, i+1));
// - CSV `time,count`: the first column a time (seconds or a timestamp), the second a count; each
//   bin lasts until the next row's time (the last one as long as the one before);
// - `requests`: CSV of one row per arrival, with a timestamp column (named time/timestamp/ts, else
//   the first); each arrival is a bin of width 0.
// `auto` reads a CSV with a header as `requests` when no column is named like a count (e.g. the
// Azure `TIMESTAMP,ContextTokens,GeneratedTokens`), and as `time,count` otherwise.
// Pure: text in, trace out; errors name the line.
import { InputError, type FieldIssue } from '../errors';
import { isPlainNumber, parseTime, type TimeKind } from './timestamps';

export const TRACE_FORMATS = ['auto', 'counts', 'requests'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];
export type TraceKind = 'per-second' | 'counts' | 'requests';

export interface Trace {
  kind: TraceKind;
  /** Bin starts, seconds from the trace's first time, ascending. */
  times: Float64Array;
  /** Arrivals in each bin (>= 0, not necessarily whole). */
  counts: Float64Array;
  /** Seconds each bin lasts; its arrivals are spread evenly inside (0: all at the bin's start). */
  widths: Float64Array;
  /** Seconds from the first time to the end of the last bin. */
  span: number;
  /** Unix seconds of the first time when the trace has real times (timestamps), else null. */
  epoch: number | null;
  /** Total arrivals. */
  total: number;
}

const TIME_HEADER = /^(time|timestamp|ts|t|date|datetime|arrival|arrival_time|arrived_at|created|created_at)$/i;
const COUNT_HEADER = /^(count|counts|n|num|number|requests|reqs|arrivals|messages|msgs|rate|rps|qps|value|events)$/i;
/** Numeric times at or beyond this are Unix seconds (2001-09-09), below it plain offsets. */
const UNIX_SECONDS_FROM = 1e9;
const MAX_ISSUES = 5;

interface Line {
  no: number;
  text: string;
}

/** Parses a trace; `source` names it in errors (the file as given to --trace). */
export function parseTrace(text: string, format: TraceFormat, source: string): Trace {
  const lines: Line[] = [];
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i]!.trim();
    if (t !== '' && !t.startsWith('#')) lines.push({ no: i + 1, text: t });
  }
  if (lines.length === 0) throw new InputError(source, [{ path: '', message: 'the trace is empty: expected one number per line, a CSV time,count, or one row per arrival' }]);
  const delimiter = lines[0]!.text.includes(',') ? ',' : lines[0]!.text.includes('\t') ? '\t' : null;

  if (delimiter === null) {
    // One column: counts per second, or one arrival per row (a `time` header, or timestamps
    // rather than numbers, say it is the arrivals: e.g. a producer's log of push times).
    const headed = format !== 'counts' && TIME_HEADER.test(lines[0]!.text) && lines.length > 1;
    const arrivals = format === 'requests' || headed || (format === 'auto' && parseTime(lines[0]!.text)?.kind === 'timestamp');
    if (arrivals) return requestsTrace((headed ? lines.slice(1) : lines).map((l) => ({ no: l.no, fields: [l.text] })), 0, source);
    return perSecondTrace(lines, source);
  }
  const rows = lines.map((l) => ({ no: l.no, fields: l.text.split(delimiter).map((f) => f.trim().replace(/^"(.*)"$/, '$1')) }));
  const first = rows[0]!.fields;
  const header = parseTime(first[0] ?? '') === undefined ? first : null;
  const data = header ? rows.slice(1) : rows;
  if (data.length === 0) throw new InputError(source, [{ path: `line ${rows[0]!.no}`, message: 'a header but no rows' }]);
  const timeColumn = header ? Math.max(0, header.findIndex((h) => TIME_HEADER.test(h))) : 0;

  let kind: 'counts' | 'requests' = format === 'requests' ? 'requests' : 'counts';
  if (format === 'auto' && header && !header.some((h) => COUNT_HEADER.test(h))) kind = 'requests';
  if (kind === 'requests') return requestsTrace(data, timeColumn, source);
  const countColumn = header ? pickCountColumn(header, timeColumn) : 1;
  return countsTrace(data, timeColumn, countColumn, source);
}

function pickCountColumn(header: string[], timeColumn: number): number {
  const named = header.findIndex((h) => COUNT_HEADER.test(h));
  if (named >= 0) return named;
  return timeColumn === 0 ? 1 : 0;
}

class Issues {
  readonly list: FieldIssue[] = [];
  add(no: number, message: string): void {
    if (this.list.length < MAX_ISSUES) this.list.push({ path: `line ${no}`, message });
  }
  throwIfAny(source: string): void {
    if (this.list.length > 0) throw new InputError(source, this.list);
  }
}

function perSecondTrace(lines: Line[], source: string): Trace {
  const n = lines.length;
  const times = new Float64Array(n);
  const counts = new Float64Array(n);
  const widths = new Float64Array(n).fill(1);
  const issues = new Issues();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const { no, text } = lines[i]!;
    const c = isPlainNumber(text) ? Number(text) : NaN;
    if (!(c >= 0) || !Number.isFinite(c)) issues.add(no, `${quote(text)} is not a count >= 0 (one number per line: arrivals in that second)`);
    times[i] = i;
    counts[i] = c;
    total += c;
  }
  issues.throwIfAny(source);
  return { kind: 'per-second', times, counts, widths, span: n, epoch: null, total };
}

interface Row {
  no: number;
  fields: string[];
}

/** Times of a column, all of one kind (numbers or timestamps). */
function readTimes(rows: Row[], column: number, source: string): { values: Float64Array; kind: TimeKind } {
  const values = new Float64Array(rows.length);
  const issues = new Issues();
  let kind: TimeKind | undefined;
  for (let i = 0; i < rows.length; i++) {
    const { no, fields } = rows[i]!;
    const text = fields[column] ?? '';
    const t = parseTime(text);
    if (t === undefined) {
      issues.add(no, `${quote(text)} in column ${column + 1} is not a time (seconds, or a timestamp such as 2023-11-16 18:15:46.68)`);
      continue;
    }
    if (kind === undefined) kind = t.kind;
    else if (t.kind !== kind) issues.add(no, `${quote(text)} mixes ${t.kind === 'timestamp' ? 'a timestamp with numeric times' : 'a number with timestamps'}`);
    values[i] = t.seconds;
  }
  issues.throwIfAny(source);
  return { values, kind: kind ?? 'seconds' };
}

function epochOf(kind: TimeKind, first: number): number | null {
  return kind === 'timestamp' || first >= UNIX_SECONDS_FROM ? first : null;
}

function countsTrace(rows: Row[], timeColumn: number, countColumn: number, source: string): Trace {
  const n = rows.length;
  const { values, kind } = readTimes(rows, timeColumn, source);
  const issues = new Issues();
  const origin = values[0]!;
  const times = new Float64Array(n);
  const counts = new Float64Array(n);
  const widths = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const { no, fields } = rows[i]!;
    const text = fields[countColumn] ?? '';
    const c = isPlainNumber(text) ? Number(text) : NaN;
    if (!(c >= 0) || !Number.isFinite(c)) issues.add(no, `${quote(text)} in column ${countColumn + 1} is not a count >= 0 (CSV time,count; use --trace-format requests for one row per arrival)`);
    if (i > 0 && !(values[i]! > values[i - 1]!)) issues.add(no, `times must increase: ${fields[timeColumn]} is not after the previous row's`);
    times[i] = values[i]! - origin;
    counts[i] = c;
    total += c;
  }
  issues.throwIfAny(source);
  for (let i = 0; i < n - 1; i++) widths[i] = times[i + 1]! - times[i]!;
  widths[n - 1] = n > 1 ? widths[n - 2]! : 1;
  return { kind: 'counts', times, counts, widths, span: times[n - 1]! + widths[n - 1]!, epoch: epochOf(kind, origin), total };
}

function requestsTrace(rows: Row[], timeColumn: number, source: string): Trace {
  const { values, kind } = readTimes(rows, timeColumn, source);
  values.sort();
  const origin = values[0]!;
  // Equal times make one bin.
  let bins = 0;
  for (let i = 0; i < values.length; i++) if (i === 0 || values[i] !== values[i - 1]) bins++;
  const times = new Float64Array(bins);
  const counts = new Float64Array(bins);
  let b = -1;
  for (let i = 0; i < values.length; i++) {
    if (i === 0 || values[i] !== values[i - 1]) times[++b] = values[i]! - origin;
    counts[b]! += 1;
  }
  return { kind: 'requests', times, counts, widths: new Float64Array(bins), span: values[values.length - 1]! - origin, epoch: epochOf(kind, origin), total: values.length };
}

/** A field as quoted in an error, cut short. */
function quote(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}
