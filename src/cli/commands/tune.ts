// `docktor tune` (issue 29, CONTRACT §1 and §8): replays a service's traffic (a trace file with
// the service time and startup delay, as `simulate` takes them) through candidate policies and
// recommends the cheapest that meets the SLA on a held-out later part (src/tune). Prints a table,
// the recommended config as a YAML diff, or JSON; `--plot` draws it; `--apply` pushes the
// recommendation to the running scaler through the validated `set_config` update.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../config/load';
import { durationSeconds, effectiveRecording } from '../../config/recording';
import { readPrometheusTraffic } from '../../recording/prometheus-traffic';
import { readRecordedTraffic } from '../../recording/recorded-traffic';
import { defaultRecordingRoot } from '../../recording/store';
import type { ServiceConfig } from '../../config/service';
import { connectClient, type ControlClient } from '../../control/client';
import { requireRunning, setConfig } from '../../control/scalers';
import { OperationError, UsageError } from '../../errors';
import { simulate } from '../../simulate/simulator';
import { parseTrace, TRACE_FORMATS, type Trace, type TraceFormat } from '../../simulate/trace';
import { redactSecrets, redactUrl } from '../../sources/secrets';
import { yamlDiff } from '../../tune/config-diff';
import { tunePlot } from '../../tune/plot';
import { EvaluationPool } from '../../tune/pool';
import { referenceSchedule, traceTraffic, tune, TUNE_DEFAULTS } from '../../tune/tune';
import type { Traffic, TuneFigures, TuneResult } from '../../tune/types';
import { table } from '../format';
import type { CliIO } from '../io';
import { number, seconds } from './simulate';

/** The options as commander hands them over (numbers still text). */
export interface TuneCliOptions {
  config?: string;
  trace?: string;
  /** `--recording` alone: the service's recording directory from its config (else this machine's). */
  recording?: string | true;
  /** A Prometheus server that scrapes the workers' metrics ports. */
  prometheus?: string;
  since?: string;
  traceFormat?: string;
  serviceTime?: string;
  startupDelay?: string;
  holdout?: string;
  budget?: string;
  maxBreach?: string;
  threads?: string;
  json?: boolean;
  plot?: string;
  apply?: boolean;
}

export function pickService(config: Config, name: string | undefined): ServiceConfig {
  const names = config.services.map((s) => s.name).join(', ') || 'none';
  if (name === undefined) {
    if (config.services.length === 1) return config.services[0]!;
    throw new UsageError(`SERVICE: required, ${path.basename(config.file)} has several services (${names})`);
  }
  const s = config.services.find((x) => x.name === name);
  if (!s) throw new UsageError(`SERVICE: no service "${name}" in ${path.basename(config.file)} (services: ${names})`);
  return s;
}

export function readTraceFile(cwd: string, file: string, format: TraceFormat): Trace {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(cwd, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--trace: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return parseTrace(text, format, `--trace ${file}`);
}

export async function runTune(io: CliIO, name: string | undefined, o: TuneCliOptions): Promise<number> {
  const format = (o.traceFormat ?? 'auto') as TraceFormat;
  if (!TRACE_FORMATS.includes(format)) throw new UsageError(`--trace-format: "${o.traceFormat}" is not one of ${TRACE_FORMATS.join(', ')}`);
  const holdout = number(o.holdout ?? String(TUNE_DEFAULTS.holdout), '--holdout', (v) => v >= 0.05 && v <= 0.9, 'a share of the traffic from 0.05 to 0.9, e.g. 0.3');
  const budgetS = seconds(o.budget ?? String(TUNE_DEFAULTS.budgetS), '--budget', false);
  const maxBreach = number(o.maxBreach ?? String(TUNE_DEFAULTS.maxBreach), '--max-breach', (v) => v >= 0 && v < 1, 'a share of the judged span from 0 to below 1, e.g. 0.005 (0.5%)');
  const threads = o.threads === undefined ? undefined : number(o.threads, '--threads', (v) => Number.isInteger(v) && v >= 1 && v <= 64, 'a whole number from 1 to 64');
  const serviceTimeFlag = o.serviceTime === undefined ? undefined : seconds(o.serviceTime, '--service-time', false);
  const startupFlag = o.startupDelay === undefined ? undefined : seconds(o.startupDelay, '--startup-delay', true);
  if ([o.trace, o.recording, o.prometheus].filter((x) => x !== undefined).length !== 1) {
    throw new UsageError('--trace, --recording or --prometheus: give one (a trace file of the service\'s arrivals, as `docktor simulate` reads, the recording its scaler keeps, or a Prometheus server that scrapes the workers)');
  }
  if (o.prometheus !== undefined && !/^https?:$/.test(URL.parse(o.prometheus)?.protocol ?? '')) {
    throw new UsageError(`--prometheus: "${redactUrl(o.prometheus)}" is not an http(s) URL; give the Prometheus server's base URL, e.g. http://user:pass@prometheus:9090`);
  }
  if (o.since !== undefined && !o.recording && !o.prometheus) throw new UsageError('--since: only with --recording or --prometheus');
  const sinceS = o.since === undefined ? undefined : durationSeconds(o.since);
  if (sinceS !== undefined && !(sinceS > 0)) throw new UsageError(`--since: "${o.since}" is not a duration like 7d, 12h or 90m`);

  const config = loadConfig(o.config, io.cwd, io.env);
  const service = pickService(config, name);
  let traffic: Traffic;
  if (o.trace) {
    // Without a flag, what the config says; a missing service time is said by the core (exit 1).
    // (The queue registry loads every driver: only here, where the source's counters matter.)
    const { countsArrivals } = await import('../../queues/registry.js');
    traffic = traceTraffic(readTraceFile(io.cwd, o.trace, format), service, { serviceTimeS: serviceTimeFlag, startupDelayS: startupFlag, noRates: !countsArrivals(service.queue) });
  } else if (o.prometheus) {
    const now = Date.now() / 1000;
    const read = await readPrometheusTraffic({
      url: o.prometheus,
      token: io.env.DOCKTOR_PROMETHEUS_TOKEN,
      project: config.project,
      service: service.name,
      since: now - (sinceS ?? PROMETHEUS_DEFAULT_SINCE_S),
      now,
      stepS: service.check_interval,
    });
    traffic = measuredTraffic(service, read, { serviceTimeFlag, startupFlag }, `--prometheus ${redactUrl(o.prometheus)}: ${service.name}'s queue reports no queue.rate_in, so its arrivals`);
  } else {
    const dir = o.recording === true || o.recording === undefined
      ? effectiveRecording(service.recording, defaultRecordingRoot(io.env, io.cwd)).dir
      : path.resolve(io.cwd, o.recording);
    const recorded = readRecordedTraffic({ dir, project: config.project, service: service.name, ...(sinceS ? { since: Date.now() / 1000 - sinceS } : {}) });
    if (recorded.skipped_lines > 0 && recorded.counted) io.err(`docktor: ${recorded.skipped_lines} line(s) of the recording were not rows (torn or corrupt): skipped\n`);
    traffic = measuredTraffic(service, recorded, { serviceTimeFlag, startupFlag }, `--recording ${dir}: ${service.name}'s queue reports no counters, so its recorded arrivals`);
  }

  // --apply: the scaler must be running, checked before the search spends its budget.
  const client = o.apply ? await connectClient(config.temporal, io.env.DOCKTOR_TEMPORAL_ADDRESS, io.env) : null;
  try {
    if (client) await requireRunning(client, config, service.name);
    return await tuneAndReport(io, o, { config, service, traffic, holdout, budgetS, maxBreach, threads, client });
  } finally {
    await client?.close();
  }
}

async function tuneAndReport(
  io: CliIO,
  o: TuneCliOptions,
  a: { config: Config; service: ServiceConfig; traffic: Traffic; holdout: number; budgetS: number; maxBreach: number; threads: number | undefined; client: ControlClient | null },
): Promise<number> {
  const { config, service, traffic, holdout, budgetS, maxBreach, threads } = a;
  const trace = traffic.trace;
  const pool = new EvaluationPool({ trace, model: traffic }, threads);
  const progress = process.stderr.isTTY && !o.json;
  let result: TuneResult;
  try {
    result = await tune(traffic, service, {
      holdout,
      budgetS,
      maxBreach,
      clock: () => performance.now(),
      evaluate: pool.evaluate,
      ...(progress
        ? { onProgress: (p) => io.err(`\r${progressBar(Math.min(1, p.elapsedS / p.budgetS), p.phase === 'holdout' ? 'judging on the held-out part' : `searching (${p.phase})`, p.evaluated)}`) }
        : {}),
    });
  } finally {
    if (progress) io.err('\r\x1b[2K');
    await pool.close();
  }
  const shown: TuneResult = redactSecrets(result);

  if (o.plot) writePlot(io.cwd, o.plot, traffic, service, result);
  if (o.json) io.out(JSON.stringify(shown, null, 2) + '\n');
  else io.out(summary(shown, { trace: o.trace ?? (o.prometheus ? `Prometheus ${redactUrl(o.prometheus)}` : `${service.name}'s recording`), kind: trace.kind, threads: pool.threads, plot: o.plot }));

  if (!result.recommended) {
    io.err(`docktor: nothing to recommend: ${result.reason}\n`);
    return 1;
  }
  if (a.client) {
    if (result.recommended.keeps_current) {
      io.err(`docktor: --apply: the current config is the recommendation; nothing pushed\n`);
      return 0;
    }
    const reason = applyReason(result);
    await setConfig(a.client, config, service.name, redactSecrets(result.recommended.config), { reason });
    io.err(`docktor: applied to the running scaler of ${service.name}: ${reason}\n`);
  }
  return 0;
}

/** `--prometheus` without `--since`: a week, as the recordings keep by default. */
export const PROMETHEUS_DEFAULT_SINCE_S = 7 * 86400;

/**
 * Traffic measured by docktor (a recording, Prometheus): refused when its arrivals are estimates;
 * measured beats configured: the flags, then what was measured, then the config.
 */
function measuredTraffic(
  service: ServiceConfig,
  m: { trace: Trace; counted: boolean; service_time_s: number | null; startup_delay_s: number | null },
  flags: { serviceTimeFlag: number | undefined; startupFlag: number | undefined },
  uncounted: string,
): Traffic {
  if (!m.counted) {
    throw new OperationError(
      `${uncounted} are estimates from the backlog, too rough to choose a policy on; give --trace with the arrivals from your own logs instead`,
    );
  }
  return {
    trace: m.trace,
    serviceTimeS: flags.serviceTimeFlag ?? m.service_time_s ?? service.sla?.service_time_seconds ?? Number.NaN,
    startupDelayS: flags.startupFlag ?? m.startup_delay_s ?? service.sla?.startup_seconds ?? 10,
  };
}

/** The history entry's reason for an applied recommendation: what it is and its figures. */
export function applyReason(r: TuneResult): string {
  const rec = r.recommended!;
  const f = rec.figures;
  const x = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(2)}×`);
  return (
    `docktor tune: ${rec.label}; on the held-out ${Math.round(r.holdout.to_s - r.holdout.from_s)} s: breach ${f.breach_seconds} s, p99 pickup ${f.pickup_p99_s ?? 'n/a'} s, ` +
    `${Math.round(f.worker_seconds)} worker-s = ${x(f.clairvoyant_ratio)} the clairvoyant (current ${x(r.current.figures.clairvoyant_ratio)}, ${Math.round(r.current.figures.worker_seconds)} worker-s)`
  );
}

function progressBar(share: number, what: string, evaluated: number): string {
  const width = 24;
  const full = Math.round(share * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${what}: ${evaluated} simulations`;
}

function writePlot(cwd: string, file: string, traffic: Traffic, service: ServiceConfig, r: TuneResult): void {
  const run = (config: ServiceConfig, schedule?: number[]) =>
    simulate(traffic.trace, {
      service: config.dry_run ? { ...config, dry_run: false } : config,
      serviceTime: traffic.serviceTimeS,
      startupDelay: traffic.startupDelayS,
      noRates: traffic.noRates === true,
      ...(schedule ? { schedule: (k: number) => schedule[Math.min(k, schedule.length - 1)]! } : {}),
    }).timeline;
  const plan = referenceSchedule(traffic, service);
  const svg = tunePlot(
    { current: run(service), recommended: r.recommended && !r.recommended.keeps_current ? run(r.recommended.config) : null, clairvoyant: run(service, plan.targets) },
    {
      title: `docktor tune: ${service.name}, service time ${sig3(traffic.serviceTimeS)} s, startup ${sig3(traffic.startupDelayS)} s; held out from ${Math.round(r.holdout.from_s)} s`,
      span: r.span_s,
      slaS: service.sla?.max_pickup_seconds ?? 30,
    },
  );
  try {
    fs.writeFileSync(path.resolve(cwd, file), svg);
  } catch (e) {
    throw new OperationError(`--plot: cannot write ${file}: ${(e as Error).message}`);
  }
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const x2 = (v: number | null) => (v === null ? 'n/a' : v.toFixed(2));
const sec = (v: number | null) => (v === null ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));

export function summary(r: TuneResult, c: { trace: string; kind: string; threads: number; plot?: string | undefined }): string {
  const out: string[] = [];
  const part = (p: { from_s: number; to_s: number }) => `${n0(p.from_s)}–${n0(p.to_s)} s`;
  out.push(`tune ${r.service} on ${c.trace} (${c.kind}): ${n0(r.span_s)} s, ${n0(r.model.messages)} messages; service time ${sig3(r.model.service_time_s)} s, startup ${sig3(r.model.startup_delay_s)} s, SLA ${r.current.config.sla?.max_pickup_seconds ?? 30} s`);
  if (r.model.no_rates) out.push(`  replayed without counters, as the scaler reads ${r.service}'s queue: queue.backlog and queue.ack_pending only`);
  out.push(`  chosen on ${part(r.train)}, judged on the held-out ${part(r.holdout)}; breach allowed: ${(r.allowance.share * 100).toFixed(2)}% of a part (${r.allowance.train_s} s chosen on, ${r.allowance.holdout_s} s held out)`);
  out.push(`  ${r.search.evaluated} simulations in ${r.search.elapsed_s.toFixed(1)} s of a ${r.search.budget_s} s budget on ${c.threads} thread(s) (grid ${r.search.grid}, refinement ${r.search.refined}; ${r.search.stopped_by === 'budget' ? 'stopped by the budget' : 'converged'})`);
  out.push('');
  const row = (mark: string, f: TuneFigures | null, train: TuneFigures, label: string) => [
    mark,
    f ? sec(f.breach_seconds) : '',
    f ? sec(f.pickup_p99_s) : '',
    f ? n0(f.worker_seconds) : '',
    f ? x2(f.work_ratio) : '',
    f ? x2(f.clairvoyant_ratio) : '',
    n0(train.worker_seconds),
    x2(train.clairvoyant_ratio),
    label,
  ];
  const rec = r.recommended;
  const isCurrent = rec?.keeps_current === true;
  const rows = [row(isCurrent ? '* current' : 'current', r.current.figures, r.current.train, r.current.label)];
  if (rec && !isCurrent) rows.push(row('* best', rec.figures, rec.train, rec.label));
  // The next few, one per distinct outcome (knobs that change nothing on this traffic are not repeated).
  const outcome = (f: TuneFigures | null, t: TuneFigures) => JSON.stringify([f, t]);
  const shownOutcomes = new Set([rec ? outcome(rec.figures, rec.train) : '']);
  const others = r.candidates
    .filter((x) => x.family !== 'current' && x.holdout !== null && x.label !== rec?.label)
    .filter((x) => !shownOutcomes.has(outcome(x.holdout, x.train)) && shownOutcomes.add(outcome(x.holdout, x.train)) !== undefined)
    .slice(0, 4);
  others.forEach((x, i) => rows.push(row(String(i + 2), x.holdout, x.train, `${x.label}${x.holdout!.breach_seconds > r.allowance.holdout_s ? '  (breaches held out: never recommended)' : ''}`)));
  rows.push(row('reference', r.clairvoyant.holdout, r.clairvoyant.train, `clairvoyant (knows the future)${r.clairvoyant.infeasible ? '; a deadline out of its reach' : ''}`));
  out.push('  held out:                                                chosen on:');
  out.push(
    table(['', 'breach s', 'p99 s', 'worker-s', 'x work', 'x clairvoyant', 'worker-s', 'x clairvoyant', 'policy'], rows)
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  out.push('');
  if (!rec) out.push(`no recommendation: ${r.reason}`);
  else if (isCurrent) out.push('recommended: keep the current config (no candidate was cheaper and within the SLA on both parts)');
  else {
    const saved = r.current.figures.worker_seconds > 0 ? 1 - rec.figures.worker_seconds / r.current.figures.worker_seconds : 0;
    const currentBreaches = r.current.figures.breach_seconds > r.allowance.holdout_s;
    out.push(
      `recommended: ${rec.label}`,
      `  on the held-out part: ${currentBreaches ? `within the SLA where the current config breaches ${sec(r.current.figures.breach_seconds)} s` : `${(saved * 100).toFixed(1)}% fewer worker-seconds than the current config`}, ${x2(rec.figures.clairvoyant_ratio)}× the clairvoyant`,
      '',
      `the service's config, as the recommendation changes it (apply with --apply, or edit ${r.service} in the config file):`,
      yamlDiff(r.current.config, rec.config).trimEnd(),
    );
  }
  if (c.plot) out.push('', `plot written to ${c.plot}`);
  return out.join('\n') + '\n';
}

/** A measured figure as people read it (three significant digits; `--json` keeps every digit). */
function sig3(x: number | null): string {
  return x === null ? 'unknown' : String(Number(x.toPrecision(3)));
}
