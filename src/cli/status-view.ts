// `docktor status` as text: one short table row per service, then what does not fit a column
// (the last decision with its reason, why paused, failing sources) on indented lines under it,
// every line at most STATUS_WIDTH columns so that it reads in a terminal without wrapping.
// `--json` is the full status, unchanged.
import type { ServiceStatus } from '../control/scalers';
import type { DiscoveryStatus } from '../model/discovery';
import { LIVE_POLLER_SECONDS } from '../model/host-routing';
import { forecastLine } from '../model/scaler-state';
import { isoSpan, isoTime, relative, table, wrap } from './format';

export const STATUS_WIDTH = 100;

type Running = Extract<ServiceStatus, { running: true }>;

/** What the view reads of a service's status (tests give just this). */
export type StatusRow =
  | { service: string; running: false; discovered?: { discovery: string } }
  | ({ service: string; running: true; discovered?: { discovery: string } } & Pick<Running, 'replicas' | 'min_replicas' | 'max_replicas' | 'strategy' | 'dry_run' | 'next_check_at'> & {
      pause: { reason?: string } | null;
      override: { replicas: number; until: number | null; reason?: string } | null;
      last_decision: { at: number; last_at?: number; checks?: number; action: string; from: number; to: number; reason: string } | null;
      failures: { consecutive: number; last_error?: string };
      // Older scalers (before hosts, before events) answer without `host`, `events`.
      host?: { name: string; missing_since: number | null; workers?: number | null } | null;
      forecast?: Running['forecast'];
      events?: { sinks?: Record<string, { dropped: number; last_error: { at_iso: string; message: string; cleared_at: number | null } | null }> };
    });

export type DiscoveryRow = Pick<DiscoveryStatus, 'key' | 'kind' | 'match' | 'matched' | 'last_listed_at' | 'last_error' | 'grace_period'> & {
  scalers: Array<{ queue: string; missing_since: number | null }>;
  skipped: Array<{ queue: string; reason: string }>;
};

export function renderStatus(all: StatusRow[], discoveries: DiscoveryRow[], now: number, width = STATUS_WIDTH): string {
  const rows = all.map((s) => {
    // A discovered scaler is marked with its queue's discover entry.
    const service = s.discovered ? `${s.service} [discover ${s.discovered.discovery}]` : s.service;
    if (!s.running) return [service, '-', '-', 'not running', '-'];
    const mode = s.pause ? 'paused' : s.override ? `override ${s.override.replicas}` : s.dry_run ? 'dry run' : 'active';
    return [service, `${s.replicas ?? '?'} (${s.min_replicas}..${s.max_replicas})`, s.strategy, mode, s.next_check_at ? relative(s.next_check_at, now) : '-'];
  });
  const [header = '', ...lines] = table(['SERVICE', 'REPLICAS', 'STRATEGY', 'MODE', 'NEXT CHECK'], rows).trimEnd().split('\n');
  const out = [header];
  all.forEach((s, i) => {
    out.push(lines[i] ?? '');
    if (s.running) out.push(...details(s).map((d) => `  ${d}`));
  });
  for (const d of discoveries) {
    const listed = d.last_listed_at ? `listed ${relative(d.last_listed_at, now)}` : 'not listed yet';
    out.push(`discover ${d.key}: ${d.scalers.length} scaler(s) for ${d.matched} ${d.kind} queue(s) matching '${d.match}', ${listed}${d.last_error ? `; error: ${d.last_error}` : ''}`);
    for (const q of d.skipped) out.push(`discover ${d.key}: skipped queue '${q.queue}': ${q.reason}`);
    for (const s of d.scalers) {
      if (s.missing_since !== null) out.push(`discover ${d.key}: queue '${s.queue}' gone since ${isoTime(s.missing_since)}; its scaler stops ${relative(s.missing_since + d.grace_period, now)}`);
    }
  }
  return out.flatMap((l) => wrap(l, width)).join('\n') + '\n';
}

/** The lines under a running service's row. */
function details(s: Extract<StatusRow, { running: true }>): string[] {
  const out: string[] = [];
  if (s.host) out.push(hostLine(s.host));
  if (s.forecast) out.push(forecastLine(s.forecast));
  if (s.pause?.reason) out.push(`paused: ${s.pause.reason}`);
  if (s.override) {
    const until = s.override.until ? `until ${isoTime(s.override.until)}` : 'until `docktor resume`';
    out.push(`override to ${s.override.replicas} ${until}${s.override.reason ? `: ${s.override.reason}` : ''}`);
  }
  const last = s.last_decision;
  // A folded entry (the same decision at several checks in a row) is read as `explain` shows it.
  if (last) {
    const n = last.checks ?? 1;
    const when = n > 1 && last.last_at !== undefined ? isoSpan(last.at, last.last_at) : isoTime(last.at);
    out.push(`last decision ${when}: ${last.action}${n > 1 ? ` ×${n}` : ''} ${last.from}→${last.to}: ${last.reason}`);
  }
  // Failing sources (a missing stream is a config error), and event sinks that are failing now.
  if (s.failures.consecutive > 0) out.push(`metrics failing (${s.failures.consecutive} check(s) in a row): ${s.failures.last_error ?? 'unknown error'}`);
  for (const [sink, k] of Object.entries(s.events?.sinks ?? {})) {
    if (k.last_error && k.last_error.cleared_at === null) {
      out.push(`event sink ${sink} failing (last error at ${k.last_error.at_iso}, ${k.dropped} event(s) dropped): ${k.last_error.message}`);
    }
  }
  return out;
}

/** Where the replicas live and whether a worker serves that host (issue: machines). */
function hostLine(h: { name: string; missing_since: number | null; workers?: number | null }): string {
  const workers = h.workers === undefined || h.workers === null ? '' : h.workers === 0 ? 'no live worker polls it' : `${h.workers} worker(s) polled it in the last ${LIVE_POLLER_SECONDS} s`;
  if (h.missing_since !== null) {
    // (What to run is in the last decision's reason, on the next line.)
    return `host ${h.name}: NOT SERVED since ${isoTime(h.missing_since)}, holding${workers ? ` (${workers})` : ''}`;
  }
  return `host ${h.name}${workers ? `: ${workers}` : ''}`;
}
