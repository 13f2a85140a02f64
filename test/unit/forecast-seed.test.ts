// The forecast's model learned from a service's recording (issue 30): the recorded arrivals between
// checks replayed through the burst record and the period search, so a scaler started (or with its
// forecast switched on) after hours of recorded recurring bursts knows them at its first check.
import '../harness/temp-state-dir';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { createScalerActivities } from '../../src/activities/scaler-activities';
import { ServiceSchema } from '../../src/config/service';
import { seedRecurring, type RecordedInterval } from '../../src/decide/strategies/predictive/recurring/seed';
import type { CheckInput } from '../../src/model/check';
import { TrafficRecorder } from '../../src/recording/recorder';
import { RecordingStore } from '../../src/recording/store';
import { recurringTrace } from '../../src/simulate/recurring';
import { FakeQueueSource, FakeRuntime, fakePlugins } from '../harness/fake-plugins';

const T0 = Date.UTC(2026, 11, 1) / 1000;

/** Eight hours of a 10-minute batch beside an hourly job, as arrivals per 10 s check. */
function intervals(): RecordedInterval[] {
  const { trace } = recurringTrace({ seed: 7, span: 8 * 3600 });
  const out: RecordedInterval[] = [];
  for (let s = 0; s + 10 <= trace.span; s += 10) {
    let count = 0;
    for (let k = s; k < s + 10; k++) count += trace.counts[k]!;
    out.push({ start: T0 + s, end: T0 + s + 10, count });
  }
  return out;
}

describe('forecast model from a recording', () => {
  it('finds the 10-minute and the hourly series in recorded arrivals', () => {
    const m = seedRecurring(intervals(), 10, 2);
    assert.deepEqual(m.periods.map((p) => Math.round(p.seconds / 10) * 10), [600, 3600]);
    assert.ok(m.bursts.length >= 40 && m.bursts.length <= 64, `${m.bursts.length} bursts`);
    assert.equal(m.last_at, null);
    assert.deepEqual([m.expected, m.outcomes], [[], []]);
  });

  it('skips a gap in the recording instead of reading its arrivals as a burst', () => {
    const all = intervals();
    const gap = [...all.slice(0, 100), { start: all[99]!.end, end: all[99]!.end + 3600, count: 5000 }, ...all.slice(460)];
    const m = seedRecurring(gap, 10, 2);
    assert.ok(!m.bursts.some((b) => b.at === all[99]!.end), 'no burst at the gap');
  });

  it('is read by the check when a scaler with sla.forecast has no model yet, and not again once it has one', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-seed-'));
    const service = ServiceSchema.parse({
      name: 'w',
      min_replicas: 1,
      max_replicas: 50,
      check_interval: 10,
      strategy: 'predictive',
      sla: { max_pickup_seconds: 30, service_time_seconds: 1, forecast: { mode: 'shadow' } },
      queue: { kind: 'nats', stream: 'S', consumer: 'c' },
      recording: { dir: root },
    });
    // The rows a worker wrote: the source's cumulative counter of arrivals (ci) at each check.
    const store = new RecordingStore();
    const target = { dir: path.join(root, 'p', 'w'), retention_s: 14 * 86400 };
    let ci = 0;
    for (const i of intervals()) {
      await store.appendCheck(target, i.start, () => ({ v: 1, t: i.start, ci, cid: 'q' }));
      ci += i.count;
    }
    await store.flush();
    const now = T0 + 8 * 3600 + 5;
    const queue = new FakeQueueSource();
    queue.observations = { 'queue.backlog': 0, 'queue.ack_pending': 0, 'queue.rate_in': 0.5 };
    const recorder = new TrafficRecorder({ root });
    const { checkService } = createScalerActivities(fakePlugins(new FakeRuntime(1), queue), { recorder });
    const input: CheckInput = { project: 'p', service, now, queue_state: null, last_replicas: null, paused: false, metric_failures: 0 };
    const first = await checkService(input);
    const forecast = (first.decision!.details.proposal as { forecast: { bursts_seen: number; periods: Array<{ seconds: number }> } }).forecast;
    assert.ok(forecast.bursts_seen >= 40, `${forecast.bursts_seen} bursts learned from the recording`);
    assert.deepEqual(forecast.periods.map((p) => Math.round(p.seconds / 10) * 10), [600, 3600]);
    // With a model in the state, the recording is not read again (an emptied one changes nothing).
    await recorder.flush();
    fs.rmSync(root, { recursive: true });
    const second = await checkService({ ...input, now: now + 10, engine: first.decision!.state });
    assert.equal((second.decision!.details.proposal as { forecast: { bursts_seen: number } }).forecast.bursts_seen, forecast.bursts_seen);
    // Off, nothing is read or kept.
    const off = await checkService({ ...input, service: { ...service, sla: { ...service.sla!, forecast: { ...service.sla!.forecast, mode: 'off' } } } });
    assert.equal(off.decision!.state.predictive?.recurring, undefined);
  });
});
