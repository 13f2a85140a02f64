// docs/benchmarks.md from the parts' results: plain markdown with the figures, how they were
// measured, and whether each goal is met (said as it is).
import type { FleetRun } from './fleet.bench';
import type { Machine } from './machine';
import { GOAL_BREACH_SPAN_SHARE, GOAL_WORK_RATIO, WARMUP_SECONDS, spikyGoal, type GoalCheck } from './quality.bench';
import { BUSIEST_MINUTE_RATE, CHECK_INTERVAL, COUNTERLESS_COST_LIMIT, COUNTERLESS_POLICY, CPU_TARGET_PCT, ISSUE_SCENARIO, HPA_POLICIES, KNOWN_S_POLICY, THRESHOLD_POLICY, MAX_REPLICAS_FACTOR, MEAN_BUSY_REPLICAS, METRICS_WINDOW, POLICIES, POLICY_TEXT, TARGET_POLICIES, SLA_SECONDS, TARGET_WAIT_SECONDS, type PolicyName } from './scenarios';
import type { DayReplay, SimSpeed } from './simulate.bench';
import { TUNE_BENCH_BUDGET_S, TUNE_GOAL_CLAIRVOYANT, type TuneBenchRow } from './tune.bench';
import { FORECAST_GOAL_CLAIRVOYANT, FORECAST_GOAL_OFF_TRAFFIC, FORECAST_GOAL_READY_SHARE, FORECAST_JUDGED_FROM_S, FORECAST_SPAN_S, TUNED_REACTIVE, type ForecastResults } from './forecast.bench';
import type { SimulationFigures } from '../src/simulate/result';
import type { TuneFigures } from '../src/tune/types';
import { DEFAULT_MAX_CONCURRENT_ACTIVITIES, DEFAULT_WORKFLOW_THREADS } from '../src/worker';

export interface QualitySummary {
  trace: { name: string; file: string | null; what: string };
  scale: number;
  checkInterval: number;
  maxReplicas: number;
  messages: number;
  span: number;
  serviceTime: number;
  startupDelay: number;
  work: number;
  runs: Array<{ policy: PolicyName; figures: SimulationFigures; coldStartBreach: number; elapsed: number }>;
  clairvoyant: { figures: SimulationFigures; infeasible: boolean };
  lowerBound: number;
  goal: GoalCheck[];
  plot: string;
}

export interface BenchResults {
  machine: Machine;
  totalSeconds: number;
  /** The parts run, when not all of them. */
  parts?: string[];
  quality?: QualitySummary[];
  /** The issue-16 scenario on real and generated traces. */
  spiky?: QualitySummary[];
  decide?: Record<string, number> | { error: string };
  simulator?: { perPolicy: SimSpeed[]; day: DayReplay };
  fleet?: { runs: FleetRun[]; serverKind: string } | { error: string };
  cost?: { runs: FleetRun[]; quietSeconds: number } | { error: string };
  tune?: TuneBenchRow[];
  forecast?: ForecastResults;
}

const n0 = (v: number) => Math.round(v).toLocaleString('en-US');
const s = (v: number | null) => (v === null ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
/** A figure that may be missing (NaN becomes null in the parts' JSON: a percentile of no checks): n/a. */
const fx = (v: number | null | undefined, digits: number) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const f3 = (v: number | null | undefined) => fx(v, 3);
/** One figure per worker process ("612 + 598"), or the one figure of a report that has no list. */
const each = (list: Array<number | null> | undefined, one: number | null | undefined) => (list && list.length > 0 ? list.map((v) => fx(v, 0)).join(' + ') : fx(one, 0));

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const DECIDE_GOAL = 50_000;
export const SIM_GOAL = 500_000;
/** Issue 27: 2,000 scalers at 10 s on one worker; 5,000 over several worker processes; every check within 1 s of its grid point at p99. */
export const FLEET_GOALS = [
  { services: 2000, interval: 10, several: false, p99: 1 },
  { services: 5000, interval: 10, several: true, p99: 1 },
] as const;
const FLEET_P99 = 1;

/**
 * A report of some parts only: each section whose parts did not run ("Not run." its only text) is
 * taken from the previous report when that one has it, and the header says which ones were kept,
 * so `npm run bench -- --parts quality` no longer blanks the other sections.
 */
export function keepSectionsNotRun(fresh: string, previous: string | null): string {
  const split = (md: string) => md.split(/^(?=## )/m);
  const heading = (section: string) => section.split('\n', 1)[0]!;
  const notRun = (section: string) => section.split('\n').slice(1).every((l) => l.trim() === '' || l.startsWith('### ') || l.trim() === 'Not run.');
  const old = new Map((previous === null ? [] : split(previous)).filter((x) => x.startsWith('## ') && !notRun(x)).map((x) => [heading(x), x]));
  const kept: string[] = [];
  const sections = split(fresh).map((x) => {
    const earlier = x.startsWith('## ') && notRun(x) ? old.get(heading(x)) : undefined;
    if (earlier === undefined) return x;
    kept.push(heading(x).replace(/^## /, '').split(' ', 1)[0]!.replace(/\.$/, ''));
    return earlier.endsWith('\n') ? earlier : `${earlier}\n`;
  });
  if (kept.length === 0) return sections.join('');
  const [head, ...rest] = sections;
  const note = kept.length === 1 ? `Section ${kept[0]} was not run this time: it is kept from the previous report, with that run's figures.` : `Sections ${kept.join(', ')} were not run this time: they are kept from the previous report, with that run's figures.`;
  return [head!.replace(/\n\nMachine:/, `\n\n${note}\n\nMachine:`), ...rest].join('');
}

export function benchmarksMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(`Written by \`npm run bench\` (scripts/run-bench.js, sources in bench/) on ${m.date.slice(0, 10)} (${m.date}); ${r.parts ? `the parts run (${r.parts.join(', ')}) took` : 'the whole run took'} ${n0(r.totalSeconds)} s.`);
  out.push('');
  out.push(`Machine: ${m.cpus} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB memory, Node ${m.node}, ${m.os}. The machine is shared, so figures move by some percent from run to run.`);
  out.push('');
  quality(r, out);
  spiky(r, out);
  tuneSection(r, out);
  forecastSection(r, out);
  speed(r, out);
  fleet(r, out);
  cost(r, out);
  return out.join('\n') + '\n';
}

/** One row per policy and the clairvoyant reference's row: what each spent and how late it was. */
function policyTable(q: QualitySummary): string {
  const cv = q.clairvoyant.figures;
  const row = (name: string, f: SimulationFigures, coldStartBreach: number | null) => [
    name,
    s(f.breach_seconds),
    coldStartBreach === null ? '' : s(coldStartBreach),
    s(f.pickup_p50_s),
    s(f.pickup_p95_s),
    s(f.pickup_p99_s),
    s(f.pickup_max_s),
    n0(f.max_backlog),
    n0(f.worker_seconds),
    (f.worker_seconds / q.work).toFixed(2),
    (f.worker_seconds / cv.worker_seconds).toFixed(2),
    f.mean_replicas.toFixed(1),
    String(f.peak_replicas),
    String(f.scale_events),
  ];
  return table(
    ['policy', 'breach s', `of which in the first ${WARMUP_SECONDS / 60} min`, 'pickup p50 s', 'p95 s', 'p99 s', 'max s', 'max backlog', 'worker-s', 'x work', 'x clairvoyant', 'mean replicas', 'peak', 'scale events'],
    [...q.runs.map(({ policy, figures, coldStartBreach }) => row(policy, figures, coldStartBreach)), row(`*clairvoyant*${q.clairvoyant.infeasible ? ' (a deadline out of reach)' : ''}`, cv, null)],
  );
}

/** Issue 16's goal for predictive on each trace of a scenario. */
function spikyGoalTable(qs: QualitySummary[], scenario: string): string[][] {
  return qs.map((q) => {
    const f = q.runs.find((x) => x.policy === 'predictive')!.figures;
    const known = q.runs.find((x) => x.policy === KNOWN_S_POLICY)?.figures;
    const threshold = q.runs.find((x) => x.policy === THRESHOLD_POLICY)?.figures;
    const g = spikyGoal(q, f);
    return [
      q.trace.name,
      scenario,
      `${s(f.breach_seconds)} (limit ${s(GOAL_BREACH_SPAN_SHARE * q.span)})`,
      (f.worker_seconds / q.work).toFixed(2),
      known === undefined ? 'n/a' : `${(known.worker_seconds / q.work).toFixed(2)} (breach ${s(known.breach_seconds)})`,
      threshold === undefined ? 'n/a' : `${(threshold.worker_seconds / q.work).toFixed(2)} (breach ${s(threshold.breach_seconds)})`,
      (f.worker_seconds / q.clairvoyant.figures.worker_seconds).toFixed(2),
      (q.clairvoyant.figures.worker_seconds / q.work).toFixed(2),
      (q.lowerBound / q.work).toFixed(2),
      g.breachOk && g.workOk ? '**met**' : `**not met** (${[!g.breachOk ? 'breach' : '', !g.workOk ? 'work' : ''].filter(Boolean).join(', ')})`,
    ];
  });
}

function quality(r: BenchResults, out: string[]): void {
  out.push('## 1. Policy quality on real traffic (simulated)');
  out.push('');
  if (!r.quality) {
    out.push('Not run.');
    out.push('');
    return;
  }
  out.push(
    `Every policy replayed by \`docktor simulate\`'s engine (src/simulate) on each real trace of \`../shared/traces\`, SLA ${SLA_SECONDS} s. ` +
      'The simulator calls the real decision engine every check with the observations the real sources give and carries its state as the workflow does. ' +
      `Every run starts with min_replicas = 1 ready replica (a cold start into traffic that needs about ${MEAN_BUSY_REPLICAS}), which all policies share.`,
  );
  out.push('');
  out.push(
    'What the simulated checks see (src/simulate/observations.ts): `queue.backlog` (waiting), `queue.ack_pending` (in service), `queue.lag`, `queue.rate_in`/`rate_out` over metrics_window computed by the NATS source\'s own code (absent at the first check, as on a first real read), ' +
      '`queue.oldest_age_s` (oldest message not yet acknowledged, in service included, as NATS reports it), `cpu.avg_pct` (busy share of the replicas over metrics_window; a starting replica counts as idle), `replicas.current` (starting included) and `replicas.ready`. ' +
      'A scale-down removes starting replicas first, then idle ones, then busy ones, which finish their message. The breach figure uses the oldest *waiting* message.',
  );
  out.push('');
  out.push('Scenario per trace (same for every policy, one rule for every trace, nothing tuned to a trace):');
  out.push(`- service time S = ${MEAN_BUSY_REPLICAS} / (mean arrival rate), two significant digits: the mean load keeps ${MEAN_BUSY_REPLICAS} replicas busy, the peaks several times more;`);
  out.push('- startup delay: 10 s for the autothrottle traces (web-service containers), 30 s for the Azure LLM trace (inference servers load a model);');
  out.push(`- min_replicas 1, max_replicas ${MAX_REPLICAS_FACTOR * MEAN_BUSY_REPLICAS} (${MAX_REPLICAS_FACTOR} x the mean load), check_interval ${CHECK_INTERVAL} s, metrics_window ${METRICS_WINDOW} s, default cooldown (up 0 s; down 60 s, for predictive 0 s: its own scale-down window spaces its scale-downs), deterministic service times.`);
  out.push('');
  out.push('Policies (S: the trace\'s service time; thresholds in messages scale with 1/S, the messages one replica serves per second):');
  for (const p of POLICIES) out.push(`- **${p}**: ${POLICY_TEXT[p]}.`);
  out.push('');
  out.push('And, since target tracking in Kubernetes runs with the HPA\'s default behavior (docktor has no hidden defaults, CONTRACT §2), the two target policies again with it:');
  for (const p of HPA_POLICIES) out.push(`- **${p}**: ${POLICY_TEXT[p]}.`);
  out.push('');
  out.push(`And, to tell the service-time estimate's cold start from the policy itself: **${KNOWN_S_POLICY}**: ${POLICY_TEXT[KNOWN_S_POLICY]}. It is not a scenario rule (the operator may not know S); it is shown beside predictive, in the tables only.`);
  out.push('');
  out.push(`And, to show what the default breach threshold's margin costs: **${THRESHOLD_POLICY}**: ${POLICY_TEXT[THRESHOLD_POLICY]}. Also not a scenario rule; in the tables only.`);
  out.push('');
  out.push(`And, for queues that keep no counters: **${COUNTERLESS_POLICY}**: ${POLICY_TEXT[COUNTERLESS_POLICY]}. In the tables, and against ${KNOWN_S_POLICY} at the end of section 1b.`);
  out.push('');
  out.push(
    `The backlog thresholds of rules and target-backlog aim at about ${TARGET_WAIT_SECONDS} s of waiting (a third of the SLA); target-cpu keeps replicas ${CPU_TARGET_PCT}% busy. ` +
      '`breach s`: seconds during which the oldest waiting message was older than the SLA. `worker-s`: replica-seconds from creation to removal; `x work`: worker-seconds over the work itself (messages x S), the floor no policy can beat.',
  );
  out.push('');
  out.push(
    table(
      ['trace', 'what', 'messages', 'span s', 'mean rate /s', 'S s', 'startup s', 'work (messages x S) s'],
      r.quality.map((q) => [q.trace.name, q.trace.what, n0(q.messages), n0(q.span), (q.messages / q.span).toFixed(1), String(q.serviceTime), String(q.startupDelay), n0(q.work)]),
    ),
  );
  out.push('');
  for (const q of r.quality) {
    out.push(`### ${q.trace.name} (\`${q.trace.file}\`)`);
    out.push('');
    out.push(policyTable(q));
    out.push('');
    out.push(`![${q.trace.name}: arrivals, backlog, replicas and pickup latency per policy](bench/${q.plot})`);
    out.push('');
    out.push(`*The plot shows the four policies of the issue and the clairvoyant schedule's replicas (dashed; the HPA-behavior variants, ${KNOWN_S_POLICY}, ${THRESHOLD_POLICY} and ${COUNTERLESS_POLICY} are in the table only).*`);
    out.push('');
  }
  out.push('### The goal for predictive');
  out.push('');
  out.push(
    'Issue 7: *at most half the breach seconds of target tracking at no more than 110% of its worker-seconds, on every trace.* ' +
      'Checked against every target-tracking policy (a breach of 0 must then stay 0):',
  );
  out.push('');
  const rows: string[][] = [];
  for (const q of r.quality) {
    const pred = q.runs.find((x) => x.policy === 'predictive')!.figures;
    for (const g of q.goal) {
      const t = q.runs.find((x) => x.policy === g.against)!.figures;
      rows.push([
        q.trace.name,
        g.against,
        `${s(pred.breach_seconds)} vs ${s(t.breach_seconds)}`,
        g.breachOk ? 'yes' : 'no',
        `${n0(pred.worker_seconds)} vs ${n0(t.worker_seconds)} (${pct(g.workerRatio)})`,
        g.workerOk ? 'yes' : 'no',
        g.met ? '**met**' : '**not met**',
      ]);
    }
  }
  out.push(table(['trace', 'against', 'breach s (predictive vs target)', '<= half', 'worker-s (predictive vs target)', '<= 110%', 'goal'], rows));
  out.push('');
  for (const against of TARGET_POLICIES) {
    const checks = r.quality.map((q) => ({ trace: q.trace.name, g: q.goal.find((g) => g.against === against)! }));
    const met = checks.filter((c) => c.g.met).map((c) => c.trace);
    const missed = checks.filter((c) => !c.g.met);
    out.push(
      `- Against **${against}**: met on ${met.length} of ${checks.length} traces${met.length ? ` (${met.join(', ')})` : ''}` +
        (missed.length
          ? `; not met on ${missed.map((c) => `${c.trace} (${[!c.g.breachOk ? 'breach' : '', !c.g.workerOk ? `worker-seconds ${pct(c.g.workerRatio)}` : ''].filter(Boolean).join(', ')})`).join(', ')}.`
          : '.'),
    );
  }
  const all = r.quality.every((q) => q.goal.every((g) => g.met));
  out.push('');
  out.push(
    all
      ? 'The goal is met on every trace against every target-tracking policy.'
      : 'So the goal is **not met** on every trace against every target-tracking policy; the tables above show where and by how much. Nothing was tuned to make it pass.',
  );
  out.push('');
  const coldOnly = r.quality.flatMap((q) =>
    q.runs.filter((x) => x.figures.breach_seconds > 0 && x.figures.breach_seconds - x.coldStartBreach < 1e-6).map((x) => `${x.policy} on ${q.trace.name}`),
  );
  if (coldOnly.length > 0) {
    out.push(
      `Note that some breach seconds come only from the cold start (the first ${WARMUP_SECONDS / 60} minutes, one replica facing traffic for about ${MEAN_BUSY_REPLICAS}): ${coldOnly.join(', ')}. ` +
        'A policy that ramps up slowly from one replica loses there, whatever it does later.',
    );
    out.push('');
  }
}

function spiky(r: BenchResults, out: string[]): void {
  out.push('## 1b. Spiky on/off traffic, and the clairvoyant reference (issue 16)');
  out.push('');
  if (!r.spiky) {
    out.push('Not run.');
    out.push('');
    return;
  }
  out.push(
    '**Generated traffic** (src/simulate/spiky.ts, seeded, so every run replays the same arrivals): bursts of 5–20x the mean rate lasting 30–120 s, separated by gaps of 1–10 min at 1% of the mean, Poisson counts per second. ' +
      'Bursts of 5–20x the mean can only fill 1/20 to 1/5 of the time, so a layout of bursts and gaps outside that range is drawn again; each burst then gets its own factor in 5–20 so that the whole averages the mean. ' +
      'Two traces add 30 one-second spikes per hour of 20–60x the mean (a web log\'s spikes). Only the seed differs between two traces of a kind; nothing else was chosen after seeing a result.',
  );
  out.push('');
  out.push(
    `**Scenario rule (issue 16), the same for every trace, real and generated:** arrivals rescaled so the busiest minute averages ${BUSIEST_MINUTE_RATE} messages/s, ` +
      `service time ${ISSUE_SCENARIO.serviceTime} s, SLA ${SLA_SECONDS} s, startup ${ISSUE_SCENARIO.startupDelay} s, a check every ${ISSUE_SCENARIO.limits.check_interval} s, min_replicas 1, max_replicas ${ISSUE_SCENARIO.limits.max_replicas}, every other field default (metrics_window 30 s; cooldown down 60 s, for predictive 0 s), the policies of section 1 with the same thresholds rule. Nothing in a policy or the rule depends on the trace; the service time is estimated from the queue, from nothing at the start of each trace.`,
  );
  out.push('');
  out.push(
    '**Clairvoyant reference** (src/simulate/clairvoyant.ts): the replica schedule an operator knowing the whole trace in advance would run, under the limits every policy has: replicas change only at checks, a new replica serves only after the startup delay, min..max_replicas. ' +
      'On a one-second grid, any schedule that meets the SLA starts, by each second s, at least L(s) messages (those that arrived by s − SLA) and at most U(s) (those that arrived before s). ' +
      'Inside that tube the *taut string* (the shortest path from the origin, as in optimal video smoothing) is the cumulative start curve with the lowest peak rate and the fewest rate changes: it spreads work over the SLA\'s slack, so a spike asks for a few replicas for longer instead of many for a moment (each replica started costs its startup delay in worker-seconds). ' +
      'Going forward, each check interval gets the fewest replicas (>= min_replicas) whose service keeps the messages served at or above the string at every second; each check asks for the most replicas needed until what it starts is ready, so replicas are started in time and kept through dips shorter than the startup delay. ' +
      'The schedule is then replayed by the same simulator (it replaces the decision engine), and its own worker-seconds and breach are what the tables show. It is an achievable schedule, so it bounds the optimum from above, not from below: a policy can come in under it (`x clairvoyant` below 1), as whole replicas per interval and the max over the startup delay cost it some worker-seconds. ' +
      '`x clairvoyant`: a policy\'s worker-seconds over the clairvoyant\'s. When even the clairvoyant cannot meet a deadline (max_replicas too low, or a cold start faster than the startup delay), the table says so.',
  );
  out.push('');
  out.push(
    '**Lower bound** (`workerSecondsLowerBound` in the same file): the fewest worker-seconds any breach-free schedule, online or offline, can spend, from a relaxation that drops the check interval, max_replicas and whole replicas. ' +
      'In each second s, starting x_s messages needs x_s / c ready replicas (c = ceil(1/S) starts per replica-second), and never fewer than min_replicas; the taut string through the tube (with its lower edge at its loosest) minimises the sum of max(min_replicas, x_s / c) over every path in it, as it does every convex cost of the rates, and has the lowest peak rate; to that come one startup delay per replica of that peak beyond min_replicas (every replica started is paid at least once). ' +
      'It counts each startup only once per run, so it is loose on on/off traffic, where a schedule pays the startup again for every burst (or keeps replicas through the gap); the true optimum lies between it and the clairvoyant\'s figure.',
  );
  out.push('');
  out.push(
    table(
      ['trace', 'what', 'messages (rescaled)', 'span s', 'scale', 'mean rate /s', 'busiest minute /s', 'work (messages x S) s'],
      r.spiky.map((q) => [q.trace.name, q.trace.what, n0(q.messages), n0(q.span), q.scale.toFixed(3), (q.messages / q.span).toFixed(1), String(BUSIEST_MINUTE_RATE), n0(q.work)]),
    ),
  );
  out.push('');
  for (const q of r.spiky) {
    out.push(`### ${q.trace.name}, issue-16 scenario`);
    out.push('');
    out.push(policyTable(q));
    out.push('');
    out.push(`![${q.trace.name} (issue-16 scenario): arrivals, backlog, replicas and pickup latency per policy](bench/${q.plot})`);
    out.push('');
  }
  out.push('### The goal for predictive (issue 16)');
  out.push('');
  out.push(
    `On every trace under both scenario rules: breach seconds <= ${GOAL_BREACH_SPAN_SHARE * 100}% of the span and worker-seconds <= ${GOAL_WORK_RATIO}x the work. ` +
      '`clairvoyant x work` is what an offline schedule under the same limits spends (min_replicas in the gaps, startup delays, whole replicas); `lower bound x work` is below what any schedule can spend. The goal is out of reach for every policy on a trace where the lower bound passes it, and for an online one (which sees a burst only after it began, and pays a startup after that) wherever the clairvoyant comes close to it.',
  );
  out.push('');
  const rows = [...spikyGoalTable(r.quality ?? [], 'mean-load (section 1)'), ...spikyGoalTable(r.spiky, 'issue 16')];
  out.push(table(['trace', 'scenario', 'predictive breach s', 'x work', `${KNOWN_S_POLICY} x work`, `${THRESHOLD_POLICY} x work`, 'x clairvoyant', 'clairvoyant x work', 'lower bound x work', 'goal'], rows));
  out.push('');
  const missed = rows.filter((x) => !x[9]!.startsWith('**met'));
  out.push(missed.length === 0 ? 'The goal is met on every trace under both scenario rules.' : `The goal is **not met** on ${missed.length} of ${rows.length} (trace, scenario) pairs: ${missed.map((x) => `${x[0]} (${x[1]})`).join(', ')}.`);
  out.push('');
  out.push(
    `Reading the columns as a split of the cost: \`x work\` − \`${KNOWN_S_POLICY} x work\` is the service-time estimate's cold start (each trace starts with nothing known, and the first burst is sized on an upper bound of S; a running service keeps its estimate in the workflow state, so it pays this once, and not at all with \`sla.service_time_seconds\` set); ` +
      `\`${KNOWN_S_POLICY} x work\` − \`clairvoyant x work\` is mostly the price of reacting online (a burst or a one-second spike is seen at the next check, up to a check interval late, and new replicas serve a startup delay after that, so the backlog must then be drained in what is left of the budget, by more replicas for a shorter time than the clairvoyant, which starts them before the burst); ` +
      '`clairvoyant x work` − `lower bound x work` is what the check interval, whole replicas and startups paid again for each burst cost even offline, at most (the lower bound is loose there). ' +
      `\`${THRESHOLD_POLICY} x work\` against \`x work\` is what the default threshold's margin (the drain plans pickups within 0.8 of the SLA) costs: the operator's choice between that margin and replica-seconds.`,
  );
  out.push('');
  counterless(r, out);
}

/** Issue 28: the same policy with and without the source's counters, on every trace of both scenarios. */
function counterless(r: BenchResults, out: string[]): void {
  const qs: Array<[QualitySummary, string]> = [...(r.quality ?? []).map((q): [QualitySummary, string] => [q, 'mean-load (section 1)']), ...(r.spiky ?? []).map((q): [QualitySummary, string] => [q, 'issue 16'])];
  const pairs = qs.flatMap(([q, scenario]) => {
    const counted = q.runs.find((x) => x.policy === KNOWN_S_POLICY)?.figures;
    const without = q.runs.find((x) => x.policy === COUNTERLESS_POLICY)?.figures;
    return counted && without ? [{ q, scenario, counted, without }] : [];
  });
  if (pairs.length === 0) return;
  out.push('### Sources without counters (issue 28)');
  out.push('');
  out.push(
    `${KNOWN_S_POLICY} on the same arrivals, simulated with and without the source's counters (\`docktor simulate --no-rates\`: \`queue.backlog\` and \`queue.ack_pending\` only, as Laravel's Redis queue and plain lists report). ` +
      'Without \`queue.rate_in\` the arrivals come from the backlog\'s history: a step at one check is a burst to drain, not a rate, unless the backlog keeps rising; without \`queue.oldest_age_s\` the oldest waiting message\'s age comes from the same history (docs/decide.md, predictive step 2). ' +
      `The goal: 0 breach seconds without counters, at most ${COUNTERLESS_COST_LIMIT}x the worker-seconds with them.`,
  );
  out.push('');
  const rows = pairs.map(({ q, scenario, counted, without }) => {
    const ratio = without.worker_seconds / counted.worker_seconds;
    const met = without.breach_seconds === 0 && ratio <= COUNTERLESS_COST_LIMIT + 1e-9;
    return [
      q.trace.name,
      scenario,
      `${s(counted.breach_seconds)} / ${s(without.breach_seconds)}`,
      `${s(counted.pickup_p99_s)} / ${s(without.pickup_p99_s)}`,
      `${s(counted.pickup_max_s)} / ${s(without.pickup_max_s)}`,
      `${n0(counted.worker_seconds)} / ${n0(without.worker_seconds)}`,
      ratio.toFixed(2),
      `${counted.peak_replicas} / ${without.peak_replicas}`,
      met ? '**met**' : `**not met** (${[without.breach_seconds > 0 ? 'breach' : '', ratio > COUNTERLESS_COST_LIMIT + 1e-9 ? 'cost' : ''].filter(Boolean).join(', ')})`,
    ];
  });
  out.push(table(['trace', 'scenario', 'breach s (with / without)', 'p99 s', 'max s', 'worker-s', 'x with counters', 'peak', 'goal'], rows));
  out.push('');
  const missed = rows.filter((x) => !x[8]!.startsWith('**met'));
  out.push(missed.length === 0 ? `Met on every trace under both scenario rules: 0 breach seconds without counters, at most ${Math.max(...pairs.map((p) => p.without.worker_seconds / p.counted.worker_seconds)).toFixed(2)}x the worker-seconds with them.` : `**Not met** on ${missed.length} of ${rows.length} (trace, scenario) pairs: ${missed.map((x) => `${x[0]} (${x[1]})`).join(', ')}.`);
  out.push('');
}

function speed(r: BenchResults, out: string[]): void {
  out.push('## 2. Speed');
  out.push('');
  out.push(`### decide() per second (goal > ${n0(DECIDE_GOAL)}/s on one core)`);
  out.push('');
  if (!r.decide) out.push('Not run.');
  else if ('error' in r.decide) out.push(`Failed: ${String(r.decide.error)}`);
  else {
    out.push('bench/decide.bench.ts: `decide()` in a loop, each call fed the previous state and varying observations, services with HPA behavior (stabilization windows and rate-limit policies).');
    out.push('');
    out.push(table(['strategy', 'decisions/s', `> ${n0(DECIDE_GOAL)}`], Object.entries(r.decide).map(([k, v]) => [k, n0(Number(v)), Number(v) > DECIDE_GOAL ? 'yes' : 'no'])));
  }
  out.push('');
  out.push(`### Simulated messages per second (goal >= ${n0(SIM_GOAL)}/s)`);
  out.push('');
  if (!r.simulator) out.push('Not run.');
  else {
    const sim = r.simulator;
    out.push(`Each policy on the largest trace (${sim.perPolicy[0]?.trace}), the quality benchmark's settings, median of 3 runs after a warm-up; this includes every decide() call (one per check).`);
    out.push('');
    out.push(table(['policy', 'messages', 'seconds', 'messages/s', `>= ${n0(SIM_GOAL)}`], sim.perPolicy.map((p) => [p.policy, n0(p.messages), p.seconds.toFixed(3), n0(p.messagesPerSecond), p.messagesPerSecond >= SIM_GOAL ? 'yes' : 'no'])));
    out.push('');
    const d = sim.day;
    out.push(
      `A day of traffic: the diurnal hour replayed 24 times (${n0(d.messages)} messages, ${n0(d.checks)} checks) under ${d.policy} took ${d.seconds.toFixed(2)} s: ${n0(d.messagesPerSecond)} messages/s. ` +
        `The process's RSS was ${d.rssBeforeMiB.toFixed(0)} MiB before and peaked at ${d.peakRssMiB.toFixed(0)} MiB (heap in use after: ${d.heapUsedMiB.toFixed(0)} MiB) for 24 times the messages of the one-hour runs before it: arrivals are generated from the trace's bins, the queue holds only waiting messages, and pickups go to a fixed-size histogram (exact below 2 ms, within 0.1% above).`,
    );
  }
  out.push('');
}

function fleet(r: BenchResults, out: string[]): void {
  out.push('## 3. Fleet: thousands of scalers, on one worker or several');
  out.push('');
  if (!r.fleet) {
    out.push('Not run.');
    out.push('');
    return;
  }
  if ('error' in r.fleet) {
    out.push(`Failed: ${r.fleet.error}`);
    out.push('');
    return;
  }
  const runs = r.fleet.runs;
  out.push(
    `N \`serviceScaler\` workflows on ONE worker (\`workers\` 1: in the benchmark's process, \`createScalerWorker\` with its defaults: ${DEFAULT_WORKFLOW_THREADS} workflow threads, ${n0(DEFAULT_MAX_CONCURRENT_ACTIVITIES)} activity slots) or on several worker PROCESSES polling one task queue (bench/fleet-worker.ts, \`--fleet-workers\`; each the same worker with its own fake plugins, as \`docktor worker\` on several machines), and the real Temporal dev server (${r.fleet.serverKind === 'cli' ? '`temporal server start-dev`, in memory, its default limits' : "the SDK's test server"}), all on this machine, ` +
      'with the in-memory FAKE runtime and queue source of test/harness/fake-plugins.ts (one per service; steady metrics, so decisions hold). ' +
      `Each workflow checks every ${[...new Set(runs.map((x) => x.checkInterval))].join(' or ')} s (the \`interval\` column) on the scaler's grid (every interval, at a phase hashed from its id, so the N scalers do not check at once), inside a \`watchService\` activity that runs the checks and returns when a decision changes or after a quiet stretch (docs/architecture.md, "Durable cost"; the apply activity runs only when the replica count changes, and search attributes are upserted only when they change: here, after the first check, neither). All N are started at once (as \`docktor up\` does), then measured in steady state: the window begins after every scaler's short stretches, two intervals into its first quiet one (or \`--fleet-settle\` seconds after the last start), so the start-up burst is not part of the figures.`,
  );
  out.push('');
  out.push(
    '**Tick lateness** of a check = its start − its grid point, where its start is when it read its (fake) queue source, recorded by the source. ' +
      '**Interval drift** = a check\'s start − (the previous check\'s start + check_interval): the drift an operator sees. ' +
      '**Cost**: the dev server\'s own `action` counter for the namespace over the window (what Temporal Cloud bills), and the events the histories gained in it (their encoded bytes).',
  );
  out.push('');
  out.push(
    table(
      ['services', 'interval s', 'workers', 'checks measured / expected', 'lateness p50 s', 'p99 s', 'max s', 'drift p50 s', 'drift p99 s', 'worker RSS MiB', 'server RSS MiB', 'worker CPU %', 'server CPU %', 'load average', 'start all s'],
      runs.map((x) => [
        String(x.services),
        String(x.checkInterval),
        x.workers > 0 ? `${x.workers} process${x.workers > 1 ? 'es' : ''}` : '1 (in the bench process)',
        `${n0(x.ticks)} / ${n0(x.expectedTicks)}`,
        fx(x.latenessP50, 3),
        fx(x.latenessP99, 3),
        fx(x.latenessMax, 3),
        fx(x.driftP50, 3),
        fx(x.driftP99, 3),
        each(x.workerRssMiBEach, x.workerRssMiB),
        fx(x.serverRssMiB, 0),
        each(x.workerCpuPctEach, x.workerCpuPct),
        fx(x.serverCpuPct, 0),
        fx(x.loadAverage, 1),
        fx(x.startSeconds, 1) + (x.failures ? ` (${x.failures} failed)` : ''),
      ]),
    ),
  );
  out.push('');
  out.push(
    table(
      ['services', 'actions/check', 'actions/s', 'events/check', 'history bytes/check', 'history KiB/s'],
      runs.map((x) => [String(x.services), fx(x.actionsPerCheck, 3), fx(x.actionsPerSecond, 2), fx(x.eventsPerCheck, 2), fx(x.historyBytesPerCheck, 0), fx(x.historyBytesPerSecond / 1024, 1)]),
    ),
  );
  out.push('');
  out.push('Per scaler (what sizing a deployment needs; docs/operations.md, "Sizing"): worker RSS of all workers over the services (the workers\' own base, about 150 MiB each, included), Temporal actions per second, and the actions by type in the window (heartbeats are `RecordActivityTaskHeartbeat`).');
  out.push('');
  out.push(
    table(
      ['services', 'worker RSS per scaler KiB', 'actions/s per scaler', 'actions by type'],
      runs.map((x) => [
        String(x.services),
        fx(((x.workerRssMiBEach?.length ? x.workerRssMiBEach.reduce((a, b) => a + b, 0) : x.workerRssMiB) * 1024) / x.services, 0),
        fx(x.actionsPerSecond === null ? null : x.actionsPerSecond / x.services, 4),
        Object.entries(x.actions?.byType ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || 'n/a',
      ]),
    ),
  );
  out.push('');
  out.push('From the event histories (p99 over the window): the server firing timers late (n/a: the checks need no timer), tasks waiting to be picked up by the worker (schedule-to-start), how long the worker held a workflow task, and how long a watch activity waited to be picked up by a worker (its schedule-to-start: a new watch after each quiet stretch).');
  out.push('');
  out.push(
    table(
      ['services', 'timer fired late p99 s', 'workflow task wait p99 s', 'workflow task run p99 s', 'watch activity wait p99 s'],
      runs.map((x) => [String(x.services), f3(x.timerLateP99), f3(x.workflowTaskWaitP99), f3(x.workflowTaskRunP99), f3(x.activityWaitP99)]),
    ),
  );
  out.push('');
  out.push(
    `CPU in % of one core, over the ${n0(runs[0]?.measuredSeconds ?? 0)} s measured; the machine has ${r.machine.cpus}. ` +
      '`load average`: the machine\'s mean 1-minute load during the window, other work included: above the CPU count, the worker and the server were waiting for CPU, and the lateness shows it. ' +
      '`checks expected`: one per interval per service (checks keep to their grid, so the time checks take does not make them fewer). ' +
      'Checks that did not begin inside the window are in no percentile: where far fewer checks ran than expected, the real lateness is worse than the figures.',
  );
  const worst = runs[runs.length - 1];
  // Only when timers drive the checks (the watch design has none: its timer p99 is n/a).
  if (worst && Number.isFinite(worst.timerLateP99) && worst.workflowTaskWaitP99 > 2 * worst.timerLateP99 && worst.latenessP99 >= FLEET_P99) {
    out.push('');
    out.push(
      `At ${worst.services} services workflow tasks wait ${fx(worst.workflowTaskWaitP99, 1)} s (p99) to be picked up by the worker, while the server fires timers ${fx(worst.timerLateP99, 3)} s late (p99): ` +
        `the limit is the one worker's workflow-task throughput (its process used ${fx(worst.workerCpuPct, 0)}% of one core; workflow code runs on ${DEFAULT_WORKFLOW_THREADS} threads) on this shared machine, not the server. ` +
        'More workers (`docktor worker`, CONTRACT §1: many may run) or fewer workflow tasks per check would move it.',
    );
  }
  // Where the time went: workers that were mostly idle while checks were late waited for the server or the machine.
  const starved = runs.filter((x) => x.latenessP99 >= FLEET_P99 && x.loadAverage > r.machine.cpus);
  if (starved.length > 0) {
    out.push('');
    out.push(
      starved
        .map(
          (x) =>
            `At ${n0(x.services)} services the machine's load average was ${fx(x.loadAverage, 1)} on ${r.machine.cpus} CPUs (other work on it included) while the workers used ${each(x.workerCpuPctEach, x.workerCpuPct)}% of a core and the server ${fx(x.serverCpuPct, 0)}%: ` +
            `the checks waited for CPU (workflow tasks ${fx(x.workflowTaskWaitP99, 1)} s at p99 before a worker had them), and ${n0(x.expectedTicks - x.ticks)} of the checks expected did not begin in the window. These figures measure that contention, not what the workers can carry.`,
        )
        .join(' '),
    );
  }
  out.push('');
  for (const g of FLEET_GOALS) {
    const what = `${n0(g.services)} services at ${g.interval} s${g.several ? ' or longer' : ''} on ${g.several ? 'several worker processes' : 'one worker'}, p99 lateness < ${g.p99} s, on this ${r.machine.cpus}-CPU machine`;
    // At the goal's interval or a longer one (several workers on 2 cores compete for them).
    const goal = runs.find((x) => x.services === g.services && x.checkInterval >= g.interval && (g.several ? x.workers > 1 : x.workers <= 1));
    if (!goal) {
      out.push(`Goal (${what}): not measured in this run.`);
      out.push('');
      continue;
    }
    const ok = goal.latenessP99 < g.p99 && goal.ticks >= 0.95 * goal.expectedTicks;
    out.push(
      `Goal (${what}): ` +
        (ok ? `**met**: p99 ${fx(goal.latenessP99, 3)} s over ${n0(goal.ticks)} of ${n0(goal.expectedTicks)} expected checks` : `**not met**: p99 ${fx(goal.latenessP99, 3)} s over ${n0(goal.ticks)} of ${n0(goal.expectedTicks)} expected checks`) +
        ` (interval ${goal.checkInterval} s${goal.workers > 1 ? `, ${goal.workers} worker processes` : ''}; drift p99 ${fx(goal.driftP99, 3)} s; worker RSS ${each(goal.workerRssMiBEach, goal.workerRssMiB)} MiB; ${fx(goal.actionsPerSecond, 1)} actions/s).`,
    );
    out.push('');
  }
}

function cost(r: BenchResults, out: string[]): void {
  out.push('## 4. Durable cost: Temporal actions and history per check');
  out.push('');
  if (!r.cost) {
    out.push('Not run.');
    out.push('');
    return;
  }
  if ('error' in r.cost) {
    out.push(`Failed: ${r.cost.error}`);
    out.push('');
    return;
  }
  const runs = r.cost.runs;
  out.push(
    `${runs[0]?.services ?? 0} idle scalers per interval (fake plugins, steady metrics), each interval in its own namespace of one dev server, side by side. ` +
      `Measured over ${n0(runs[0]?.measuredSeconds ?? 0)} s that begin after every scaler's first quiet stretch (${r.cost.quietSeconds} s), so each contributes the ends of its stretches as in steady state. ` +
      'Actions: the server\'s own `action` counter for the namespace (what Temporal Cloud bills; test/harness/temporal-actions.ts), by type. Goal (issue 15): ≤ 0.25 actions and ≤ 1 event per check at 2 s and 10 s.',
  );
  out.push('');
  out.push(
    table(
      ['interval s', 'checks', 'actions/check', 'events/check', 'history bytes/check', 'actions by type', 'goal'],
      runs.map((x) => [
        String(x.checkInterval),
        n0(x.ticks),
        fx(x.actionsPerCheck, 3),
        fx(x.eventsPerCheck, 2),
        fx(x.historyBytesPerCheck, 0),
        Object.entries(x.actions?.byType ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') || '-',
        x.actionsPerCheck !== null && x.actionsPerCheck <= 0.25 && x.eventsPerCheck <= 1 ? '**met**' : '**not met**',
      ]),
    ),
  );
  out.push('');
}

function tuneSection(r: BenchResults, out: string[]): void {
  out.push('## 1c. Tune: chosen on the first 70%, judged on the rest (issue 29)');
  out.push('');
  if (!r.tune) {
    out.push('Not run.');
    out.push('');
    return;
  }
  out.push(
    '`docktor tune` (src/tune) on every trace of section 1b, in its scenario (busiest minute 40 messages/s, 1 s jobs, SLA 30 s, startup 10 s, a check every 10 s, min 1, max 100 replicas), starting from predictive with its defaults (the current config). ' +
      `It searches (coarse grid of predictive knobs, target-tracking and rules recipes, then local refinement, in worker threads on this machine's cores; a budget of ${TUNE_BENCH_BUDGET_S} s so that every search converges and the figures do not depend on the machine's load: the column *simulations* says how long each took) on the first 70% of the traffic only, and is judged on the last 30%, which it never chose on: ` +
      'every replay runs from the trace\'s start, so the judged part starts warm, with the replicas and estimates the policy had then, and the figures count only that part. ' +
      'Each part is followed by 30 s (the SLA) without arrivals, in which every message the part left waiting must still be picked up within the SLA, by each candidate and by the reference alike (src/tune/drained-trace.ts). ' +
      `A candidate whose breach on the held-out part passes 0.5% of its span is never recommended. \`x clairvoyant\`: worker-seconds over the clairvoyant reference's on the same held-out part. The goal: at most ${TUNE_GOAL_CLAIRVOYANT}x on every trace, within the breach allowance.`,
  );
  out.push('');
  const x = (f: TuneFigures | undefined | null) => (f?.clairvoyant_ratio === null || f?.clairvoyant_ratio === undefined ? 'n/a' : f.clairvoyant_ratio.toFixed(2));
  const rows = r.tune.map((t) => {
    const rec = t.recommended;
    const met = rec !== null && (rec.figures.clairvoyant_ratio ?? Infinity) <= TUNE_GOAL_CLAIRVOYANT + 1e-9 && rec.figures.breach_seconds <= t.allowanceS + 1e-9;
    return [
      t.trace,
      `${n0(t.holdoutFrom)}–${n0(t.span)}`,
      `${x(t.current)} (breach ${s(t.current.breach_seconds)})`,
      rec ? `${x(rec.figures)} (breach ${s(rec.figures.breach_seconds)}, p99 ${s(rec.figures.pickup_p99_s)} s)` : `none: ${t.reason ?? ''}`,
      s(t.allowanceS),
      rec ? (rec.keepsCurrent ? 'keep the current config' : rec.label) : '',
      `${t.evaluated} in ${s(t.elapsedS)} s (${t.stoppedBy})`,
      met ? '**met**' : '**not met**',
      t.undrained ? `${t.undrained.clairvoyantRatio === null ? 'n/a' : t.undrained.clairvoyantRatio.toFixed(2)} (reference leaves ${n0(t.undrained.referenceLeftWaiting)})` : 'n/a',
    ];
  });
  out.push(table(['trace', 'judged s', 'predictive defaults x clairvoyant', 'tuned x clairvoyant', 'breach allowed s', 'recommended', 'simulations', 'goal', 'tuned x clairvoyant without the drain'], rows));
  out.push('');
  const worst = r.tune.filter((t) => t.undrained).sort((a, b) => b.undrained!.referenceLeftWaiting - a.undrained!.referenceLeftWaiting)[0];
  if (worst?.undrained && worst.undrained.referenceLeftWaiting > 0) {
    out.push(
      `*Without the drain* (the last column; the measure before it), the run ended with the trace and the reference was not held to the deadlines that fell after the end: on ${worst.trace}, whose last minute brings ${worst.undrained.lastMinuteRate.toFixed(1)} messages/s (${(worst.undrained.lastMinuteRate / (worst.clairvoyant.messages / (worst.span - worst.holdoutFrom))).toFixed(1)}x the held-out part's mean), it left ${n0(worst.undrained.referenceLeftWaiting)} of the held-out part's ${n0(worst.clairvoyant.messages)} messages waiting at the end, work no running service can skip, and any policy that does not know the traffic ends had to keep up with the burst. ` +
        'The drain holds both to every message of the part; it also charges a candidate that falls behind at the end for the breach that follows, which the run used to cut off.',
    );
    out.push('');
  }
  const missed = rows.filter((row) => row[7] !== '**met**').map((row) => row[0]);
  out.push(missed.length === 0 ? `The goal is met on every trace.` : `The goal is **not met** on ${missed.length} of ${rows.length} traces: ${missed.join(', ')}. Nothing was tuned to a trace beyond what \`docktor tune\` itself does.`);
  out.push('');
}

function forecastSection(r: BenchResults, out: string[]): void {
  out.push('## 1d. Forecast of recurring bursts (issue 30)');
  out.push('');
  const f = r.forecast;
  if (!f) {
    out.push('Not run.');
    out.push('');
    return;
  }
  out.push(
    `Predictive without and with \`sla.forecast: { mode: on }\` (every other field default) in the issue-16 scenario (1 s jobs, SLA ${SLA_SECONDS} s, startup ${ISSUE_SCENARIO.startupDelay} s, a check every ${ISSUE_SCENARIO.limits.check_interval} s, min 1, max ${ISSUE_SCENARIO.limits.max_replicas}). ` +
      `**Recurring bursts** (src/simulate/recurring.ts, seeds never used while building the forecast): a batch of 600–900 messages over 20–60 s every 10 minutes (start jitter ±5 s) and a job of 3,000–4,500 messages over 60–180 s every hour (±10 s), at phases drawn from the seed, over 0.5 messages/s. ${n0(FORECAST_SPAN_S / 3600)} h each, judged from hour ${n0(FORECAST_JUDGED_FROM_S / 3600)} on (the cold start: the hourly series needs four bursts before it is expected, and one expected burst that came before it acts). ` +
      `\`x clairvoyant\`: worker-seconds of the judged part over the clairvoyant reference's. *Ready*: bursts of the judged part at whose start, at the last check before it, at least half the replicas the clairvoyant has ready at most during the burst were ready. Goals: at most ${FORECAST_GOAL_CLAIRVOYANT}x the clairvoyant, 0 breach, ready at ${pct(FORECAST_GOAL_READY_SHARE)} of the bursts.`,
  );
  out.push('');
  const rows = f.recurring.map((x) => {
    const met = x.on <= FORECAST_GOAL_CLAIRVOYANT * x.clairvoyant + 1e-9 && x.breachOn === 0 && x.readyOn >= FORECAST_GOAL_READY_SHARE * x.bursts;
    return [
      String(x.seed),
      String(x.bursts),
      n0(x.work),
      `${f3(x.off / x.clairvoyant)} (${f3(x.off / x.work)}x work)`,
      `${f3(x.on / x.clairvoyant)} (${f3(x.on / x.work)}x work)`,
      `${f3(x.tuned / x.clairvoyant)} (breach ${s(x.breachTuned)}, ready ${x.readyTuned})`,
      `${f3(x.clairvoyant / x.work)}x work`,
      `${s(x.breachOff)} / ${s(x.breachOn)}`,
      `${x.readyOff} / ${x.readyOn} of ${x.bursts}`,
      met ? '**met**' : '**not met**',
    ];
  });
  out.push(table(['seed', 'bursts judged', 'work s', 'predictive x clairvoyant', 'with forecast x clairvoyant', 'tuned reactive x clairvoyant', 'clairvoyant', 'breach s without / with', 'ready without / with', 'goal'], rows));
  out.push('');
  out.push(
    `*Tuned reactive*: predictive without the forecast as \`docktor tune\` recommended it for this traffic (run on a recurring trace of seed 201, none of the judged ones): metrics_window ${TUNED_REACTIVE.metrics_window} s, breach_threshold ${TUNED_REACTIVE.sla.breach_threshold}, service time set, trend ${TUNED_REACTIVE.sla.trend_window_seconds} s. ` +
      'Reacting on a 10 s window, it catches each burst within a check or two and lets the backlog use the SLA, about as the clairvoyant does: the cost goal is met without the forecast, which does not lower it further (pre-started replicas wait for the burst, on a check before it). What the forecast adds is replicas ready when the burst begins.',
  );
  out.push('');
  out.push(
    `**Traffic without recurrence** (the real traces and the spiky generator of section 1b, rescaled to a busiest minute of ${BUSIEST_MINUTE_RATE} messages/s): the forecast must switch itself off, at most ${FORECAST_GOAL_OFF_TRAFFIC}x predictive's worker-seconds and no more breach.`,
  );
  out.push('');
  out.push(
    table(
      ['trace', 'predictive worker-s', 'with forecast worker-s', 'ratio', 'breach s without / with', 'checks it raised', 'goal'],
      f.other.map((x) => [x.trace, n0(x.off), n0(x.on), f3(x.on / x.off), `${s(x.breachOff)} / ${s(x.breachOn)}`, String(x.raised), x.on <= FORECAST_GOAL_OFF_TRAFFIC * x.off + 1e-9 && x.breachOn <= x.breachOff + 1e-9 ? '**met**' : '**not met**']),
    ),
  );
  out.push('');
}
