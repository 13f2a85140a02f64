// The fleet benchmark (issue 4): N scaler workflows on ONE worker and the real Temporal dev
// server, with the in-memory FAKE runtime and queue source of test/harness/fake-plugins.ts (so
// the figures are Temporal's and the workflow's, not Docker's or NATS's). Measures tick lateness
// and worker memory. Goal on this 2-core machine: 500 services at a 5 s interval, p99 < 1 s.
//
// Two measures per check, over a window after every workflow has run one interval:
// - tick lateness: how late the check began against its schedule. Each scaler checks on its own
//   grid (src/workflows/check-schedule.ts: every check_interval at a phase fixed by its id), and
//   sets next_check_at to the grid point its timer is for; the check then begins at the workflow
//   time of the task after the timer fired. Both are read from each workflow's event history (the
//   grid point nearest to where the TimerStarted asks to fire, and the first WorkflowTaskStarted
//   after the TimerFired), which is exactly `at_k - next_check_at_{k-1}` of the `status` query;
// - interval drift: at_k - (at_{k-1} + check_interval), the start of a check against the start of
//   the one before (the `history` query's `at`, read from the same event histories).
// The histories are read after the workflows are terminated (from the server alone), so reading
// them neither needs nor disturbs the worker.
import fs from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { PluginLookup } from '../src/activities/scaler-activities';
import { ServiceSchema, type ServiceConfig } from '../src/config/service';
import { startDevServer, type DevServer } from '../src/dev/temporal-server';
import { createScalerWorker } from '../src/worker';
import { checkPhase } from '../src/workflows/check-schedule';
import { WORKFLOW_TYPE, scalerWorkflowId } from '../src/workflows/definitions';
import type { ScalerInput } from '../src/workflows/scaler-state';
import { FakeQueueSource, FakeRuntime } from '../test/harness/fake-plugins';
import { readProcStat, readVmRssKb, ticksPerSecond, type ProcStat } from '../src/runtimes/proc-stats';

export interface FleetRun {
  services: number;
  checkInterval: number;
  /** Seconds the lateness was measured over. */
  measuredSeconds: number;
  /** Seconds to start every workflow. */
  startSeconds: number;
  /** Checks measured (pairs of consecutive history entries inside the window). */
  ticks: number;
  /** Checks expected in the window: services x window / interval. */
  expectedTicks: number;
  /** Tick lateness (s): check start - its scheduled time. */
  latenessP50: number;
  latenessP99: number;
  latenessMax: number;
  /** Interval drift (s): check start - (previous check start + interval). */
  driftP50: number;
  driftP99: number;
  driftMax: number;
  /** p99 of: how late the server fired the timer; how long workflow tasks waited for the worker; how long the worker held one (its local activities included). */
  timerLateP99: number;
  workflowTaskWaitP99: number;
  workflowTaskRunP99: number;
  /** Largest RSS of the benchmark process (the worker and its client), MiB. */
  workerRssMiB: number;
  /** Largest RSS of the dev server process(es), MiB; null when not found. */
  serverRssMiB: number | null;
  /** CPU of the worker process, % of one core, averaged over the window. */
  workerCpuPct: number;
  serverCpuPct: number | null;
  /** Mean 1-minute load average of the machine over the window (other work on it included). */
  loadAverage: number;
  /** Workflows whose start or event history failed. */
  failures: number;
}

export interface FleetOptions {
  sizes: number[];
  checkInterval: number;
  measureSeconds: number;
  log?: (line: string) => void;
}

const START_CONCURRENCY = 50;
const QUERY_CONCURRENCY = 25;

/** Runs `work` over `items`, at most `limit` at a time; a failed item gives null (never abandons the rest). */
async function pool<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<Array<R | null>> {
  const out: Array<R | null> = new Array(items.length).fill(null);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!).catch(() => null);
      }
    }),
  );
  return out;
}

function fleetService(i: number, checkInterval: number): ServiceConfig {
  return ServiceSchema.parse({
    name: `svc-${i}`,
    min_replicas: 1,
    max_replicas: 10,
    check_interval: checkInterval,
    rules: {
      scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 1000 }],
      scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: 5 }],
    },
    // Each service its own fake queue (keyed by consumer) and fake runtime (keyed by name).
    queue: { kind: 'nats', stream: 'BENCH', consumer: `svc-${i}` },
  });
}

/** One FakeRuntime and FakeQueueSource per service: steady traffic, so decisions hold. */
function fleetPlugins(): PluginLookup {
  const runtimes = new Map<string, FakeRuntime>();
  const queues = new Map<string, FakeQueueSource>();
  return {
    runtimeFor: (target) => {
      let r = runtimes.get(target.service.name);
      if (!r) runtimes.set(target.service.name, (r = new FakeRuntime(2)));
      return r;
    },
    queueSourceFor: (config) => {
      const key = 'consumer' in config ? String(config.consumer) : 'default';
      let q = queues.get(key);
      if (!q) {
        q = new FakeQueueSource();
        q.observations = { 'queue.backlog': 100, 'queue.ack_pending': 2, 'queue.lag': 102, 'queue.rate_in': 5, 'queue.rate_out': 5, 'queue.oldest_age_s': 3 };
        queues.set(key, q);
      }
      return q;
    },
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface ProcTimes {
  rssMiB: number;
  cpuTicks: number;
}

/** RSS and CPU ticks of this process's descendants (the dev server), from /proc; null off Linux. */
function descendants(): ProcTimes | null {
  try {
    const stats = new Map<number, ProcStat>();
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const st = readProcStat(Number(name)); // undefined when the process ended meanwhile
      if (st) stats.set(st.pid, st);
    }
    const mine = new Set<number>([process.pid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const st of stats.values()) if (!mine.has(st.pid) && mine.has(st.ppid)) (mine.add(st.pid), (grew = true));
    }
    mine.delete(process.pid);
    if (mine.size === 0) return null;
    let rssKb = 0;
    let ticks = 0;
    for (const pid of mine) {
      ticks += stats.get(pid)?.ticks ?? 0;
      rssKb += readVmRssKb(pid) ?? 0;
    }
    return { rssMiB: rssKb / 1024, cpuTicks: ticks };
  } catch {
    return null;
  }
}

// temporal.api.enums.v1.EventType values.
const WORKFLOW_TASK_SCHEDULED = 5;
const WORKFLOW_TASK_STARTED = 6;
const WORKFLOW_TASK_COMPLETED = 7;
const TIMER_STARTED = 17;
const TIMER_FIRED = 18;

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
interface ProtoTime {
  seconds?: number | { toString(): string } | null;
  nanos?: number | null;
}

function seconds(t: ProtoTime | null | undefined): number {
  if (!t) return NaN;
  const s = typeof t.seconds === 'number' ? t.seconds : Number(t.seconds?.toString() ?? 0);
  return s + (t.nanos ?? 0) / 1e9;
}

/**
 * Tick lateness and interval drift of every check that began inside [from, to], from one
 * workflow's event history. A check begins with the first workflow task (the first check) or the
 * first one after a timer fired.
 */
interface CheckTimes {
  lateness: number[];
  drift: number[];
  /** Where lateness comes from: the server firing the timer late, or tasks waiting for the worker. */
  timerLate: number[];
  workflowTaskWait: number[];
  workflowTaskRun: number[];
}

const CHECK_TIME_KEYS: Array<keyof CheckTimes> = ['lateness', 'drift', 'timerLate', 'workflowTaskWait', 'workflowTaskRun'];

function checkTimes(history: History, interval: number, phase: number, from: number, to: number): CheckTimes {
  const offset = phase * interval;
  const gridPoint = (t: number) => Math.round((t - offset) / interval) * interval + offset;
  const lateness: number[] = [];
  const drift: number[] = [];
  const timerLate: number[] = [];
  const workflowTaskWait: number[] = [];
  const workflowTaskRun: number[] = [];
  let lastTaskStart = NaN;
  let lastCheckStart = NaN;
  let taskScheduled = NaN;
  const timerFireAt = new Map<string, number>();
  const expected = new Map<string, number>();
  let firedExpected: number | null = null;
  let first = true;
  for (const e of history.events ?? []) {
    const type = Number(e.eventType);
    const at = seconds(e.eventTime);
    const inWindow = at >= from && at <= to;
    if (type === WORKFLOW_TASK_SCHEDULED) taskScheduled = at;
    else if (type === WORKFLOW_TASK_COMPLETED && inWindow && !Number.isNaN(lastTaskStart)) workflowTaskRun.push(Math.max(0, at - lastTaskStart));
    if (type === WORKFLOW_TASK_STARTED) {
      // Tasks scheduled inside the window only: the first task of every workflow waits out the start-up burst.
      if (inWindow && taskScheduled >= from) workflowTaskWait.push(Math.max(0, at - taskScheduled));
      lastTaskStart = at;
      if (first || firedExpected !== null) {
        if (at >= from && at <= to) {
          if (firedExpected !== null) lateness.push(Math.max(0, at - firedExpected));
          if (!Number.isNaN(lastCheckStart)) drift.push(Math.max(0, at - lastCheckStart - interval));
        }
        lastCheckStart = at;
        firedExpected = null;
        first = false;
      }
    } else if (type === TIMER_STARTED) {
      const a = e.timerStartedEventAttributes;
      expected.set(a?.timerId ?? '', gridPoint(at + seconds(a?.startToFireTimeout)));
      timerFireAt.set(a?.timerId ?? '', at + seconds(a?.startToFireTimeout));
    } else if (type === TIMER_FIRED) {
      const id = e.timerFiredEventAttributes?.timerId ?? '';
      firedExpected = expected.get(id) ?? null;
      const fireAt = timerFireAt.get(id);
      if (fireAt !== undefined && inWindow) timerLate.push(Math.max(0, at - fireAt));
      expected.delete(id);
      timerFireAt.delete(id);
    }
  }
  return { lateness, drift, timerLate, workflowTaskWait, workflowTaskRun };
}

async function runOne(client: Client, taskQueue: string, n: number, o: FleetOptions, round: number): Promise<FleetRun> {
  const log = o.log ?? (() => undefined);
  const project = `fleet${round}x${n}`;
  const services = Array.from({ length: n }, (_, i) => fleetService(i, o.checkInterval));
  const ids = services.map((s) => scalerWorkflowId(project, s.name));
  const startedAt = Date.now();
  const started = await pool(services, START_CONCURRENCY, (service) => {
    const input: ScalerInput = { project, service, search_attributes: true };
    return client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId(project, service.name), taskQueue, args: [input] });
  });
  const startSeconds = (Date.now() - startedAt) / 1000;
  const startFailures = started.filter((h) => h === null).length;
  log(`fleet: ${n} workflows started in ${startSeconds.toFixed(1)} s${startFailures ? ` (${startFailures} failed to start)` : ''}; settling for two intervals`);
  let windowStart = 0;
  let windowEnd = 0;
  let workerRss = 0;
  let serverRss: number | null = null;
  let cpu = { user: 0, system: 0 };
  let serverBefore: ProcTimes | null = null;
  let serverAfter: ProcTimes | null = null;
  const loads: number[] = [];
  try {
    await sleep(2 * o.checkInterval * 1000 + 1000);
    windowStart = Date.now() / 1000;
    const cpuBefore = process.cpuUsage();
    serverBefore = descendants();
    const deadline = Date.now() + o.measureSeconds * 1000;
    while (Date.now() < deadline) {
      workerRss = Math.max(workerRss, process.memoryUsage().rss / 2 ** 20);
      const d = descendants();
      if (d) serverRss = Math.max(serverRss ?? 0, d.rssMiB);
      loads.push(os.loadavg()[0]!);
      await sleep(1000);
    }
    windowEnd = Date.now() / 1000;
    cpu = process.cpuUsage(cpuBefore);
    serverAfter = descendants();
  } finally {
    await pool(ids, START_CONCURRENCY, (id) => client.workflow.getHandle(id).terminate('fleet benchmark done'));
  }
  const wall = windowEnd - windowStart;
  const events = await pool(ids, QUERY_CONCURRENCY, (id) => client.workflow.getHandle(id).fetchHistory());
  const all: CheckTimes = { lateness: [], drift: [], timerLate: [], workflowTaskWait: [], workflowTaskRun: [] };
  for (const [i, h] of events.entries()) {
    if (h === null) continue;
    const t = checkTimes(h, o.checkInterval, checkPhase(ids[i]!), windowStart, windowEnd);
    for (const k of CHECK_TIME_KEYS) for (const v of t[k]) all[k].push(v);
  }
  for (const k of CHECK_TIME_KEYS) all[k].sort((a, b) => a - b);
  const { lateness, drift } = all;
  const run: FleetRun = {
    services: n,
    checkInterval: o.checkInterval,
    measuredSeconds: wall,
    startSeconds,
    ticks: lateness.length,
    expectedTicks: Math.floor((n * wall) / o.checkInterval),
    latenessP50: percentile(lateness, 50),
    latenessP99: percentile(lateness, 99),
    latenessMax: lateness.length ? lateness[lateness.length - 1]! : NaN,
    driftP50: percentile(drift, 50),
    driftP99: percentile(drift, 99),
    driftMax: drift.length ? drift[drift.length - 1]! : NaN,
    timerLateP99: percentile(all.timerLate, 99),
    workflowTaskWaitP99: percentile(all.workflowTaskWait, 99),
    workflowTaskRunP99: percentile(all.workflowTaskRun, 99),
    workerRssMiB: workerRss,
    serverRssMiB: serverRss,
    workerCpuPct: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
    serverCpuPct: serverBefore && serverAfter ? ((serverAfter.cpuTicks - serverBefore.cpuTicks) / ticksPerSecond() / wall) * 100 : null,
    loadAverage: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : NaN,
    failures: startFailures + events.filter((h) => h === null).length,
  };
  log(
    `fleet: ${n} services: ${run.ticks} checks, lateness p50 ${run.latenessP50.toFixed(3)} s, p99 ${run.latenessP99.toFixed(3)} s ` +
      `(drift p99 ${run.driftP99.toFixed(3)} s; p99 timer late ${run.timerLateP99.toFixed(3)} s, workflow task wait ${run.workflowTaskWaitP99.toFixed(3)} s, workflow task run ${run.workflowTaskRunP99.toFixed(3)} s), worker RSS ${run.workerRssMiB.toFixed(0)} MiB, load average ${run.loadAverage.toFixed(1)}`,
  );
  return run;
}

export async function benchFleet(o: FleetOptions): Promise<{ runs: FleetRun[]; serverKind: string }> {
  const log = o.log ?? (() => undefined);
  let server: DevServer | undefined;
  const taskQueue = `bench-fleet-${process.pid}`;
  try {
    // The SDK logs every worker state change at INFO; warnings are enough here.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // a runtime was installed already (e.g. with metrics): keep it
  }
  try {
    server = await startDevServer({ port: 0, ui: false, log });
    log(`fleet: Temporal dev server at ${server.address} (${server.kind})`);
    const temporal = { namespace: server.namespace, task_queue: taskQueue };
    const { worker, connection: workerConnection } = await createScalerWorker({ temporal, address: server.address, plugins: fleetPlugins() });
    const running = worker.run();
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection, namespace: server.namespace });
    const runs: FleetRun[] = [];
    try {
      for (let i = 0; i < o.sizes.length; i++) runs.push(await runOne(client, taskQueue, o.sizes[i]!, o, i));
    } finally {
      worker.shutdown();
      await running.catch(() => undefined);
      await workerConnection.close();
      await connection.close();
    }
    return { runs, serverKind: server.kind };
  } finally {
    await server?.stop();
  }
}
