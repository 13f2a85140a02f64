// The durable state of one scaler and the pure functions over it. Deterministic: safe in
// workflow code, carried through continue-as-new as JSON.
import type { ServiceConfig } from '../config/service';
import type { Decision } from '../decide/index';
import type { EngineState } from '../decide/input';
import type { Json, Observations } from '../observations';
import { replicaCeiling } from '../decide/safety/bounds';
import type { OverrideArgs, PauseArgs } from './definitions';

/** Decisions kept in the workflow (newest last); older ones are dropped. */
export const HISTORY_LIMIT = 500;

export interface HistoryEntry {
  /** Unix seconds. */
  at: number;
  action: Decision['action'];
  from: number;
  to: number;
  reason: string;
  limited_by: string | null;
  observations: Observations;
  details: Decision['details'];
  /** Whether the change was made (false while paused, in dry-run, or when it failed). */
  applied: boolean;
  /** Why applying failed, or which metric sources failed at this check. */
  errors?: string[];
  /** How many consecutive checks reached this same decision (absent: one); `at` is the first. */
  checks?: number;
  /** Unix seconds: the last of those checks (present when `checks` > 1). */
  last_at?: number;
}

export interface PauseState {
  since: number;
  reason?: string;
}

export interface OverrideState {
  replicas: number;
  since: number;
  /** Unix seconds; null: until `resume`. */
  until: number | null;
  reason?: string;
  force: boolean;
}

export interface FailureCounters {
  /** Consecutive checks at which a metric source failed (drives `fallback`). */
  consecutive: number;
  total: number;
  apply_failures: number;
  last_error?: string;
}

export interface ScalerState {
  /** Last known replica count; null before the first successful observation. */
  replicas: number | null;
  engine?: EngineState;
  /** What the queue source asked to be handed back (previous counter samples). */
  queue_state: Json | null;
  paused: PauseState | null;
  override: OverrideState | null;
  failures: FailureCounters;
  history: HistoryEntry[];
  last_check_at: number | null;
  next_check_at: number | null;
  checks: number;
  scales_applied: number;
}

export interface ScalerInput {
  project: string;
  compose_file?: string;
  service: ServiceConfig;
  /** Whether the namespace has the Docktor* search attributes registered. */
  search_attributes?: boolean;
  /** Decisions kept (default HISTORY_LIMIT). */
  history_limit?: number;
  /** State carried over by continue-as-new. */
  carried?: ScalerState;
  /** How checks are batched into watch activities (defaults in service-scaler.ts; tests shorten them). */
  watch?: { quiet_seconds?: number; heartbeat_seconds?: number };
}

export interface ScalerStatus {
  service: string;
  /** The config the scaler runs with (compared by `docktor up` to push changes). */
  config: ServiceConfig;
  project: string;
  strategy: ServiceConfig['strategy'];
  min_replicas: number;
  max_replicas: number;
  check_interval: number;
  replicas: number | null;
  paused: PauseState | null;
  override: OverrideState | null;
  dry_run: boolean;
  last_decision: HistoryEntry | null;
  last_check_at: number | null;
  next_check_at: number | null;
  checks: number;
  scales_applied: number;
  failures: FailureCounters;
}

export function initialState(): ScalerState {
  return {
    replicas: null,
    queue_state: null,
    paused: null,
    override: null,
    failures: { consecutive: 0, total: 0, apply_failures: 0 },
    history: [],
    last_check_at: null,
    next_check_at: null,
    checks: 0,
    scales_applied: 0,
  };
}

export function tailHistory(history: HistoryEntry[], tail?: number): HistoryEntry[] {
  if (tail === undefined || !Number.isFinite(tail)) return history;
  const n = Math.max(0, Math.floor(tail));
  return n === 0 ? [] : history.slice(-n);
}

/** Why an override request is refused, or undefined when it is acceptable. */
export function overrideProblem(args: OverrideArgs, service: ServiceConfig): string | undefined {
  if (typeof args !== 'object' || args === null) return 'override needs { replicas }';
  // Safe integers only: Number.isInteger(1e30) is true.
  if (!Number.isSafeInteger(args.replicas) || args.replicas < 0) return `replicas must be a whole number >= 0, got ${String(args.replicas)}`;
  const ceiling = replicaCeiling(service);
  if (args.replicas > ceiling) {
    return `replicas ${args.replicas} is above ${service.name}'s hard ceiling of ${ceiling} (replica_ceiling), which --force cannot pass`;
  }
  if (args.force !== undefined && typeof args.force !== 'boolean') return `force must be true or false, got ${JSON.stringify(args.force)}`;
  if (!args.force && (args.replicas < service.min_replicas || args.replicas > service.max_replicas)) {
    return `replicas ${args.replicas} is outside ${service.name}'s min_replicas..max_replicas (${service.min_replicas}..${service.max_replicas}); use --force to pin it anyway`;
  }
  if (args.duration_seconds !== undefined && !(Number.isFinite(args.duration_seconds) && args.duration_seconds > 0)) {
    return `duration_seconds must be > 0, got ${String(args.duration_seconds)}`;
  }
  return reasonProblem(args.reason);
}

/** Reasons are shown in status and history: text only, and short. */
export const REASON_MAX_LENGTH = 500;

export function reasonProblem(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  if (typeof reason !== 'string') return `reason must be a string, got ${reason === null ? 'null' : typeof reason}`;
  if (reason.length > REASON_MAX_LENGTH) return `reason must be at most ${REASON_MAX_LENGTH} characters, got ${reason.length}`;
  return undefined;
}

/**
 * A pause is a signal, which cannot be refused: the pause holds, and a reason that is not short
 * text is replaced by a note saying so (it once showed as "[object Object]").
 */
export function makePause(args: PauseArgs | undefined, now: number): PauseState {
  const reason: unknown = args?.reason;
  if (reason === undefined || reason === '') return { since: now };
  const problem = reasonProblem(reason);
  return { since: now, reason: problem ? `(reason ignored: ${problem})` : (reason as string) };
}

export function makeOverride(args: OverrideArgs, now: number): OverrideState {
  return {
    replicas: args.replicas,
    since: now,
    until: args.duration_seconds === undefined ? null : now + args.duration_seconds,
    ...(args.reason ? { reason: args.reason } : {}),
    force: args.force === true,
  };
}

export function overrideExpired(o: OverrideState | null, now: number): boolean {
  return o !== null && o.until !== null && now >= o.until;
}

export function statusOf(input: ScalerInput, state: ScalerState): ScalerStatus {
  const s = input.service;
  return {
    service: s.name,
    config: s,
    project: input.project,
    strategy: s.strategy,
    min_replicas: s.min_replicas,
    max_replicas: s.max_replicas,
    check_interval: s.check_interval,
    replicas: state.replicas,
    paused: state.paused,
    override: state.override,
    dry_run: s.dry_run,
    last_decision: state.history[state.history.length - 1] ?? null,
    last_check_at: state.last_check_at,
    next_check_at: state.next_check_at,
    checks: state.checks,
    scales_applied: state.scales_applied,
    failures: state.failures,
  };
}

/** A short markdown status for the Temporal UI's "current details". */
export function detailsMarkdown(st: ScalerStatus): string {
  const mode = st.paused
    ? `**paused**${st.paused.reason ? ` (${st.paused.reason})` : ''}`
    : st.override
      ? `**override** ${st.override.replicas}${st.override.reason ? ` (${st.override.reason})` : ''}`
      : st.dry_run
        ? 'dry run'
        : 'active';
  const last = st.last_decision;
  return [
    `**${st.project}/${st.service}**: ${st.replicas ?? '?'} replica(s), ${st.min_replicas}..${st.max_replicas}, ${st.strategy}, ${mode}`,
    last ? `last: \`${last.action}\` ${last.from}→${last.to}: ${last.reason}` : 'no decision yet',
    st.failures.consecutive > 0 ? `metric failures: ${st.failures.consecutive} in a row (${st.failures.last_error ?? ''})` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
}
