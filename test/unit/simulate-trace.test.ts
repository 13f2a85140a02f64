// Trace parsing (the three formats of CONTRACT §5) and how arrivals come out of a trace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { InputError } from '../../src/errors';
import { ArrivalStream, type TraceCut } from '../../src/simulate/arrivals';
import { PickupHistogram } from '../../src/simulate/pickup-histogram';
import { parseTrace, type Trace, type TraceFormat } from '../../src/simulate/trace';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-trace-'));

/** Writes a trace file and parses it back, as the CLI does. */
function traceFile(name: string, text: string, format: TraceFormat = 'auto'): Trace {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return parseTrace(fs.readFileSync(file, 'utf8'), format, file);
}

function arrivals(trace: Trace, cut: Partial<TraceCut> = {}): number[] {
  const stream = new ArrivalStream(trace, { scale: 1, start: 0, end: Infinity, ...cut });
  const out: number[] = [];
  for (let t = stream.next(); t !== Infinity; t = stream.next()) out.push(t);
  return out;
}

function close(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length, `${actual.length} arrivals, expected ${expected.length}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) < 1e-9, `arrival ${i}: ${a} != ${expected[i]}`));
}

/** The shared traces live next to the project: ../shared/traces from the repository root. */
const SHARED = path.resolve(process.cwd(), '../shared/traces');

describe('trace formats', () => {
  it('one number per line: arrivals per second, spread evenly inside each second', () => {
    const t = traceFile('rps.txt', '3\n0\n2\n');
    assert.equal(t.kind, 'per-second');
    assert.equal(t.total, 5);
    assert.equal(t.span, 3);
    assert.equal(t.epoch, null);
    close(arrivals(t), [0, 1 / 3, 2 / 3, 2, 2.5]);
  });

  it('CSV time,count in seconds: each bin lasts until the next row', () => {
    const t = traceFile('counts.csv', 'time,count\n100,10\n160,0\n220,3\n');
    assert.equal(t.kind, 'counts');
    assert.equal(t.span, 180);
    assert.equal(t.total, 13);
    close(arrivals(t), [...Array.from({ length: 10 }, (_, i) => i * 6), 120, 140, 160]);
  });

  it('CSV time,count with timestamps: times from the first row, now from the real time (UTC)', () => {
    const t = traceFile('ts.csv', '2023-11-16 18:00:00,2\n2023-11-16 18:00:30,4\n');
    assert.equal(t.kind, 'counts');
    assert.equal(t.epoch, Date.UTC(2023, 10, 16, 18, 0, 0) / 1000);
    assert.equal(t.span, 60);
    close(arrivals(t), [0, 15, 30, 37.5, 45, 52.5]);
  });

  it('requests: one row per arrival with a timestamp column (auto-detected from the header)', () => {
    const text = 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50.9951690,396,109\n2023-11-16 18:15:50.9951690,1,1\n';
    for (const format of ['auto', 'requests'] as const) {
      const t = traceFile(`azure-${format}.csv`, text, format);
      assert.equal(t.kind, 'requests');
      assert.equal(t.total, 3);
      assert.ok(Math.abs(t.span - 4.314579) < 1e-5, `span ${t.span}`);
      assert.ok(Math.abs(t.epoch! - (Date.UTC(2023, 10, 16, 18, 15, 46) / 1000 + 0.68059)) < 1e-5);
      close(arrivals(t), [0, t.span, t.span]);
    }
  });

  it('requests: a column named time, numeric seconds, rows out of order', () => {
    const t = traceFile('req.csv', 'id,time\na,5.5\nb,2\nc,3\n', 'requests');
    close(arrivals(t), [0, 1, 3.5]);
  });

  it('requests in one column: a `time` header, or timestamps without one (a log of push times)', () => {
    const text = '2026-01-01T00:00:00Z\n2026-01-01T00:00:01Z\n2026-01-01T00:00:01.5Z\n';
    for (const [name, body] of [['headed', `time\n${text}`], ['bare', text]] as const) {
      const t = traceFile(`${name}.csv`, body);
      assert.equal(t.kind, 'requests', name);
      assert.equal(t.epoch, Date.UTC(2026, 0, 1) / 1000, name);
      close(arrivals(t), [0, 1, 1.5]);
    }
    // Numbers in one column stay counts per second; with a header they are arrival times.
    assert.equal(traceFile('numbers.txt', '3\n1\n').kind, 'per-second');
    close(arrivals(traceFile('seconds.csv', 'time\n0\n2.5\n')), [0, 2.5]);
    assert.throws(() => traceFile('hdr-only.csv', 'time\n'), /"time" is not a count/);
  });

  it('--scale keeps fractions from bin to bin; --start and --duration cut', () => {
    const t = traceFile('ones.txt', '1\n1\n1\n1\n1\n');
    assert.equal(arrivals(t, { scale: 0.5 }).length, 2);
    close(arrivals(t, { scale: 2 }), [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5]);
    close(arrivals(t, { start: 2, end: 4 }), [0, 1]);
  });

  it('says which line is wrong', () => {
    assert.throws(() => traceFile('bad.txt', '1\n2\nx\n-1\n'), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.match(e.message, /line 3: "x" is not a count/);
      assert.match(e.message, /line 4: "-1" is not a count/);
      return true;
    });
    assert.throws(() => traceFile('bad.csv', '0,1\n10,2\n5,3\n'), /line 3: times must increase/);
    assert.throws(() => traceFile('bad2.csv', 'time,count\n0,many\n'), /line 2: "many" in column 2 is not a count/);
    assert.throws(() => traceFile('bad3.csv', 'TIMESTAMP,x\nyesterday,1\n', 'requests'), /line 2: "yesterday" in column 1 is not a time/);
    assert.throws(() => traceFile('empty.txt', '\n\n'), /the trace is empty/);
  });

  it('reads the real traces in ../shared/traces', () => {
    const azure = path.join(SHARED, 'azure_llm_2023_conv.csv');
    const bursty = path.join(SHARED, 'autothrottle_bursty_1h_rps.txt');
    assert.ok(fs.existsSync(azure), `missing ${azure}: the shared traces must sit next to the project (see /work/shared/traces/README.md)`);
    const a = parseTrace(fs.readFileSync(azure, 'utf8'), 'auto', azure);
    assert.equal(a.kind, 'requests');
    assert.equal(a.total, 19_366);
    assert.ok(a.span > 55 * 60 && a.span < 60 * 60, `span ${a.span}`);
    assert.equal(arrivals(a).length, 19_366);
    const b = parseTrace(fs.readFileSync(bursty, 'utf8'), 'auto', bursty);
    assert.equal(b.kind, 'per-second');
    assert.equal(b.span, 3600);
    assert.equal(arrivals(b).length, b.total);
  });
});

describe('pickup histogram', () => {
  it('is exact for repeated values and below 2 ms, within 0.1% above', () => {
    const h = new PickupHistogram();
    const values: number[] = [];
    for (let i = 0; i < 10_000; i++) values.push(i % 7 === 0 ? 0 : (i * 0.0137) % 500);
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9, 100]) {
      const exact = sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1]!;
      const got = h.percentile(p)!;
      assert.ok(got >= exact - 1e-6 && got <= exact * (1 + 1 / 1024) + 1e-6, `p${p}: ${got} vs ${exact}`);
    }
    const small = new PickupHistogram();
    for (const v of [0.0005, 0.0015, 0.0015, 3600.25]) small.record(v);
    assert.equal(small.percentile(25), 0.0005);
    assert.equal(small.percentile(50), 0.0015);
    assert.equal(small.percentile(100), 3600.25);
    assert.equal(new PickupHistogram().percentile(50), null);
  });
});
