// The chaos soak (bench/chaos, issue 25) in short: 2.5 minutes of seeded faults (3.5 in all), every kind at
// least once, against a private Temporal dev server, NATS and two real workers; every invariant
// must hold. The long runs are `npm run chaos -- --minutes 30`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULT_KINDS } from '../../bench/chaos/fault-log';
import { runChaos } from '../../bench/chaos/main';

test('chaos soak, 2.5 minutes of faults (about 3.5 in all), seed 11: every fault kind, no invariant violated', { timeout: 9 * 60_000 }, async () => {
  const { result, report } = await runChaos({ minutes: 2.5, seed: 11, runtime: 'process', write: false, keep: false });
  const missing = FAULT_KINDS.filter((k) => !result.faults.some((f) => f.kind === k));
  assert.deepEqual(missing, [], `fault kinds never injected:\n${report}`);
  assert.equal(result.violations.length, 0, report);
  assert.ok(result.tally.published > 100, `too little load to mean anything:\n${report}`);
  assert.equal(result.maxLive, result.maxReplicas, `the load never drove the service to max_replicas:\n${report}`);
});
