// Policy quality: every policy on every real trace, replayed by the simulator with SLA 30 s.
// Figures: breach seconds, p95/p99 pickup, worker-seconds against the work itself (messages x
// service time, the floor no policy can beat), and whether predictive meets the goal
// (at most half the breach seconds of target tracking at no more than 110% of its worker-seconds).
import fs from 'node:fs';
import path from 'node:path';
import type { SimulationFigures } from '../src/simulate/result';
import { simulate } from '../src/simulate/simulator';
import { svgChart, type Series } from '../src/simulate/svg-chart';
import type { Timeline } from '../src/simulate/timeline';
import { parseTrace } from '../src/simulate/trace';
import { HPA_POLICIES, POLICIES, TARGET_POLICIES, TRACES, TRACE_DIR, policyService, serviceTimeFor, type PolicyName, type TraceSpec } from './scenarios';

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

export interface TraceQuality {
  trace: TraceSpec;
  messages: number;
  span: number;
  serviceTime: number;
  startupDelay: number;
  /** messages x service time. */
  work: number;
  runs: PolicyRun[];
  goal: GoalCheck[];
  plot: string;
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
};

function comparisonPlot(q: Omit<TraceQuality, 'plot' | 'goal'>): string {
  const series = (pick: (t: Timeline) => Float64Array): Series[] =>
    q.runs.filter((r) => POLICIES.includes(r.policy)).map((r) => ({ name: r.policy, x: r.timeline.at, y: pick(r.timeline), length: r.timeline.length, color: COLORS[r.policy] }));
  const first = q.runs[0]!.timeline;
  return svgChart(
    [
      { title: 'Arrivals', unit: 'messages/s', series: [{ name: 'arrivals', x: first.at, y: first.arrivalRate, length: first.length, color: '#444' }] },
      { title: 'Backlog (largest between checks)', unit: 'messages waiting', series: series((t) => t.maxBacklog) },
      { title: 'Replicas', unit: 'replicas', series: series((t) => t.replicas) },
      { title: 'Pickup latency (largest between checks)', unit: 'seconds', series: series((t) => t.maxPickup), reference: { value: q.runs[0]!.figures.sla_seconds, label: `SLA ${q.runs[0]!.figures.sla_seconds} s` } },
    ],
    { title: `${q.trace.name}: service time ${q.serviceTime} s, startup delay ${q.startupDelay} s, check every 5 s`, duration: q.span, panelHeight: 170 },
  );
}

/** Runs every policy on every trace; writes one comparison SVG per trace into `plotDir`. */
export function benchQuality(root: string, plotDir: string, log: (line: string) => void = () => undefined): TraceQuality[] {
  fs.mkdirSync(plotDir, { recursive: true });
  const out: TraceQuality[] = [];
  for (const spec of TRACES) {
    const file = path.resolve(root, TRACE_DIR, spec.file);
    if (!fs.existsSync(file)) throw new Error(`missing trace ${file}: the shared traces must sit in ${TRACE_DIR} next to the repository (see its README.md)`);
    const trace = parseTrace(fs.readFileSync(file, 'utf8'), spec.format, file);
    const serviceTime = serviceTimeFor(trace.total, trace.span);
    const runs: PolicyRun[] = [];
    for (const policy of [...POLICIES, ...HPA_POLICIES]) {
      const began = process.hrtime.bigint();
      const sim = simulate(trace, { service: policyService(policy, serviceTime, spec.startupDelay), serviceTime, startupDelay: spec.startupDelay });
      const elapsed = Number(process.hrtime.bigint() - began) / 1e9;
      let coldStartBreach = 0;
      for (let i = 0; i < sim.timeline.length && sim.timeline.at[i]! <= WARMUP_SECONDS; i++) coldStartBreach += sim.timeline.breach[i]!;
      runs.push({ policy, figures: sim.figures, coldStartBreach, timeline: sim.timeline, elapsed });
      log(`quality: ${spec.name} ${policy}: breach ${sim.figures.breach_seconds} s, p99 ${sim.figures.pickup_p99_s} s, worker-seconds ${Math.round(sim.figures.worker_seconds)}`);
    }
    const byPolicy = (p: PolicyName) => runs.find((r) => r.policy === p)!.figures;
    const base = { trace: spec, messages: trace.total, span: trace.span, serviceTime, startupDelay: spec.startupDelay, work: trace.total * serviceTime, runs };
    const plotName = `${spec.name}.svg`;
    fs.writeFileSync(path.join(plotDir, plotName), comparisonPlot(base));
    out.push({
      ...base,
      goal: TARGET_POLICIES.map((t) => goalCheck(byPolicy('predictive'), byPolicy(t), t)),
      plot: plotName,
    });
  }
  return out;
}
