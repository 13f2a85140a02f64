// Policy quality: every policy on every trace, replayed by the simulator with SLA 30 s, under two
// scenario rules (scenarios.ts): the mean-load one on the real traces of ../shared/traces, and the
// issue-16 one (busiest minute 40 messages/s, 1 s per message) on those and on generated spiky
// traffic. Figures: breach seconds, pickup percentiles, worker-seconds against the work itself
// (messages x service time, the floor no policy can beat) and against the clairvoyant reference
// (src/simulate/clairvoyant.ts), and whether predictive meets the goals of issues 7 and 16; and
// predictive-known-s again on a source without counters (--no-rates, issue 28).
import fs from 'node:fs';
import path from 'node:path';
import { ArrivalStream } from '../src/simulate/arrivals';
import { arrivalsPerSecond, clairvoyantSchedule, workerSecondsLowerBound } from '../src/simulate/clairvoyant';
import type { SimulationFigures } from '../src/simulate/result';
import { simulate } from '../src/simulate/simulator';
import { spikyTrace } from '../src/simulate/spiky';
import { svgChart, type Series } from '../src/simulate/svg-chart';
import type { Timeline } from '../src/simulate/timeline';
import { parseTrace, type Trace } from '../src/simulate/trace';
import {
  BUSIEST_MINUTE_RATE,
  HPA_POLICIES,
  ISSUE_SCENARIO,
  KNOWN_S_POLICY,
  COUNTERLESS_POLICY,
  THRESHOLD_POLICY,
  MEAN_LIMITS,
  POLICIES,
  SLA_SECONDS,
  SPIKY_TRACES,
  TARGET_POLICIES,
  TRACES,
  TRACE_DIR,
  policyService,
  serviceTimeFor,
  type Limits,
  type PolicyName,
} from './scenarios';

export interface PolicyRun {
  policy: PolicyName;
  figures: SimulationFigures;
  /** Breach seconds in the first WARMUP_SECONDS (the cold start from one replica). */
  coldStartBreach: number;
  timeline: Timeline;
  /** Wall-clock seconds of the simulation. */
  elapsed: number;
}

export interface GoalCheck {
  against: PolicyName;
  breachRatio: number | null;
  workerRatio: number;
  breachOk: boolean;
  workerOk: boolean;
  met: boolean;
}

export interface ClairvoyantRun {
  figures: SimulationFigures;
  /** max_replicas or the cold start made some deadline unreachable for any policy. */
  infeasible: boolean;
  timeline: Timeline;
}

export interface TraceQuality {
  trace: { name: string; file: string | null; what: string };
  /** Arrivals multiplied by this (1 in the mean-load scenario). */
  scale: number;
  checkInterval: number;
  maxReplicas: number;
  messages: number;
  span: number;
  serviceTime: number;
  startupDelay: number;
  /** messages x service time. */
  work: number;
  runs: PolicyRun[];
  clairvoyant: ClairvoyantRun;
  /** Fewest worker-seconds any breach-free schedule can spend (workerSecondsLowerBound). */
  lowerBound: number;
  /** Issue 7's goal (mean-load scenario only; empty otherwise). */
  goal: GoalCheck[];
  plot: string;
}

/** Issue 16: breach seconds <= this share of the span, worker-seconds <= this many times the work. */
export const GOAL_BREACH_SPAN_SHARE = 0.005;
export const GOAL_WORK_RATIO = 1.5;

export function spikyGoal(q: { span: number; work: number }, f: SimulationFigures): { breachOk: boolean; workOk: boolean } {
  return { breachOk: f.breach_seconds <= GOAL_BREACH_SPAN_SHARE * q.span + 1e-9, workOk: f.worker_seconds <= GOAL_WORK_RATIO * q.work + 1e-9 };
}

export const GOAL_BREACH_SHARE = 0.5;
/** The cold start: every run begins with one replica in traffic that needs about eight. */
export const WARMUP_SECONDS = 600;
export const GOAL_WORKER_SHARE = 1.1;

export function goalCheck(predictive: SimulationFigures, target: SimulationFigures, against: PolicyName): GoalCheck {
  const breachOk = predictive.breach_seconds <= GOAL_BREACH_SHARE * target.breach_seconds + 1e-9;
  const workerRatio = predictive.worker_seconds / target.worker_seconds;
  const workerOk = workerRatio <= GOAL_WORKER_SHARE + 1e-9;
  return {
    against,
    breachRatio: target.breach_seconds > 0 ? predictive.breach_seconds / target.breach_seconds : null,
    workerRatio,
    breachOk,
    workerOk,
    met: breachOk && workerOk,
  };
}

const COLORS: Record<PolicyName, string> = {
  rules: '#1f77b4',
  'target-backlog': '#ff7f0e',
  'target-cpu': '#2ca02c',
  predictive: '#d62728',
  'target-backlog-hpa': '#8c564b',
  'target-cpu-hpa': '#7f7f7f',
  'predictive-known-s': '#9467bd',
  'predictive-threshold-0.9': '#e377c2',
  'predictive-known-s-no-rates': '#17becf',
};

function comparisonPlot(q: Omit<TraceQuality, 'plot' | 'goal'>): string {
  const series = (pick: (t: Timeline) => Float64Array): Series[] =>
    q.runs.filter((r) => POLICIES.includes(r.policy)).map((r) => ({ name: r.policy, x: r.timeline.at, y: pick(r.timeline), length: r.timeline.length, color: COLORS[r.policy] }));
  const first = q.runs[0]!.timeline;
  const cv = q.clairvoyant.timeline;
  return svgChart(
    [
      { title: 'Arrivals', unit: 'messages/s', series: [{ name: 'arrivals', x: first.at, y: first.arrivalRate, length: first.length, color: '#444' }] },
      { title: 'Backlog (largest between checks)', unit: 'messages waiting', series: series((t) => t.maxBacklog) },
      { title: 'Replicas', unit: 'replicas', series: [...series((t) => t.replicas), { name: 'clairvoyant', x: cv.at, y: cv.replicas, length: cv.length, color: '#000', dashed: true }] },
      { title: 'Pickup latency (largest between checks)', unit: 'seconds', series: series((t) => t.maxPickup), reference: { value: q.runs[0]!.figures.sla_seconds, label: `SLA ${q.runs[0]!.figures.sla_seconds} s` } },
    ],
    {
      title: `${q.trace.name}: service time ${q.serviceTime} s, startup delay ${q.startupDelay} s, check every ${q.checkInterval} s, max ${q.maxReplicas} replicas`,
      duration: q.span,
      panelHeight: 170,
    },
  );
}

interface Scenario {
  serviceTime: number;
  startupDelay: number;
  scale: number;
  limits: Limits;
}

/** Every policy and the clairvoyant reference on one trace under one scenario; writes the plot. */
function runTrace(
  spec: { name: string; file: string | null; what: string },
  trace: Trace,
  sc: Scenario,
  plotDir: string,
  plotName: string,
  log: (line: string) => void,
): Omit<TraceQuality, 'goal'> {
  const runs: PolicyRun[] = [];
  const sim = (service: ReturnType<typeof policyService>, schedule?: (check: number) => number, noRates = false) =>
    simulate(trace, { service, serviceTime: sc.serviceTime, startupDelay: sc.startupDelay, scale: sc.scale, noRates, ...(schedule ? { schedule } : {}) });
  for (const policy of [...POLICIES, ...HPA_POLICIES, KNOWN_S_POLICY, THRESHOLD_POLICY, COUNTERLESS_POLICY]) {
    const began = process.hrtime.bigint();
    const run = sim(policyService(policy, sc.serviceTime, sc.startupDelay, sc.limits), undefined, policy === COUNTERLESS_POLICY);
    const elapsed = Number(process.hrtime.bigint() - began) / 1e9;
    let coldStartBreach = 0;
    for (let i = 0; i < run.timeline.length && run.timeline.at[i]! <= WARMUP_SECONDS; i++) coldStartBreach += run.timeline.breach[i]!;
    runs.push({ policy, figures: run.figures, coldStartBreach, timeline: run.timeline, elapsed });
    log(`quality: ${spec.name} ${policy}: breach ${run.figures.breach_seconds} s, p99 ${run.figures.pickup_p99_s} s, worker-seconds ${Math.round(run.figures.worker_seconds)}`);
  }
  const perSecond = arrivalsPerSecond(((a) => () => a.next())(new ArrivalStream(trace, { scale: sc.scale, start: 0, end: Infinity })), trace.span);
  const limits = { slaSeconds: SLA_SECONDS, serviceTime: sc.serviceTime, startupDelay: sc.startupDelay, minReplicas: 1, span: trace.span };
  const plan = clairvoyantSchedule(perSecond, { ...limits, checkInterval: sc.limits.check_interval, maxReplicas: sc.limits.max_replicas });
  const lowerBound = workerSecondsLowerBound(perSecond, limits);
  // Replayed through the same simulator (any policy's service: the schedule replaces its decisions).
  const cv = sim(policyService('predictive', sc.serviceTime, sc.startupDelay, sc.limits), (k) => plan.targets[Math.min(k, plan.targets.length - 1)]!);
  log(`quality: ${spec.name} clairvoyant: breach ${cv.figures.breach_seconds} s, worker-seconds ${Math.round(cv.figures.worker_seconds)}${plan.infeasible ? ' (some deadline unreachable)' : ''}`);
  const messages = runs[0]!.figures.messages;
  const base = {
    trace: spec,
    scale: sc.scale,
    checkInterval: sc.limits.check_interval,
    maxReplicas: sc.limits.max_replicas,
    messages,
    span: trace.span,
    serviceTime: sc.serviceTime,
    startupDelay: sc.startupDelay,
    work: messages * sc.serviceTime,
    runs,
    clairvoyant: { figures: cv.figures, infeasible: plan.infeasible, timeline: cv.timeline },
    lowerBound,
    plot: plotName,
  };
  fs.writeFileSync(path.join(plotDir, plotName), comparisonPlot(base));
  return base;
}

/** The busiest minute's mean arrival rate (messages/s), over every 60 s window on whole seconds. */
export function busiestMinuteRate(trace: Trace): number {
  const perSecond = arrivalsPerSecond(((a) => () => a.next())(new ArrivalStream(trace, { scale: 1, start: 0, end: Infinity })), trace.span);
  let sum = 0;
  let best = 0;
  for (let s = 0; s < perSecond.length; s++) {
    sum += perSecond[s]!;
    if (s >= 60) sum -= perSecond[s - 60]!;
    if (sum > best) best = sum;
  }
  return best / Math.min(60, Math.max(1, perSecond.length));
}

export interface QualityResults {
  /** Mean-load scenario, real traces. */
  mean: TraceQuality[];
  /** Issue-16 scenario, real and generated traces. */
  spiky: TraceQuality[];
}

/** Runs both scenarios; writes one comparison SVG per trace and scenario into `plotDir`. */
export function benchQuality(root: string, plotDir: string, log: (line: string) => void = () => undefined): QualityResults {
  fs.mkdirSync(plotDir, { recursive: true });
  const mean: TraceQuality[] = [];
  const spiky: TraceQuality[] = [];
  const issueRun = (spec: { name: string; file: string | null; what: string }, trace: Trace) => {
    const scale = BUSIEST_MINUTE_RATE / busiestMinuteRate(trace);
    spiky.push({ ...runTrace(spec, trace, { ...ISSUE_SCENARIO, scale }, plotDir, `issue16-${spec.name}.svg`, log), goal: [] });
  };
  for (const spec of TRACES) {
    const file = path.resolve(root, TRACE_DIR, spec.file);
    if (!fs.existsSync(file)) throw new Error(`missing trace ${file}: the shared traces must sit in ${TRACE_DIR} next to the repository (see its README.md)`);
    const trace = parseTrace(fs.readFileSync(file, 'utf8'), spec.format, file);
    const serviceTime = serviceTimeFor(trace.total, trace.span);
    const q = runTrace(spec, trace, { serviceTime, startupDelay: spec.startupDelay, scale: 1, limits: MEAN_LIMITS }, plotDir, `${spec.name}.svg`, log);
    const byPolicy = (p: PolicyName) => q.runs.find((r) => r.policy === p)!.figures;
    mean.push({ ...q, goal: TARGET_POLICIES.map((t) => goalCheck(byPolicy('predictive'), byPolicy(t), t)) });
    issueRun(spec, trace);
  }
  for (const spec of SPIKY_TRACES) issueRun({ name: spec.name, file: null, what: spec.what }, spikyTrace(spec.options).trace);
  return { mean, spiky };
}

/**
 * Every real trace of ../shared/traces and the spiky generator's, rescaled to the issue-16
 * scenario's busiest minute (BUSIEST_MINUTE_RATE): the traffic the tune and forecast parts judge.
 */
export function issueScenarioTraces(root: string): Array<{ name: string; trace: Trace }> {
  const traces: Array<{ name: string; trace: Trace }> = [];
  for (const spec of TRACES) {
    const file = path.resolve(root, TRACE_DIR, spec.file);
    if (!fs.existsSync(file)) throw new Error(`missing trace ${file}: the shared traces must sit in ${TRACE_DIR} next to the repository`);
    traces.push({ name: spec.name, trace: parseTrace(fs.readFileSync(file, 'utf8'), spec.format, file) });
  }
  for (const spec of SPIKY_TRACES) traces.push({ name: spec.name, trace: spikyTrace(spec.options).trace });
  return traces.map(({ name, trace }) => {
    const factor = BUSIEST_MINUTE_RATE / busiestMinuteRate(trace);
    const counts = trace.counts.map((c) => c * factor);
    return { name, trace: { ...trace, counts, total: counts.reduce((a, b) => a + b, 0) } };
  });
}
