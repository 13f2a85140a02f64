// What a quiet scaler costs Temporal (issue 15), counted by the dev server itself: its `action`
// counter for the namespace (what Temporal Cloud bills) and the events its history gains. Count
// based, not timed: the scalers run the default design scaled down 40 times in time (check every
// 0.25 s, quiet stretches of 7.5 s, a heartbeat every 1.5 s: the ratios of a 10 s interval with
// the defaults, the dearer of the two intervals the goal names), and the budget is per check.
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { ServiceSchema } from '../../src/config/service';
import { startDevServer, type DevServer } from '../../src/dev/temporal-server';
import { readPresent } from '../../src/control/scalers';
import { WORKFLOW_TYPE, historyQuery, scalerWorkflowId, statusQuery } from '../../src/workflows/definitions';
import { WATCH_HEARTBEAT_SECONDS, WATCH_QUIET_SECONDS } from '../../src/workflows/scaler-activity-options';
import type { ScalerInput } from '../../src/model/scaler-state';
import { createScalerWorker } from '../../src/worker';
import { FakeFleet } from '../harness/fake-plugins';
import { actionsBetween, scrapeActions } from '../harness/temporal-actions';

// A read: the refresh signal, the present query (a second one now and then, when the hand-over
// outlasts the first's hold) and the watch started after it: 2.6-2.8 measured here.
const BUDGET = { actionsPerCheck: 0.25, eventsPerCheck: 1, actionsPerRead: 3.5 };
const SCALE = 40;
const INTERVAL = 10 / SCALE;
const SCALERS = 3;
const TASK_QUEUE = 'cost-test';
let server: DevServer;
let connection: Connection;

before(async () => {
  server = await startDevServer({ port: 0, ui: false, metricsPort: 0 });
  connection = await Connection.connect({ address: server.address });
});

after(async () => {
  await connection?.close();
  await server?.stop();
});

it('a scaler with nothing to change (its backlog moving) costs at most 0.25 actions and 1 history event per check, by the server\'s own counter', async () => {
  assert.ok(server.metricsUrl, 'the dev server serves its metrics (temporal server start-dev --metrics-port)');
  const fleet = new FakeFleet();
  const { worker, connection: wc } = await createScalerWorker({ temporal: { namespace: 'default', task_queue: TASK_QUEUE }, address: server.address, plugins: fleet });
  const client = new Client({ connection });
  const quiet = WATCH_QUIET_SECONDS / SCALE;
  await worker.runUntil(async () => {
    const handles = await Promise.all(
      Array.from({ length: SCALERS }, async (_, i) => {
        const name = `quiet-${i}`;
        fleet.runtime(name, 2);
        // A busy queue in steady state: the backlog moves at every check, between the thresholds.
        const queue = fleet.queue(name);
        Object.defineProperty(queue, 'observations', { get: () => ({ 'queue.backlog': 20 + (queue.reads % 50) }) });
        const service = ServiceSchema.parse({
          name, min_replicas: 1, max_replicas: 6, check_interval: INTERVAL,
          rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }], scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 10 }] },
          queue: { kind: 'nats', stream: 'S', consumer: name },
        });
        const input: ScalerInput = { project: 'cost', service, watch: { quiet_seconds: quiet, heartbeat_seconds: WATCH_HEARTBEAT_SECONDS / SCALE } };
        return client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId('cost', name), taskQueue: TASK_QUEUE, args: [input] });
      }),
    );
    // Steady state: after every scaler's first quiet stretch, over two more.
    await sleep((quiet + 1) * 1000);
    const from = Date.now() / 1000;
    const a = await scrapeActions(server.metricsUrl!, 'default');
    await sleep(2 * quiet * 1000);
    const b = await scrapeActions(server.metricsUrl!, 'default');
    const to = Date.now() / 1000;
    const spent = actionsBetween(a, b);
    let checks = 0;
    let events = 0;
    for (const [i, h] of handles.entries()) {
      checks += fleet.queue(`quiet-${i}`).readAt.filter((t) => t >= from && t <= to).length;
      for (const e of (await h.fetchHistory()).events ?? []) {
        const t = Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
        if (t >= from && t <= to) events += 1;
      }
    }
    const expected = (SCALERS * (to - from)) / INTERVAL;
    const said = `${spent.total} actions (${JSON.stringify(spent.byType)}) and ${events} events for ${checks} checks`;
    process.stderr.write(`durable cost: ${said}: ${(spent.total / checks).toFixed(3)} actions/check, ${(events / checks).toFixed(2)} events/check\n`);
    assert.ok(checks >= 0.7 * expected, `the scalers checked on time: ${checks} checks, ${expected.toFixed(0)} expected`);
    assert.ok(spent.total <= BUDGET.actionsPerCheck * checks, `over the action budget: ${said}`);
    assert.ok(events <= BUDGET.eventsPerCheck * checks, `over the event budget: ${said}`);
    // Nothing was lost to the folding: every check is in exactly one history entry.
    for (const h of handles) {
      const st = await h.query(statusQuery);
      const hist = await h.query(historyQuery, {});
      assert.equal(hist.reduce((n, e) => n + (e.checks ?? 1), 0), st.checks);
      assert.ok(hist.length <= 2, `identical decisions fold: ${hist.length} entries for ${st.checks} checks`);
    }

    // Reads (the `refresh` signal and the `present` query, as docktor status/explain make them):
    // each sees every check that has completed, and costs a few actions on top of the steady state.
    const control = { client, namespace: 'default', taskQueue: TASK_QUEUE, close: async () => undefined };
    const perSecond = spent.total / (to - from);
    // The server adds actions to its counter a moment late: the queries above would count as reads'.
    await sleep(2000);
    const c = await scrapeActions(server.metricsUrl!, 'default');
    const readsFrom = Date.now() / 1000;
    let reads = 0;
    while (Date.now() / 1000 < readsFrom + 2 * quiet) {
      for (const [i, h] of handles.entries()) {
        const reads0 = fleet.queue(`quiet-${i}`).readAt;
        const before = reads0.length;
        const { status } = await readPresent(control, h, 1);
        reads += 1;
        // Every check begun before the read is in its answer (one in progress is finished first).
        assert.ok(status.checks >= before, `a read missed checks: ${status.checks} recorded, ${before} begun before it`);
      }
      await sleep((quiet / 3) * 1000);
    }
    const d = await scrapeActions(server.metricsUrl!, 'default');
    const withReads = actionsBetween(c, d);
    const perRead = (withReads.total - perSecond * (Date.now() / 1000 - readsFrom)) / reads;
    process.stderr.write(`durable cost: ${reads} reads: ${withReads.total} actions (${JSON.stringify(withReads.byType)}), ${perRead.toFixed(2)} actions per read above the steady state\n`);
    assert.ok(perRead <= BUDGET.actionsPerRead, `a read costs ${perRead.toFixed(2)} actions: ${JSON.stringify(withReads.byType)}`);
    await Promise.all(handles.map((h) => h.terminate()));
  });
  await wc.close();
});

