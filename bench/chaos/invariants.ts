// The end-of-run checkers (invariant 1 is the Sampler's, continuous): 2 the scaler workflows and
// their replay, 3 the ledger, 4 the applies against the history and the fence's seq order, 5 the
// check counts, 6 nothing left alive. Each adds what it finds to `violations`.
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { ControlClient } from '../../src/control/client';
import { isSameLiveProcess } from '../../src/runtimes/proc-stats';
import { findMarkedReplicas } from '../../src/runtimes/process-marker';
import { workflowBundle } from '../../src/worker';
import type { HistoryEntry } from '../../src/model/scaler-state';
import type { LedgerTally } from './ledger';
import type { Line, Proc } from './proc';
import type { Violations } from './violations';

/** A replica start or stop a worker logged (src/runtimes/registry.ts logProcessEvent). */
export interface ReplicaEvent {
  at: number;
  worker: string;
  type: 'started' | 'stopped';
  index: number;
  pid: number;
  /** The apply's fence number; absent on supervisor restarts (and before the fence existed). */
  seq?: number;
  restart: boolean;
}

const EVENT = /^docktor process \S+: (started|stopped) (\{.*\})$/;

export function parseReplicaEvent(line: Line): ReplicaEvent | undefined {
  const m = EVENT.exec(line.text);
  if (!m) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(m[2] ?? '');
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null) return undefined;
  const rec = body as Record<string, unknown>;
  const num = (k: string) => (typeof rec[k] === 'number' ? (rec[k] as number) : undefined);
  return {
    at: line.at,
    worker: line.source,
    type: m[1] === 'started' ? 'started' : 'stopped',
    index: num('index') ?? 0,
    pid: num('pid') ?? 0,
    ...(num('seq') !== undefined ? { seq: num('seq') } : {}),
    restart: rec.restart === true,
  };
}

/** 2: exactly one running run, none failed or terminated, every run's history replays. */
export async function checkWorkflows(c: ControlClient, workflowId: string, violations: Violations): Promise<{ runs: number; replayed: number }> {
  const runs: { runId: string; status: string }[] = [];
  for await (const w of c.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs.push({ runId: w.runId, status: w.status.name });
  const running = runs.filter((r) => r.status === 'RUNNING');
  if (running.length !== 1) violations.add(2, `${running.length} running scaler runs for ${workflowId} (want 1): ${JSON.stringify(runs)}`);
  for (const r of runs.filter((x) => x.status === 'FAILED' || x.status === 'TERMINATED' || x.status === 'TIMED_OUT')) {
    violations.add(2, `scaler run ${r.runId} ended ${r.status}`);
  }
  const histories = await Promise.all(runs.map(async (r) => ({ workflowId, history: await c.client.workflow.getHandle(workflowId, r.runId).fetchHistory() })));
  quietRuntime();
  let replayed = 0;
  for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    replayed++;
    if (r.error) violations.add(2, `run ${r.runId} does not replay with the current code: ${String(r.error)}`);
  }
  return { runs: runs.length, replayed };
}

/** The replay worker's INFO lines would bury the report: warnings only (once per process). */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed (e.g. under the test runner): keep it
  }
}

/** 3: every acknowledged message processed. */
export function checkLedger(t: LedgerTally, violations: Violations): void {
  if (t.lost.length > 0) violations.add(3, `${t.lost.length} acknowledged message(s) never processed, e.g. ${t.lost.slice(0, 10).join(', ')}`);
}

/**
 * 4: with the fence's seq on the lines: no event after one with seq N carries a smaller seq (a
 * stale apply acted after its successor); and the applies (events grouped by seq, in seq order)
 * match, in order and direction, the decisions an apply was tried for, each at most once.
 * Returns what could be checked.
 */
export function checkApplies(events: readonly ReplicaEvent[], history: readonly HistoryEntry[], violations: Violations): string {
  const withSeq = events.filter((e) => e.seq !== undefined);
  if (withSeq.length === 0) {
    return `no seq on the ${events.length} replica start/stop lines (the apply fence is not in this build): order and matching not checked`;
  }
  let high = -Infinity;
  for (const e of withSeq) {
    const seq = e.seq as number;
    if (seq < high) violations.add(4, `stale apply: ${e.worker} ${e.type} replica ${e.index} (pid ${e.pid}) with seq ${seq} after seq ${high} was seen`, e.at);
    high = Math.max(high, seq);
  }
  const groups = new Map<number, { delta: number; at: number; workers: Set<string> }>();
  for (const e of withSeq) {
    const g = groups.get(e.seq as number) ?? { delta: 0, at: e.at, workers: new Set<string>() };
    g.delta += e.type === 'started' ? 1 : -1;
    g.workers.add(e.worker);
    groups.set(e.seq as number, g);
  }
  // The seq orders the applies but does not date them (workflow time can lag the clock by a
  // workflow task's timeout): match them in order to the decisions an apply was tried for.
  const tried = history.filter((h) => h.to !== h.from && (h.applied || (h.errors ?? []).some((x) => x.startsWith('apply:'))));
  let next = 0;
  let matched = 0;
  for (const [seq, g] of [...groups.entries()].sort((a, b) => a[0] - b[0])) {
    if (g.delta === 0) continue;
    const what = `apply seq ${seq} (${[...g.workers].join(', ')}: net ${g.delta >= 0 ? '+' : ''}${g.delta}, first line at ${new Date(g.at).toISOString()})`;
    while (next < tried.length && Math.sign((tried[next] as HistoryEntry).to - (tried[next] as HistoryEntry).from) !== Math.sign(g.delta)) next++;
    const decision = tried[next];
    if (!decision) {
      violations.add(4, `${what} has no decision left in the history to belong to (applied twice, or without a decision)`, g.at);
      continue;
    }
    matched++;
    next++;
  }
  return `${withSeq.length} replica events with seq in ${groups.size} applies, ${matched} matched in order to the ${tried.length} decisions an apply was tried for`;
}

/**
 * 5 (second half), and 4 without the fence: the status's check count against the history's, and
 * its applied scales against the applied entries, when the history was never trimmed.
 */
export function checkCounts(status: { checks: number; scales_applied: number }, history: readonly HistoryEntry[], limit: number, violations: Violations): string {
  const sum = history.reduce((n, h) => n + (h.checks ?? 1), 0);
  const applied = history.filter((h) => h.applied).length;
  const seen = `status ${status.checks} checks and ${status.scales_applied} applies, history ${sum} and ${applied}`;
  if (history.length >= limit) return `history at its limit (${limit}), counts not compared: ${seen}`;
  if (sum !== status.checks) violations.add(5, `status says ${status.checks} checks, the history's entries add up to ${sum}`);
  if (applied !== status.scales_applied) violations.add(4, `status says ${status.scales_applied} scales applied, the history has ${applied} applied entries`);
  return seen;
}

/** 6: nothing the run started still alive. */
export function checkNothingAlive(pool: string, procs: readonly Proc[], replicas: ReadonlyMap<number, number>, violations: Violations): void {
  const marked = findMarkedReplicas(pool);
  if (marked.length > 0) violations.add(6, `${marked.length} marked replica(s) alive after teardown: ${marked.map((r) => `${r.index}:${r.pid}`).join(' ')}`);
  const procsAlive = procs.filter((p) => p.alive()).map((p) => `${p.name} pid ${p.pid}`);
  const replicasAlive = [...replicas].filter(([pid, start]) => isSameLiveProcess(pid, start)).map(([pid]) => `replica pid ${pid}`);
  const alive = [...procsAlive, ...replicasAlive];
  if (alive.length > 0) violations.add(6, `still alive after teardown: ${alive.join(', ')}`);
}
