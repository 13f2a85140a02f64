// The watch's history watch against a FAKE workflow service (the real one is exercised by the
// workflow tests): it stops polling when its watch is done, and without a long poll (the worker's
// budget taken, or the frontend saying RESOURCE_EXHAUSTED) it glances at the newest events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { historyWatch } from '../../src/activities/watch-service';
import { LongPollBudget } from '../../src/activities/history-long-polls';
import { within } from '../harness/within';

const T = temporal.api.enums.v1.EventType;
type Event = temporal.api.history.v1.IHistoryEvent;
const scheduled: Event = { eventType: T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, activityTaskScheduledEventAttributes: { activityId: '7' } };
const signaled: Event = { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED };

/** Waits (up to 10 s, the machine may be busy) until `ok`. */
async function until(ok: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !ok() && Date.now() < deadline; ) await sleep(5);
}

/** A FAKE workflow service: long polls return after 5 ms with nothing new; counts the calls. */
function fakeService(o: { exhausted?: boolean; newest?: () => Event[] } = {}) {
  const calls = { long: 0, reverse: 0 };
  const service = {
    getWorkflowExecutionHistory: async (req: { nextPageToken?: Uint8Array }) => {
      calls.long += 1;
      if (o.exhausted) throw Object.assign(new Error('namespace count limit exceeded'), { code: 8 });
      await sleep(5);
      return { history: { events: req.nextPageToken ? [] : [scheduled] }, nextPageToken: new Uint8Array([1]) };
    },
    getWorkflowExecutionHistoryReverse: async () => {
      calls.reverse += 1;
      return { history: { events: o.newest?.() ?? [scheduled] } };
    },
  };
  return { client: { workflowService: service } as unknown as Client, calls };
}

describe('historyWatch', () => {
  it('stops long-polling once its watch is done (a finished watch leaves no poll loop behind)', async () => {
    const { client, calls } = fakeService();
    const budget = new LongPollBudget(10);
    const done = new AbortController();
    const w = historyWatch(client, 'ns', 'wf', 'run', '7', 1000, budget)(done.signal);
    try {
      await until(() => calls.long > 3);
      assert.ok(calls.long > 3, `it long-polls: ${calls.long}`);
      assert.equal(budget.inUse, 1);
    } finally {
      done.abort();
    }
    assert.equal(await within(w, 1000, 'still polling'), 'event');
    const after = calls.long;
    await sleep(60);
    assert.equal(calls.long, after, 'no poll after the watch is done');
    assert.equal(budget.inUse, 0, 'its long poll is given back');
  });

  it('without room in the budget, glances at the newest events every interval and wakes on a signal after its schedule', async () => {
    let newest: Event[] = [scheduled];
    const { client, calls } = fakeService({ newest: () => newest });
    const budget = new LongPollBudget(0);
    const done = new AbortController();
    const w = historyWatch(client, 'ns', 'wf', 'run', '7', 20, budget)(done.signal);
    try {
      await until(() => calls.reverse >= 3);
      assert.equal(calls.long, 0, 'no long poll');
      assert.ok(calls.reverse >= 3, `glances: ${calls.reverse}`);
      newest = [signaled, scheduled];
      assert.equal(await within(w, 5000, 'asleep'), 'event');
    } finally {
      done.abort();
    }
  });

  it('a `refresh` signal is a read; any other signal, and any update (one named refresh too), is an event', async () => {
    const refresh: Event = { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, workflowExecutionSignaledEventAttributes: { signalName: 'refresh' } };
    const pause: Event = { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, workflowExecutionSignaledEventAttributes: { signalName: 'pause' } };
    const update: Event = { eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { input: { name: 'refresh' } } } };
    for (const [newest, kind] of [[refresh, 'read'], [pause, 'event'], [update, 'event']] as const) {
      const { client } = fakeService({ newest: () => [newest, scheduled] });
      const done = new AbortController();
      try {
        assert.equal(await within(historyWatch(client, 'ns', 'wf', 'run', '7', 10, new LongPollBudget(0))(done.signal), 5000, 'asleep'), kind);
      } finally {
        done.abort();
      }
    }
  });

  it('glancing, a closed workflow ends it', async () => {
    const { client } = fakeService({ newest: () => [{ eventType: T.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED }, scheduled] });
    const done = new AbortController();
    const w = historyWatch(client, 'ns', 'wf', 'run', '7', 10_000, new LongPollBudget(0))(done.signal);
    try {
      assert.equal(await within(w, 5000, 'asleep'), 'event');
    } finally {
      done.abort();
    }
  });

  it('a signal from before its schedule does not wake it', async () => {
    const { client } = fakeService({ newest: () => [scheduled, signaled] });
    const done = new AbortController();
    const w = historyWatch(client, 'ns', 'wf', 'run', '7', 10, new LongPollBudget(0))(done.signal);
    try {
      assert.equal(await within(w, 80, 'asleep'), 'asleep');
    } finally {
      done.abort();
    }
    assert.equal(await w, 'event');
  });

  it('told RESOURCE_EXHAUSTED by the frontend, gives its long poll back and glances instead (the watch goes on)', async () => {
    const { client, calls } = fakeService({ exhausted: true });
    const budget = new LongPollBudget(10);
    const done = new AbortController();
    const w = historyWatch(client, 'ns', 'wf', 'run', '7', 20, budget)(done.signal);
    try {
      await until(() => calls.reverse >= 2);
      assert.equal(await within(w, 50, 'asleep'), 'asleep', 'not woken by the error');
      assert.equal(calls.long, 1);
      assert.ok(calls.reverse >= 2);
      assert.equal(budget.inUse, 0);
    } finally {
      done.abort();
    }
    await w;
  });
});
