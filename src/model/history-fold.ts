// Folding consecutive identical decisions into one history entry (CONTRACT §6): `checks: N`,
// `at` the first check, `last_at` the last, and the latest observations and details. Pure and
// deterministic: used by the workflow (recording) and by the watch activity (which folds the
// checks of a quiet stretch before it returns them), so both agree on what "identical" means.
import type { CheckResult } from './check';
import type { WatchProgress } from './watch';
import { HISTORY_LIMIT, iso, timedEntry, type HistoryEntry, type ScalerStatus, type TimedEntry } from './scaler-state';

/**
 * What must be equal for two checks to be one entry: the decision (action, from, to, limited_by,
 * and the reason up to the figures it quotes) and what went wrong (errors). Observations, details
 * and the figures in the reason ("no rule holds (queue.backlog 37)") may differ: the entry keeps
 * the latest. Without that, a hold on a queue whose backlog moves (the usual steady state) would
 * be a new entry, and a return of the watch, at every check. An entry whose change was applied
 * never folds: each change is its own entry.
 */
export function decisionKey(e: Pick<HistoryEntry, 'action' | 'from' | 'to' | 'reason' | 'limited_by' | 'errors'>): string {
  return JSON.stringify([e.action, e.from, e.to, reasonShape(e.reason), e.limited_by, e.errors ?? []]);
}

/** A reason with its figures (integers, decimals, exponents, times) blanked out. */
export function reasonShape(reason: string): string {
  return reason.replace(/\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, '#');
}

export function folds(last: HistoryEntry | undefined, next: HistoryEntry): last is HistoryEntry {
  return last !== undefined && !last.applied && !next.applied && decisionKey(last) === decisionKey(next);
}

/** How many checks an entry stands for. */
export function checksOf(e: Pick<HistoryEntry, 'checks'>): number {
  return e.checks ?? 1;
}

/** `next` (itself possibly a fold of several checks) folded onto `last`: first time, summed count, latest everything else. */
export function foldEntry(last: HistoryEntry, next: HistoryEntry): HistoryEntry {
  return { ...next, at: last.at, checks: checksOf(last) + checksOf(next), last_at: next.last_at ?? next.at };
}

/** Appends `entry`, folding it into the newest entry when it is the same decision; keeps the newest `limit`. */
export function recordEntry(history: HistoryEntry[], entry: HistoryEntry, limit = HISTORY_LIMIT): HistoryEntry[] {
  const last = history[history.length - 1];
  const next = folds(last, entry) ? [...history.slice(0, -1), foldEntry(last, entry)] : [...history, entry];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** The history entry of a check (or of a fold of identical ones), before anything is applied. */
export function checkEntry(at: number, c: CheckResult, knownReplicas: number | null): HistoryEntry {
  const errors = c.failures.map((f) => `${f.source}: ${f.error}`);
  const tail = { applied: false, ...(errors.length ? { errors } : {}) };
  if (c.replicas === null || c.decision === null) {
    const known = knownReplicas ?? 0;
    // No worker of its host ran the check: hold, and say which host (src/model/host-routing.ts).
    const host = c.failures.find((f) => f.source === 'host');
    if (host) return { at, action: 'hold', from: known, to: known, reason: host.error, limited_by: 'host', observations: c.observations, details: {}, applied: false };
    const reason = c.replicas === null ? 'replica count unknown: the runtime could not be read' : 'the check failed: nothing decided';
    return { at, action: 'hold', from: known, to: known, reason, limited_by: 'missing_metrics', observations: c.observations, details: {}, ...tail };
  }
  const d = c.decision;
  return { at, action: d.action, from: c.replicas, to: d.target_replicas, reason: d.reason, limited_by: d.limited_by, observations: c.observations, details: d.details, ...tail };
}

/** Whether a check's decision is a change to make now (not while paused or in dry-run). */
export function needsApply(c: CheckResult, paused: boolean, dryRun: boolean): boolean {
  return c.decision !== null && c.replicas !== null && c.decision.target_replicas !== c.replicas && !paused && !dryRun;
}

/** The part of a running watch's heartbeat a status needs (src/activities/watch-service.ts WatchProgress). */
export type RunningWatch = Pick<WatchProgress, 'checks' | 'next_check_at' | 'base_checks'>;

/** The entry of a watch's (possibly folded) checks, before anything is applied. */
function watchedEntry(c: RunningWatch['checks'][number], knownReplicas: number | null): HistoryEntry {
  return { ...checkEntry(c.at, c.result, knownReplicas), ...(c.checks > 1 ? { checks: c.checks, last_at: c.last_at } : {}) };
}

/**
 * Whether a watch's progress is still news to a workflow that has recorded `checks` checks: the
 * status query and the describe that reads the heartbeat are two reads, and a watch that ended
 * between them is already in the status (counting it again made `checks` go 89 -> 86).
 */
export function watchIsNews(checks: number, watch: RunningWatch): boolean {
  return watch.base_checks === checks;
}

/** The part of a status (ScalerStatus) that a running watch brings up to date. */
export type WatchedStatus = Pick<ScalerStatus, 'checks' | 'last_check_at' | 'last_check_at_iso' | 'next_check_at' | 'next_check_at_iso' | 'last_decision'>;

/**
 * A status with the progress of the running watch, from its last heartbeat: the checks it has
 * folded since the workflow last recorded (they repeat the newest entry, or the watch would
 * have returned), the last check time and the next, each with its ISO form. Pure; `docktor
 * status` applies it.
 */
export function withWatchProgress<S extends WatchedStatus>(status: S, watch: RunningWatch): S {
  if (!watchIsNews(status.checks, watch)) return status;
  let out = { ...status, ...(watch.next_check_at !== null ? { next_check_at: watch.next_check_at } : {}) };
  let last: HistoryEntry | undefined = out.last_decision ?? undefined;
  for (const c of watch.checks) {
    const entry = watchedEntry(c, last?.to ?? null);
    last = folds(last, entry) ? foldEntry(last, entry) : entry;
    out = { ...out, checks: out.checks + c.checks, last_check_at: c.last_at };
  }
  return {
    ...out,
    last_decision: last ? timedEntry(last) : null,
    last_check_at_iso: iso(out.last_check_at),
    next_check_at_iso: iso(out.next_check_at),
  };
}

/** History entries (newest last) with the running watch's progress folded in, as `docktor explain` shows them. */
export function historyWithWatch(history: HistoryEntry[], checks: number, watch: RunningWatch): TimedEntry[] {
  if (!watchIsNews(checks, watch)) return history.map(timedEntry);
  return watch.checks.reduce((h, c) => recordEntry(h, watchedEntry(c, h[h.length - 1]?.to ?? null), Infinity), history).map(timedEntry);
}
