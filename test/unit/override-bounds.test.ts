// Overrides and pauses come from operators and scripts: only safe whole numbers up to the hard
// ceiling (which --force cannot pass), reasons as short text (issue 14).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_REPLICA_CEILING, replicaCeiling } from '../../src/decide/safety/bounds';
import { makePause, overrideProblem } from '../../src/model/scaler-state';
import { decide } from '../../src/decide/index';
import { ServiceSchema } from '../../src/config/service';
import { input, service } from './decide-fixtures';

describe('override bounds', () => {
  const s = service({ strategy: 'rules', rules: {}, max_replicas: 8 });

  it('refuses 1e30, 2^53 and anything above the ceiling, even with force', () => {
    for (const replicas of [1e30, 2 ** 53, Number.MAX_VALUE, DEFAULT_REPLICA_CEILING + 1]) {
      assert.ok(overrideProblem({ replicas, force: true }, s), `${replicas} refused`);
    }
    assert.match(overrideProblem({ replicas: 101, force: true }, s) ?? '', /hard ceiling of 100 \(replica_ceiling\)/);
    assert.equal(overrideProblem({ replicas: 100, force: true }, s), undefined);
    assert.equal(overrideProblem({ replicas: 8 }, s), undefined);
    assert.match(overrideProblem({ replicas: 9 }, s) ?? '', /outside .* use --force/);
  });

  it('the ceiling is replica_ceiling, else max(100, max_replicas); it may not be below max_replicas', () => {
    assert.equal(replicaCeiling(s), 100);
    assert.equal(replicaCeiling(service({ strategy: 'rules', rules: {}, max_replicas: 250 })), 250);
    const low = service({ strategy: 'rules', rules: {}, max_replicas: 8, replica_ceiling: 12 });
    assert.equal(replicaCeiling(low), 12);
    assert.match(overrideProblem({ replicas: 13, force: true }, low) ?? '', /hard ceiling of 12/);
    const bad = ServiceSchema.safeParse({ name: 'w', max_replicas: 8, replica_ceiling: 4, rules: {} });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error?.issues[0]?.path, ['replica_ceiling']);
  });

  it('the engine never goes past the ceiling, whatever override it is handed', () => {
    const d = decide(input({ service: s, current: 1, override: { replicas: 1e30, force: true } }));
    assert.equal(d.target_replicas, 100);
  });

  it('reasons must be short strings; a pause with another reason still pauses and says why it was ignored', () => {
    assert.match(overrideProblem({ replicas: 2, reason: { a: 1 } as unknown as string }, s) ?? '', /reason must be a string, got object/);
    const p = makePause({ reason: { a: 1 } as unknown as string }, 5);
    assert.equal(p.since, 5);
    assert.doesNotMatch(p.reason ?? '', /object Object/);
    assert.match(p.reason ?? '', /reason ignored: reason must be a string/);
    assert.deepEqual(makePause({ reason: 'deploy' }, 5), { since: 5, reason: 'deploy' });
    assert.deepEqual(makePause(undefined, 5), { since: 5 });
  });
});
