// The fleet benchmark (issue 4): N scaler workflows on ONE worker and the real Temporal dev
// server, with the in-memory FAKE runtime and queue source of test/harness/fake-plugins.ts (so
// the figures are Temporal's and the workflow's, not Docker's or NATS's). Measures tick lateness,
// worker memory, and what the fleet costs Temporal (issue 15). Goal on this 2-core machine: 500
// services at a 5 s interval, p99 < 1 s.
//
// Measured over a window in steady state (`settleSeconds` after the last start; by default the
// first quiet stretch of every scaler, after its short ones, and two intervals: the start-up
// burst of N first checks, records and short stretches is not what a fleet does the rest of the day):
// - tick lateness: how late a check began against its schedule. Each scaler checks on its own
//   grid (src/model/check-schedule.ts: every check_interval at a phase fixed by its id); a
//   check begins when it reads its queue source, whose time the bench's fake source records. So
//   lateness = read time - the grid point it is for, whatever runs the checks (a timer and a
//   local activity per check, or a watch activity that runs many);
// - interval drift: between the starts of consecutive checks of one scaler, minus check_interval;
// - cost: the server's own `action` counter for the namespace (what Temporal Cloud bills;
//   test/harness/temporal-actions.ts) at the window's ends, and the events the workflows' histories
//   gained inside it (count and encoded bytes), per check and per second.
// The histories are read after the workflows are terminated (from the server alone), so reading
// them neither needs nor disturbs the worker. The event histories also say where lateness comes
// from when timers drive the checks (timer fired late, workflow task wait and run).
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { PluginLookup } from '../src/sources/collect';
import { ServiceSchema, type ServiceConfig } from '../src/config/service';
import { startDevServer, type DevServer } from '../src/dev/temporal-server';
import { createScalerWorker } from '../src/worker';
import { checkPhase } from '../src/model/check-schedule';
import { WORKFLOW_TYPE, scalerWorkflowId } from '../src/workflows/definitions';
import { ACTIVE_QUIET_SHARE, WATCH_QUIET_SECONDS } from '../src/workflows/scaler-activity-options';
import type { ScalerInput } from '../src/model/scaler-state';
import { FakeQueueSource, FakeRuntime } from '../test/harness/fake-plugins';
import { actionsBetween, scrapeActions, type ActionCount } from '../test/harness/temporal-actions';
import { readProcStat, readVmRssKb, ticksPerSecond, type ProcStat } from '../src/runtimes/proc-stats';
import { FLEET_WORKER_ENV, FleetWorkerReply, type FleetWorkerArgs, type FleetWorkerRequest } from './fleet-ipc';

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
  /** p99 of how long activities (the watches) waited to be picked up by a worker (schedule-to-start). */
  activityWaitP99: number;
  workflowTaskRunP99: number;
  /** Worker processes; 0: one worker in the benchmark's own process, beside its client. */
  workers: number;
  /** Largest RSS of a worker process over the window, MiB (one figure per worker in workerRssMiBEach). */
  workerRssMiB: number;
  workerRssMiBEach: number[];
  /** Largest RSS of the dev server process(es), MiB; null when not found. */
  serverRssMiB: number | null;
  /** CPU of the worker processes together, % of one core, averaged over the window (each in workerCpuPctEach). */
  workerCpuPct: number;
  workerCpuPctEach: number[];
  serverCpuPct: number | null;
  /** Mean 1-minute load average of the machine over the window (other work on it included). */
  loadAverage: number;
  /** Workflows whose start or event history failed. */
  failures: number;
  /** Billable actions in the window (the server's counter; null without it), per check and per second. */
  actions: ActionCount | null;
  actionsPerCheck: number | null;
  actionsPerSecond: number | null;
  /** Events the histories gained in the window, and their encoded size. */
  historyEvents: number;
  eventsPerCheck: number;
  historyBytesPerCheck: number;
  historyBytesPerSecond: number;
}

export interface FleetOptions {
  sizes: number[];
  checkInterval: number;
  measureSeconds: number;
  /** Seconds between starting the workflows and the window (default: steadySettleSeconds). */
  settleSeconds?: number;
  /**
   * Per size (the last one for the sizes after it): worker processes (bench/fleet-worker.ts) on
   * one task queue, or 0 for one worker in this process (the default).
   */
  workers?: number[];
  /** Per size (the last one for the sizes after it): the check interval; default checkInterval. */
  intervals?: number[];
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

export interface FleetPlugins extends PluginLookup {
  /** Per service name, when its checks began (unix seconds): when they read the fake queue. */
  readTimes(service: string): number[];
  /** Every service's check starts at or after `from`. */
  readsSince(from: number): Record<string, number[]>;
}

/** One FakeRuntime and FakeQueueSource per service: steady traffic, so decisions hold. */
export function fleetPlugins(): FleetPlugins {
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
    // The consumer is the service's name (fleetService).
    readTimes: (service) => queues.get(service)?.readAt ?? [],
    readsSince: (from) => Object.fromEntries([...queues].map(([name, q]) => [name, q.readAt.filter((t) => t >= from)])),
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

/** RSS and CPU ticks of this process's descendants but `workers` and theirs (the dev server), from /proc; null off Linux. */
function descendants(workers: number[]): ProcTimes | null {
  try {
    const stats = new Map<number, ProcStat>();
    for (const name of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const st = readProcStat(Number(name)); // undefined when the process ended meanwhile
      if (st) stats.set(st.pid, st);
    }
    const mine = new Set<number>([process.pid]);
    const skip = new Set(workers);
    let grew = true;
    while (grew) {
      grew = false;
      for (const st of stats.values()) if (!mine.has(st.pid) && !skip.has(st.pid) && mine.has(st.ppid)) (mine.add(st.pid), (grew = true));
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
const ACTIVITY_TASK_SCHEDULED = 10;
const ACTIVITY_TASK_STARTED = 11;
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

/** What one workflow's event history says about the window [from, to]. */
interface HistoryTimes {
  /** Where lateness comes from when timers drive the checks. */
  timerLate: number[];
  workflowTaskWait: number[];
  activityWait: number[];
  workflowTaskRun: number[];
  /** Events inside the window, and their encoded size. */
  events: number;
  bytes: number;
}

const HISTORY_TIME_KEYS = ['timerLate', 'workflowTaskWait', 'workflowTaskRun', 'activityWait'] as const;

function historyTimes(history: History, from: number, to: number): HistoryTimes {
  const out: HistoryTimes = { timerLate: [], workflowTaskWait: [], workflowTaskRun: [], activityWait: [], events: 0, bytes: 0 };
  let lastTaskStart = NaN;
  let taskScheduled = NaN;
  const timerFireAt = new Map<string, number>();
  const activityScheduledAt = new Map<string, number>();
  for (const e of history.events ?? []) {
    const type = Number(e.eventType);
    const at = seconds(e.eventTime);
    const inWindow = at >= from && at <= to;
    if (inWindow) {
      out.events += 1;
      out.bytes += temporal.api.history.v1.HistoryEvent.encode(e).finish().length;
    }
    if (type === WORKFLOW_TASK_SCHEDULED) taskScheduled = at;
    else if (type === ACTIVITY_TASK_SCHEDULED) activityScheduledAt.set(String(e.eventId ?? ''), at);
    else if (type === ACTIVITY_TASK_STARTED) {
      const scheduledAt = activityScheduledAt.get(String(e.activityTaskStartedEventAttributes?.scheduledEventId ?? ''));
      if (scheduledAt !== undefined && scheduledAt >= from && scheduledAt <= to) out.activityWait.push(Math.max(0, at - scheduledAt));
    }
    else if (type === WORKFLOW_TASK_COMPLETED && inWindow && !Number.isNaN(lastTaskStart)) out.workflowTaskRun.push(Math.max(0, at - lastTaskStart));
    if (type === WORKFLOW_TASK_STARTED) {
      // Tasks scheduled inside the window only: the first task of every workflow waits out the start-up burst.
      if (inWindow && taskScheduled >= from) out.workflowTaskWait.push(Math.max(0, at - taskScheduled));
      lastTaskStart = at;
    } else if (type === TIMER_STARTED) {
      const a = e.timerStartedEventAttributes;
      timerFireAt.set(a?.timerId ?? '', at + seconds(a?.startToFireTimeout));
    } else if (type === TIMER_FIRED) {
      const id = e.timerFiredEventAttributes?.timerId ?? '';
      const fireAt = timerFireAt.get(id);
      if (fireAt !== undefined && inWindow) out.timerLate.push(Math.max(0, at - fireAt));
      timerFireAt.delete(id);
    }
  }
  return out;
}

/** Lateness (against the grid point nearest) and drift of the checks that began inside [from, to]. */
function checkTimes(reads: number[], interval: number, phase: number, from: number, to: number): { lateness: number[]; drift: number[] } {
  const offset = phase * interval;
  const lateness: number[] = [];
  const drift: number[] = [];
  let previous = NaN;
  for (const t of reads) {
    if (t >= from && t <= to) {
      const grid = Math.round((t - offset) / interval) * interval + offset;
      lateness.push(Math.max(0, t - grid));
      if (!Number.isNaN(previous)) drift.push(Math.max(0, t - previous - interval));
    }
    previous = t;
  }
  return { lateness, drift };
}

export interface FleetTarget {
  client: Client;
  taskQueue: string;
  /** The worker processes (this one when the worker runs in it). */
  workerPids: number[];
  /** When each service's checks began, at or after `from`, on whichever worker ran them. */
  readTimes(from: number): Promise<(service: string) => number[]>;
  /** The server's metrics (for its action counter), when it serves them. */
  metricsUrl?: string;
}

/**
 * Until a fleet started at once is in steady state: a scaler's first watch returns at its first
 * check, a short stretch follows (ACTIVE_QUIET_SHARE of a quiet one), then quiet stretches; the
 * window begins two intervals into the first of those.
 */
export function steadySettleSeconds(checkInterval: number): number {
  return Math.ceil(WATCH_QUIET_SECONDS * ACTIVE_QUIET_SHARE + 2 * checkInterval + 1);
}

export async function runOne(t: FleetTarget, n: number, o: FleetOptions, round: number): Promise<FleetRun> {
  const { client, taskQueue } = t;
  const namespace = client.options.namespace;
  const log = o.log ?? (() => undefined);
  const project = `fleet${round}x${n}i${o.checkInterval}`;
  const services = Array.from({ length: n }, (_, i) => fleetService(i, o.checkInterval));
  const ids = services.map((s) => scalerWorkflowId(project, s.name));
  const startedAt = Date.now();
  const started = await pool(services, START_CONCURRENCY, (service) => {
    const input: ScalerInput = { project, service, search_attributes: true };
    return client.workflow.start(WORKFLOW_TYPE, { workflowId: scalerWorkflowId(project, service.name), taskQueue, args: [input] });
  });
  const startSeconds = (Date.now() - startedAt) / 1000;
  const startFailures = started.filter((h) => h === null).length;
  const settle = o.settleSeconds ?? steadySettleSeconds(o.checkInterval);
  log(`fleet: ${n} workflows at ${o.checkInterval} s started in ${startSeconds.toFixed(1)} s${startFailures ? ` (${startFailures} failed to start)` : ''}; settling for ${settle} s`);
  let windowStart = 0;
  let windowEnd = 0;
  const pids = t.workerPids;
  const workerRss = pids.map(() => 0);
  const workerTicks = () => pids.map((pid) => readProcStat(pid)?.ticks ?? NaN);
  let ticksBefore = pids.map(() => NaN);
  let ticksAfter = pids.map(() => NaN);
  let serverRss: number | null = null;
  let serverBefore: ProcTimes | null = null;
  let serverAfter: ProcTimes | null = null;
  let actions: ActionCount | null = null;
  const loads: number[] = [];
  const scrape = () => (t.metricsUrl ? scrapeActions(t.metricsUrl, namespace).catch(() => null) : Promise.resolve(null));
  try {
    await sleep(settle * 1000);
    const actionsBefore = await scrape();
    windowStart = Date.now() / 1000;
    ticksBefore = workerTicks();
    serverBefore = descendants(pids);
    const deadline = Date.now() + o.measureSeconds * 1000;
    while (Date.now() < deadline) {
      for (const [i, pid] of pids.entries()) workerRss[i] = Math.max(workerRss[i]!, (readVmRssKb(pid) ?? 0) / 1024);
      const d = descendants(pids);
      if (d) serverRss = Math.max(serverRss ?? 0, d.rssMiB);
      loads.push(os.loadavg()[0]!);
      await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
    }
    windowEnd = Date.now() / 1000;
    const actionsAfter = await scrape();
    if (actionsBefore && actionsAfter) actions = actionsBetween(actionsBefore, actionsAfter);
    ticksAfter = workerTicks();
    serverAfter = descendants(pids);
  } finally {
    await pool(ids, START_CONCURRENCY, (id) => client.workflow.getHandle(id).terminate('fleet benchmark done'));
  }
  const wall = windowEnd - windowStart;
  const lateness: number[] = [];
  const drift: number[] = [];
  // From one interval before the window: the check before its first, for the drift.
  const readTimes = await t.readTimes(windowStart - 2 * o.checkInterval);
  for (const [i, s] of services.entries()) {
    const c = checkTimes(readTimes(s.name), o.checkInterval, checkPhase(ids[i]!), windowStart, windowEnd);
    lateness.push(...c.lateness);
    drift.push(...c.drift);
  }
  const histories = await pool(ids, QUERY_CONCURRENCY, (id) => client.workflow.getHandle(id).fetchHistory());
  const all: HistoryTimes = { timerLate: [], workflowTaskWait: [], workflowTaskRun: [], activityWait: [], events: 0, bytes: 0 };
  for (const h of histories) {
    if (h === null) continue;
    const x = historyTimes(h, windowStart, windowEnd);
    for (const k of HISTORY_TIME_KEYS) all[k].push(...x[k]);
    all.events += x.events;
    all.bytes += x.bytes;
  }
  for (const list of [lateness, drift, ...HISTORY_TIME_KEYS.map((k) => all[k])]) list.sort((a, b) => a - b);
  const checks = lateness.length;
  const workerCpuEach = pids.map((_, i) => ((ticksAfter[i]! - ticksBefore[i]!) / ticksPerSecond() / wall) * 100);
  const run: FleetRun = {
    services: n,
    checkInterval: o.checkInterval,
    measuredSeconds: wall,
    startSeconds,
    ticks: checks,
    expectedTicks: Math.floor((n * wall) / o.checkInterval),
    latenessP50: percentile(lateness, 50),
    latenessP99: percentile(lateness, 99),
    latenessMax: lateness.length ? lateness[lateness.length - 1]! : NaN,
    driftP50: percentile(drift, 50),
    driftP99: percentile(drift, 99),
    driftMax: drift.length ? drift[drift.length - 1]! : NaN,
    timerLateP99: percentile(all.timerLate, 99),
    workflowTaskWaitP99: percentile(all.workflowTaskWait, 99),
    activityWaitP99: percentile(all.activityWait, 99),
    workflowTaskRunP99: percentile(all.workflowTaskRun, 99),
    workers: pids.includes(process.pid) ? 0 : pids.length,
    workerRssMiB: Math.max(...workerRss),
    workerRssMiBEach: workerRss,
    serverRssMiB: serverRss,
    workerCpuPct: workerCpuEach.reduce((a, b) => a + b, 0),
    workerCpuPctEach: workerCpuEach,
    serverCpuPct: serverBefore && serverAfter ? ((serverAfter.cpuTicks - serverBefore.cpuTicks) / ticksPerSecond() / wall) * 100 : null,
    loadAverage: loads.length ? loads.reduce((a, b) => a + b, 0) / loads.length : NaN,
    failures: startFailures + histories.filter((h) => h === null).length,
    actions,
    actionsPerCheck: actions ? actions.total / checks : null,
    actionsPerSecond: actions ? actions.total / wall : null,
    historyEvents: all.events,
    eventsPerCheck: all.events / checks,
    historyBytesPerCheck: all.bytes / checks,
    historyBytesPerSecond: all.bytes / wall,
  };
  log(
    `fleet: ${n} services at ${o.checkInterval} s: ${run.ticks} checks, lateness p50 ${run.latenessP50.toFixed(3)} s, p99 ${run.latenessP99.toFixed(3)} s ` +
      `(drift p99 ${run.driftP99.toFixed(3)} s; p99 timer late ${run.timerLateP99.toFixed(3)} s, workflow task wait ${run.workflowTaskWaitP99.toFixed(3)} s, workflow task run ${run.workflowTaskRunP99.toFixed(3)} s, activity wait ${run.activityWaitP99.toFixed(3)} s), worker RSS ${run.workerRssMiBEach.map((x) => x.toFixed(0)).join(' + ')} MiB, worker CPU ${run.workerCpuPctEach.map((x) => x.toFixed(0)).join(' + ')}%, load average ${run.loadAverage.toFixed(1)}; ` +
      `cost: ${run.actionsPerCheck?.toFixed(3) ?? 'n/a'} actions/check (${run.actionsPerSecond?.toFixed(2) ?? 'n/a'}/s; ${JSON.stringify(actions?.byType ?? {})}), ` +
      `${run.eventsPerCheck.toFixed(2)} events/check, ${run.historyBytesPerCheck.toFixed(0)} history bytes/check (${(run.historyBytesPerSecond / 1024).toFixed(1)} KiB/s)`,
  );
  return run;
}

export function installQuietRuntime(): void {
  try {
    // The SDK logs every worker state change at INFO; warnings are enough here.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // a runtime was installed already (e.g. with metrics): keep it
  }
}

/** A worker on `namespace` with fresh fleet plugins, and a client; stop() ends both. */
export async function fleetWorker(address: string, namespace: string, taskQueue: string, metricsUrl?: string): Promise<FleetTarget & { stop(): Promise<void> }> {
  const plugins = fleetPlugins();
  const temporal = { namespace, task_queue: taskQueue };
  const { worker, connection: workerConnection } = await createScalerWorker({ temporal, address, plugins, ...baselineWorkflows() });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    client,
    taskQueue,
    workerPids: [process.pid],
    readTimes: async () => plugins.readTimes,
    ...(metricsUrl ? { metricsUrl } : {}),
    stop: async () => {
      worker.shutdown();
      await running.catch(() => undefined);
      await workerConnection.close();
      await connection.close();
    },
  };
}

/** Waits for the next message of `child` that `pick` takes (a `failed` one, or its exit, rejects). */
function replyOf<T>(child: ChildProcess, pick: (m: FleetWorkerReply) => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (raw: unknown) => {
      const m = FleetWorkerReply.parse(raw);
      if (m.type === 'failed') return done(() => reject(new Error(`fleet worker ${child.pid}: ${m.error}`)));
      const v = pick(m);
      if (v !== undefined) done(() => resolve(v));
    };
    const onExit = (code: number | null) => done(() => reject(new Error(`fleet worker ${child.pid} exited (${code})`)));
    const done = (then: () => void) => {
      child.off('message', onMessage);
      child.off('exit', onExit);
      then();
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/**
 * `n` worker processes (bench/fleet-worker.ts) on one task queue, each with its own fleet
 * plugins, as `docktor worker` processes on several machines would be; a client in this process.
 * A scaler's checks may run on different workers over time: its reads are gathered from all.
 */
export async function fleetWorkers(n: number, address: string, namespace: string, taskQueue: string, metricsUrl?: string): Promise<FleetTarget & { stop(): Promise<void> }> {
  const args: FleetWorkerArgs = { address, namespace, taskQueue };
  const children = Array.from({ length: n }, () =>
    fork(path.join(__dirname, 'fleet-worker.js'), [], { env: { ...process.env, [FLEET_WORKER_ENV]: JSON.stringify(args) }, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
  );
  const stop = async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const kill = setTimeout(() => c.kill('SIGKILL'), 30_000);
            c.once('exit', () => (clearTimeout(kill), resolve()));
            c.send({ type: 'stop' } satisfies FleetWorkerRequest);
          }),
      ),
    );
  };
  try {
    await Promise.all(children.map((c) => replyOf(c, (m) => (m.type === 'ready' ? true : undefined))));
  } catch (e) {
    for (const c of children) c.kill('SIGKILL');
    throw e;
  }
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace });
  return {
    client,
    taskQueue,
    workerPids: children.map((c) => c.pid!),
    readTimes: async (from) => {
      const all = await Promise.all(
        children.map((c) => {
          const reply = replyOf(c, (m) => (m.type === 'reads' ? m.reads : undefined));
          c.send({ type: 'reads', from } satisfies FleetWorkerRequest);
          return reply;
        }),
      );
      const merged = new Map<string, number[]>();
      for (const reads of all) for (const [name, times] of Object.entries(reads)) merged.set(name, [...(merged.get(name) ?? []), ...times]);
      for (const times of merged.values()) times.sort((a, b) => a - b);
      return (service) => merged.get(service) ?? [];
    },
    ...(metricsUrl ? { metricsUrl } : {}),
    stop: async () => {
      await stop();
      await connection.close();
    },
  };
}

/**
 * DOCKTOR_BENCH_WORKFLOWS: another build's src/workflows/index.js (e.g. the design before a
 * change, compiled from its commit) run with this build's activities, to measure before/after
 * on the same machine and harness.
 */
function baselineWorkflows(): { workflowsPath?: string } {
  const p = process.env.DOCKTOR_BENCH_WORKFLOWS;
  return p ? { workflowsPath: p } : {};
}

export async function benchFleet(o: FleetOptions): Promise<{ runs: FleetRun[]; serverKind: string }> {
  const log = o.log ?? (() => undefined);
  let server: DevServer | undefined;
  installQuietRuntime();
  try {
    server = await startDevServer({ port: 0, ui: false, metricsPort: 0, log });
    log(`fleet: Temporal dev server at ${server.address} (${server.kind})`);
    const runs: FleetRun[] = [];
    for (let i = 0; i < o.sizes.length; i++) {
      const workers = o.workers?.[Math.min(i, o.workers.length - 1)] ?? 0;
      const taskQueue = `bench-fleet-${process.pid}-${i}`;
      const target = workers > 0 ? await fleetWorkers(workers, server.address, server.namespace, taskQueue, server.metricsUrl) : await fleetWorker(server.address, server.namespace, taskQueue, server.metricsUrl);
      if (workers > 0) log(`fleet: ${workers} worker processes (pids ${target.workerPids.join(', ')})`);
      try {
        const checkInterval = o.intervals?.[Math.min(i, o.intervals.length - 1)] ?? o.checkInterval;
        runs.push(await runOne(target, o.sizes[i]!, { ...o, checkInterval }, i));
      } finally {
        await target.stop();
      }
    }
    return { runs, serverKind: server.kind };
  } finally {
    await server?.stop();
  }
}
