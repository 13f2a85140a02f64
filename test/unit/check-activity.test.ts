// The check activity on its own (a plain function; the workflow tests run it inside Temporal):
// collect then decide, failures recorded rather than thrown, a silent source timed out.
import '../harness/temp-state-dir';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScalerActivities } from '../../src/activities/scaler-activities';
import type { CheckInput } from '../../src/model/check';
import { ServiceSchema } from '../../src/config/service';
import type { QueueConfig } from '../../src/config/queue';
import type { Json, Observations } from '../../src/observations';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';

const service = ServiceSchema.parse({
  name: 'w',
  min_replicas: 1,
  max_replicas: 10,
  queue: { kind: 'nats', stream: 'S', consumer: 'c' },
  rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }], scale_down_when: [{ metric: 'queue.backlog', op: '<', value: 5 }] },
});
const input = (o: Partial<CheckInput> = {}): CheckInput => ({ project: 'p', service, now: 1_000_000, queue_state: null, last_replicas: null, paused: false, metric_failures: 0, ...o });

/** FAKE: a queue source that never answers (a hung connection). */
class SilentQueueSource extends FakeQueueSource {
  override read(_c: QueueConfig, _o: { state?: Json }): Promise<{ observations: Observations; state: Json }> {
    return new Promise(() => undefined);
  }
}

describe('check activity', () => {
  it('collects, then decides on what it collected', async () => {
    const queue = new FakeQueueSource();
    queue.observations = { 'queue.backlog': 500 };
    const { checkService } = createScalerActivities(fakePlugins(new FakeRuntime(2), queue));
    const r = await checkService(input());
    assert.deepEqual([r.replicas, r.decision?.action, r.decision?.target_replicas, r.failures, r.metric_failures], [2, 'scale_up', 4, [], 0]);
    assert.equal(r.observations['queue.backlog'], 500);
    assert.deepEqual(r.queue_state, { reads: 1, previous_reads: null });
    assert.ok(Math.abs(r.finished_at - Date.now() / 1000) < 5);
  });

  it('records a failed source, counts it, and never scales on the missing metric', async () => {
    const queue = new FakeQueueSource();
    queue.failWith = 'nats: connection refused';
    const { checkService } = createScalerActivities(fakePlugins(new FakeRuntime(4), queue));
    const r = await checkService(input({ metric_failures: 2 }));
    assert.deepEqual(r.failures, [{ source: 'queue', error: 'Error: nats: connection refused', configuration: false }]);
    assert.equal(r.metric_failures, 3);
    assert.deepEqual([r.decision?.action, r.decision?.target_replicas], ['hold', 4]);
  });

  it('times out a source that does not answer, as a failure', async () => {
    const { checkService } = createScalerActivities(fakePlugins(new FakeRuntime(3), new SilentQueueSource()), { sourceTimeoutMs: 200 });
    const began = Date.now();
    const r = await checkService(input());
    assert.ok(Date.now() - began < 5000);
    assert.deepEqual(r.failures.map((f) => [f.source, f.error]), [['queue', 'UnavailableError: the queue source did not answer within 0.2 s']]);
    assert.deepEqual([r.replicas, r.decision?.action], [3, 'hold']);
  });

  it('decides nothing when the replica count is unknown (no runtime reading, none before)', async () => {
    const runtime = new FakeRuntime(1);
    runtime.observe = () => Promise.reject(new Error('docker: socket not found'));
    const { checkService } = createScalerActivities(fakePlugins(runtime, new FakeQueueSource()));
    const r = await checkService(input());
    assert.deepEqual([r.replicas, r.decision, r.failures[0]?.source], [null, null, 'runtime']);
    const known = await checkService(input({ last_replicas: 2 }));
    assert.equal(known.replicas, 2);
    assert.ok(known.decision !== null);
  });
});
