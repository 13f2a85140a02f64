// The check grid: phases spread scalers over the interval; checks stay on the grid.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPhase, secondsToNextCheck } from '../../src/model/check-schedule';
import { scalerWorkflowId } from '../../src/workflows/definitions';

describe('check schedule', () => {
  it('spreads the phases of many scalers evenly over the interval', () => {
    const tenths = new Array<number>(10).fill(0);
    for (let i = 0; i < 1000; i++) {
      const p = checkPhase(scalerWorkflowId('shop', `svc-${i}`));
      assert.ok(p >= 0 && p < 1, `phase ${p}`);
      tenths[Math.floor(p * 10)]! += 1;
    }
    // 100 expected per tenth; a clumped hash would put hundreds in one.
    for (const n of tenths) assert.ok(n >= 70 && n <= 130, `per tenth of the interval: ${tenths.join(', ')}`);
  });

  it('is the same for the same id (deterministic: workflow code)', () => {
    assert.equal(checkPhase('docktor/shop/worker'), checkPhase('docktor/shop/worker'));
    assert.notEqual(checkPhase('docktor/shop/worker'), checkPhase('docktor/shop/mailer'));
  });

  it('waits for the next grid point, so a slow check does not shift later ones', () => {
    // interval 5, phase 0.2: grid points at ..., 101, 106, 111, ...
    assert.equal(secondsToNextCheck(100, 5, 0.2), 1); // the first check at 100: the next on the grid
    assert.equal(secondsToNextCheck(103, 5, 0.2), 3);
    assert.ok(Math.abs(secondsToNextCheck(106.3, 5, 0.2) - 4.7) < 1e-9); // a check that took 0.3 s
    assert.ok(Math.abs(secondsToNextCheck(106.3, 5, 0.2) + 106.3 - 111) < 1e-9);
  });

  it('keeps at least a fifth of an interval after an early check (a signal) or a very late one', () => {
    assert.equal(secondsToNextCheck(100.5, 5, 0.2), 5.5); // 101 is 0.5 s away: next is 106
    assert.ok(Math.abs(secondsToNextCheck(105.2, 5, 0.2) - 5.8) < 1e-9); // 106 is 0.8 s away: next is 111
    assert.equal(secondsToNextCheck(105, 5, 0.2), 1); // 1 s away is enough
  });
});
