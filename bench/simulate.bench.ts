// Simulator speed: simulated messages per second (goal >= 500,000/s), per policy on the largest
// real trace, and a whole day of traffic (the diurnal hour replayed 24 times) with the memory it took.
import fs from 'node:fs';
import path from 'node:path';
import { simulate } from '../src/simulate/simulator';
import { parseTrace, type Trace } from '../src/simulate/trace';
import { POLICIES, TRACES, TRACE_DIR, policyService, serviceTimeFor, type PolicyName } from './scenarios';

export interface SimSpeed {
  policy: PolicyName;
  trace: string;
  messages: number;
  /** Median of the runs, seconds. */
  seconds: number;
  messagesPerSecond: number;
}

export interface DayReplay {
  policy: PolicyName;
  messages: number;
  seconds: number;
  messagesPerSecond: number;
  checks: number;
  /** RSS before the run, MiB. */
  rssBeforeMiB: number;
  /** Peak RSS of the process up to the end of the run, MiB (the run keeps no per-message arrays). */
  peakRssMiB: number;
  heapUsedMiB: number;
}

const RUNS = 3;

function repeat(trace: Trace, times: number): Trace {
  const n = trace.times.length;
  const counts = new Float64Array(n * times);
  const widths = new Float64Array(n * times);
  const at = new Float64Array(n * times);
  for (let r = 0; r < times; r++) {
    for (let i = 0; i < n; i++) {
      at[r * n + i] = r * trace.span + trace.times[i]!;
      counts[r * n + i] = trace.counts[i]!;
      widths[r * n + i] = trace.widths[i]!;
    }
  }
  return { ...trace, times: at, counts, widths, span: trace.span * times, total: trace.total * times };
}

export function benchSimulator(root: string, log: (line: string) => void = () => undefined): { perPolicy: SimSpeed[]; day: DayReplay } {
  const spec = TRACES.find((t) => t.name === 'diurnal')!;
  const file = path.resolve(root, TRACE_DIR, spec.file);
  const trace = parseTrace(fs.readFileSync(file, 'utf8'), spec.format, file);
  const serviceTime = serviceTimeFor(trace.total, trace.span);
  const perPolicy: SimSpeed[] = [];
  for (const policy of POLICIES) {
    const service = policyService(policy, serviceTime, spec.startupDelay);
    const times: number[] = [];
    let messages = 0;
    simulate(trace, { service, serviceTime, startupDelay: spec.startupDelay }); // warm-up
    for (let i = 0; i < RUNS; i++) {
      const began = process.hrtime.bigint();
      messages = simulate(trace, { service, serviceTime, startupDelay: spec.startupDelay }).figures.messages;
      times.push(Number(process.hrtime.bigint() - began) / 1e9);
    }
    times.sort((a, b) => a - b);
    const seconds = times[Math.floor(RUNS / 2)]!;
    perPolicy.push({ policy, trace: spec.name, messages, seconds, messagesPerSecond: messages / seconds });
    log(`simulator: ${policy} on ${spec.name}: ${Math.round(messages / seconds).toLocaleString('en-US')} messages/s`);
  }

  const day = repeat(trace, 24);
  const policy: PolicyName = 'predictive';
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const began = process.hrtime.bigint();
  const sim = simulate(day, { service: policyService(policy, serviceTime, spec.startupDelay), serviceTime, startupDelay: spec.startupDelay });
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const mem = process.memoryUsage();
  const replay: DayReplay = {
    policy,
    messages: sim.figures.messages,
    seconds,
    messagesPerSecond: sim.figures.messages / seconds,
    checks: sim.figures.checks,
    rssBeforeMiB: rssBefore / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    heapUsedMiB: mem.heapUsed / 2 ** 20,
  };
  log(`simulator: a day (${replay.messages.toLocaleString('en-US')} messages) in ${seconds.toFixed(2)} s`);
  return { perPolicy, day: replay };
}
