// The benchmark report of some parts only keeps the other parts' sections from the previous report.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepSectionsNotRun } from '../../bench/report';

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
