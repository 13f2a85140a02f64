// The durable state of one scaler and the pure functions over it. Deterministic: safe in
// workflow code, carried through continue-as-new as JSON.
import type { ServiceConfig } from '../config/service';
import type { Decision } from '../decide/index';
import type { EngineState } from '../decide/input';
import type { Json, Observations } from '../observations';
import { replicaCeiling } from '../decide/safety/bounds';
import { isoTime, periodText } from '../decide/format';
import { forecastSummary, type ForecastSummary } from '../decide/strategies/predictive/recurring/summary';
import { eventsStatus, type EventsState, type EventsStatus } from './events-state';
import { panelMarkdown } from './ui-panel';

/** The arguments of the `pause` signal, the `override` update and the `history` query (CONTRACT §3). */
export interface PauseArgs {
  reason?: string;
}

export interface OverrideArgs {
  replicas: number;
  duration_seconds?: number;
  reason?: string;
  force?: boolean;
}

export interface HistoryArgs {
  tail?: number;
}

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
  /** When last_error happened (unix seconds). */
  last_error_at?: number;
  /** The first check after last_error at which every source answered; null while still failing. */
  cleared_at?: number | null;
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
  /** The last apply's fence (EnsureOptions.seq); absent in state carried from older runs. */
  apply_seq?: number;
  /** Event delivery (src/model/events-state.ts); absent in state carried from older runs. */
  events?: EventsState;
  /** Since when no worker of the service's `runtime.host` has taken its work (src/model/host-routing.ts). */
  host_missing_since?: number | null;
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
  /** The ids of the last `refresh` reads answered, carried over too: their readers may ask just after. */
  answered_reads?: string[];
  /**
   * Set by every start and continue-as-new since reads became the `refresh` signal. A run without
   * it (started before) keeps the `refresh` update's handler, so that its history still replays.
   */
  reads_by_signal?: boolean;
  /** How checks are batched into watch activities (defaults in service-scaler.ts; tests shorten them). */
  watch?: { quiet_seconds?: number; heartbeat_seconds?: number; host_pickup_seconds?: number };
}

/** Unix seconds in status are followed by the same time as ISO-8601 (`<field>_iso`). */
export type Iso = string | null;

/**
 * What the `status` query returns: the scaler's state first, its config last (the Temporal UI and
 * `status --json` show it in this order).
 */
export interface ScalerStatus {
  service: string;
  project: string;
  replicas: number | null;
  paused: boolean;
  /** The change being applied right now (replicas starting or in their grace period), if any. */
  applying: { from: number; to: number; since: number; since_iso: Iso } | null;
  last_check_at: number | null;
  last_check_at_iso: Iso;
  next_check_at: number | null;
  next_check_at_iso: Iso;
  /**
   * When the workflow last updated this state (workflow time). The raw `status` query and the UI
   * are as of then: checks the running watch folded since are not in it (`refresh` reads are).
   */
  as_of: number | null;
  as_of_iso: Iso;
  checks: number;
  scales_applied: number;
  /** Since when and why, while paused. */
  pause: (PauseState & { since_iso: Iso }) | null;
  override: (OverrideState & { since_iso: Iso; until_iso: Iso }) | null;
  dry_run: boolean;
  failures: FailureCounters & { last_error_at_iso: Iso; cleared_at_iso: Iso };
  /**
   * Where the replicas live (`runtime.host`, issue: machines), and since when no worker of that
   * host has taken the scaler's work (null: the last one was taken). `docktor status` adds how
   * many workers poll the host's task queue now (`workers`).
   */
  host: { name: string; missing_since: number | null; missing_since_iso: Iso; workers?: number | null } | null;
  events: EventsStatus;
  strategy: ServiceConfig['strategy'];
  min_replicas: number;
  max_replicas: number;
  check_interval: number;
  /** The predictive strategy's forecast of recurring bursts (sla.forecast), null when off. */
  forecast: ForecastSummary | null;
  /** The newest history entry, its time first. */
  last_decision: TimedEntry | null;
  /** The config the scaler runs with (compared by `docktor up` to push changes). */
  config: ServiceConfig;
}

/** A history entry as queries show it: ISO times first, before the observations and details. */
export type TimedEntry = { at_iso: Iso; last_at_iso?: Iso } & HistoryEntry;

/** What only the running workflow knows, beside its state. */
export interface LiveFacts {
  /** Workflow time now. */
  now: number;
  applying: { from: number; to: number; since: number } | null;
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

/** The newest `tail` entries (all without one), as queries show them (ISO times first). */
export function tailHistory(history: HistoryEntry[], tail?: number): TimedEntry[] {
  if (tail === undefined || !Number.isFinite(tail)) return history.map(timedEntry);
  const n = Math.max(0, Math.floor(tail));
  return n === 0 ? [] : history.slice(-n).map(timedEntry);
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

/** Unix seconds as ISO-8601 (deterministic: safe in workflow code). */
export function iso(t: number | null | undefined): Iso {
  return t === null || t === undefined ? null : isoTime(t);
}

/** Failure counters after a check: `errors` are this check's failed sources (none: cleared). */
export function noteFailures(f: FailureCounters, errors: string[], at: number, checks = 1): FailureCounters {
  if (errors.length > 0) return { ...f, total: f.total + checks, last_error: errors.join('; '), last_error_at: at, cleared_at: null };
  if (f.last_error !== undefined && !f.cleared_at) return { ...f, cleared_at: at };
  return f;
}

/** An entry with its ISO times (made afresh from its Unix times: one source of truth for each). */
export function timedEntry(e: HistoryEntry): TimedEntry {
  const { at_iso: _at, last_at_iso: _last, ...entry } = e as Partial<TimedEntry> & HistoryEntry;
  return { at_iso: iso(entry.at), ...(entry.last_at !== undefined ? { last_at_iso: iso(entry.last_at) } : {}), ...entry };
}

export function statusOf(input: ScalerInput, state: ScalerState, live?: LiveFacts): ScalerStatus {
  const s = input.service;
  const last = state.history[state.history.length - 1];
  const { paused, override, failures } = state;
  const applying = live?.applying ?? null;
  return {
    service: s.name,
    project: input.project,
    replicas: state.replicas,
    paused: paused !== null,
    applying: applying && { ...applying, since_iso: iso(applying.since) },
    last_check_at: state.last_check_at,
    last_check_at_iso: iso(state.last_check_at),
    next_check_at: state.next_check_at,
    next_check_at_iso: iso(state.next_check_at),
    as_of: live?.now ?? null,
    as_of_iso: iso(live?.now),
    checks: state.checks,
    scales_applied: state.scales_applied,
    pause: paused && { ...paused, since_iso: iso(paused.since) },
    override: override && { ...override, since_iso: iso(override.since), until_iso: iso(override.until) },
    dry_run: s.dry_run,
    failures: { ...failures, last_error_at_iso: iso(failures.last_error_at), cleared_at_iso: iso(failures.cleared_at) },
    host: s.runtime.host ? { name: s.runtime.host, missing_since: state.host_missing_since ?? null, missing_since_iso: iso(state.host_missing_since) } : null,
    events: eventsStatus(state.events),
    strategy: s.strategy,
    min_replicas: s.min_replicas,
    max_replicas: s.max_replicas,
    check_interval: s.check_interval,
    forecast: s.strategy === 'predictive' ? forecastSummary(s.sla, state.engine?.predictive?.recurring, live?.now ?? state.last_check_at ?? 0, s.check_interval) : null,
    last_decision: last ? timedEntry(last) : null,
    config: s,
  };
}

/** A reason in the UI's current details: with its decision, about two lines of the panel. */
const DETAILS_REASON_CHARS = 120;

/** A time as the CLI shows it, to the second (cut, not rounded, so both show the same second). */
function second(t: Iso | undefined): string {
  return t ? t.replace(/\.\d+Z$/, 'Z') : '?';
}

/** `a–b`; b without its date when it is a's day (as `docktor explain` shows a folded entry). */
function span(a: Iso, b: Iso | undefined): string {
  const x = second(a);
  const y = second(b);
  return b && y !== x ? `${x}–${x.slice(0, 11) === y.slice(0, 11) ? y.slice(11) : y}` : x;
}

/**
 * A short markdown status for the Temporal UI's "current details": the facts an operator looks
 * for first (replicas and mode, as of when, what was decided and why), each line short enough to
 * show whole; absolute times, never "ago". What the service is (queue, runtime, bounds) is in the
 * workflow's static details, set by `docktor up`.
 */
export function detailsMarkdown(st: ScalerStatus): string {
  const mode = st.pause
    ? `**paused** since ${second(st.pause.since_iso)}${st.pause.reason ? ` (${cut(st.pause.reason, 60)})` : ''}`
    : st.override
      ? `**override** ${st.override.replicas}${st.override.until_iso ? ` until ${second(st.override.until_iso)}` : ''}${st.override.reason ? ` (${cut(st.override.reason, 60)})` : ''}`
      : st.dry_run
        ? 'dry run'
        : 'active';
  const last = st.last_decision;
  const f = st.failures;
  const failing = Object.entries(st.events.sinks).filter(([, k]) => k.last_error && !k.last_error.cleared_at);
  const folded = last?.checks && last.checks > 1 ? ` ×${last.checks}` : '';
  return panelMarkdown([
    `**${st.replicas ?? '?'} replica(s)** (${st.min_replicas}..${st.max_replicas}), ${mode}${st.applying ? `, applying ${st.applying.from}→${st.applying.to} since ${second(st.applying.since_iso)}` : ''}`,
    `${st.checks} check(s) as of ${second(st.as_of_iso ?? st.last_check_at_iso)}${st.next_check_at_iso ? `; next check at ${second(st.next_check_at_iso)}` : ''}`,
    last ? `last decision \`${last.action}\` ${last.from}→${last.to}${folded}, ${span(last.at_iso, last.last_at_iso)}: ${cut(last.reason, DETAILS_REASON_CHARS)}` : 'no decision yet',
    st.forecast ? forecastLine(st.forecast) : '',
    st.host ? (st.host.missing_since ? `host **${st.host.name}: no worker** since ${second(st.host.missing_since_iso)} (holding)` : `host ${st.host.name}`) : '',
    f.consecutive > 0 ? `metric failures: ${f.consecutive} in a row, last at ${second(f.last_error_at_iso)}: ${cut(f.last_error ?? '', DETAILS_REASON_CHARS)}` : '',
    ...failing.map(([name, k]) => `event sink ${name} failing, last error at ${second(k.last_error!.at_iso)}: ${cut(k.last_error!.message, DETAILS_REASON_CHARS)}`),
  ]);
}

function cut(text: string, chars: number): string {
  return text.length > chars ? `${text.slice(0, chars - 1)}…` : text;
}

/**
 * The forecast in one line (`docktor status` and the UI's current details): its mode and state,
 * the periods it found, its record, and the next burst it expects.
 */
export function forecastLine(f: ForecastSummary): string {
  const mode = f.mode === 'shadow' ? 'forecast (shadow: computed, not applied)' : 'forecast';
  const record = f.hits + f.misses === 0 ? 'none judged yet' : `${f.hits} of the last ${f.hits + f.misses} expected bursts came`;
  const periods = f.periods.map((p) => `every ${periodText(p.seconds)}`).join(' and ');
  const next = f.next ? `; next: ~${f.next.size} messages ${span(isoTime(f.next.from), isoTime(f.next.to))}` : '';
  switch (f.status) {
    case 'learning':
      return `${mode}: learning (${f.bursts_seen} burst(s) seen${periods ? `; ${periods}, not yet confirmed` : ''})${next}`;
    case 'no_pattern':
      return `${mode}: no recurring pattern in the ${f.bursts_seen} burst(s) seen; reactive only`;
    case 'broken':
      return `${mode}: NOT ACTING, the pattern broke (${record}); reactive until an expected burst comes again${next}`;
    case 'ready':
      return `${mode}: ${periods}; ${record}${next}`;
  }
}
