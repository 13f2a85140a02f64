// The benchmark report of some parts only keeps the other parts' sections from the previous report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FleetRun } from '../../bench/fleet.bench';
import { benchmarksMarkdown, keepSectionsNotRun } from '../../bench/report';

const header = '# Benchmarks\n\nWritten by `npm run bench` on 2026-12-01; the parts run (quality) took 5 s.\n\nMachine: 2 CPUs.\n\n';

describe('bench report of some parts', () => {
  it('takes each section that was not run from the previous report, and says so', () => {
    const fresh = `${header}## 1. Quality\n\nnew figures\n\n## 2. Speed\n\n### decide()\n\nNot run.\n\n### Simulated\n\nNot run.\n\n## 3. Fleet\n\nNot run.\n`;
    const previous = `# Benchmarks\n\nold header\n\n## 1. Quality\n\nold figures\n\n## 2. Speed\n\n### decide()\n\n60,000/s\n\n## 3. Fleet\n\nNot run.\n`;
    const merged = keepSectionsNotRun(fresh, previous);
    assert.match(merged, /## 1\. Quality\n\nnew figures/);
    assert.match(merged, /## 2\. Speed\n\n### decide\(\)\n\n60,000\/s\n/, 'speed kept from the previous report');
    assert.match(merged, /## 3\. Fleet\n\nNot run\.\n$/, 'not run in either: stays so');
    assert.match(merged, /Section 2 was not run this time: it is kept from the previous report/);
    assert.ok(merged.indexOf('Section 2') < merged.indexOf('Machine:'), 'the note is in the header');
    assert.doesNotMatch(merged, /old header|old figures/);
  });

  it('without a previous report, or with every part run, the fresh report is unchanged', () => {
    const fresh = `${header}## 1. Quality\n\nnew\n\n## 2. Speed\n\nNot run.\n`;
    assert.equal(keepSectionsNotRun(fresh, null), fresh);
    const all = `${header}## 1. Quality\n\nnew\n`;
    assert.equal(keepSectionsNotRun(all, `${header}## 1. Quality\n\nold\n`), all);
  });
});

describe('bench report of a fleet run with missing figures', () => {
  it('prints n/a for every figure that is NaN (null once through JSON), and does not throw', () => {
    const run: FleetRun = {
      services: 2000, checkInterval: 10, measuredSeconds: 60, startSeconds: 30, ticks: 9405, expectedTicks: 12000,
      latenessP50: 0.1, latenessP99: 3.99, latenessMax: 5, driftP50: 0, driftP99: 1.97, driftMax: 3,
      timerLateP99: NaN, workflowTaskWaitP99: 0.5, activityWaitP99: NaN, workflowTaskRunP99: NaN,
      workers: 0, workerRssMiB: 1363, workerRssMiBEach: [1363], workerCpuPctEach: [90], serverRssMiB: null, workerCpuPct: 90, serverCpuPct: null, loadAverage: NaN, failures: 0,
      actions: null, actionsPerCheck: null, actionsPerSecond: null, historyEvents: 0, eventsPerCheck: NaN, historyBytesPerCheck: NaN, historyBytesPerSecond: NaN,
    };
    // As the part hands it over: NaN becomes null in JSON.
    const fleet = JSON.parse(JSON.stringify({ runs: [run, { ...run, latenessP99: NaN, driftP99: NaN, workerRssMiB: NaN, workerRssMiBEach: [NaN] }], serverKind: 'cli' })) as { runs: FleetRun[]; serverKind: string };
    const md = benchmarksMarkdown({ machine: { date: '2026-12-07T00:00:00Z', cpus: 2, cpuModel: 'x', memoryGiB: 4, node: 'v20', os: 'linux' }, totalSeconds: 1, parts: ['fleet'], fleet });
    const section = md.slice(md.indexOf('## 3.'), md.indexOf('## 4.'));
    assert.match(section, /\| 2000 \| 10 \| 1 \(in the bench process\) \| 9,405 \/ 12,000 \| 0\.100 \| 3\.990 \|/);
    assert.match(section, /\| 2000 \| 10 \| 1 \(in the bench process\) \| 9,405 \/ 12,000 \| 0\.100 \| n\/a \|/, 'a missing p99 is n/a');
    assert.doesNotMatch(section, /NaN|null|undefined/);
  });
});
