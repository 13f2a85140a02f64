// `docktor tune` judged honestly (issue 29): on every bundled trace (../shared/traces, read there)
// and the spiky generator, in the issue-16 scenario (busiest minute 40 messages/s, 1 s jobs, SLA
// 30 s, startup 10 s, a check every 10 s, min 1, max 100), tune starts from predictive's defaults,
// searches on the first 70% of the traffic and is judged on the rest: the recommended policy's
// worker-seconds against the clairvoyant reference's on that held-out part, and its breach
// against 0.5% of the part's span. Goal: <= 1.10x the clairvoyant on every trace. Each part is
// judged with its drain (src/tune/drained-trace.ts); the held-out figures without it, the measure
// before it, are kept beside them: what the reference left waiting at the trace's end.
import type { Trace } from '../src/simulate/trace';
import { runJob } from '../src/tune/evaluate';
import { EvaluationPool } from '../src/tune/pool';
import { referenceSchedule, tune, TUNE_DEFAULTS } from '../src/tune/tune';
import type { TuneFigures } from '../src/tune/types';
import { issueScenarioTraces } from './quality.bench';
import { ISSUE_SCENARIO, policyService } from './scenarios';

export const TUNE_GOAL_CLAIRVOYANT = 1.1;
/**
 * The bench's search budget: enough for every search to converge, so the figures do not depend on
 * how loaded the machine is (the budget is wall-clock; at a load average of 10-15 on 2 cores one
 * search stopped at the default 60 s with a third of its simulations done).
 */
export const TUNE_BENCH_BUDGET_S = 300;

export interface TuneBenchRow {
  trace: string;
  span: number;
  holdoutFrom: number;
  allowanceS: number;
  current: TuneFigures;
  recommended: { label: string; figures: TuneFigures; keepsCurrent: boolean } | null;
  reason: string | null;
  clairvoyant: TuneFigures;
  /**
   * The held-out part without the drain (its arrivals and the run both ending at the trace's end):
   * the recommendation's worker-seconds over the reference's, and the messages the reference left
   * waiting at the end (their deadlines after it). Absent in reports before the drain.
   */
  undrained?: { clairvoyantRatio: number | null; referenceLeftWaiting: number; lastMinuteRate: number };
  evaluated: number;
  elapsedS: number;
  stoppedBy: string;
  threads: number;
}

/** Arrivals from `from` seconds to the trace's end (a bin across `from` counts its share). */
function arrivalsFrom(trace: Trace, from: number): number {
  let n = 0;
  for (let i = 0; i < trace.times.length; i++) {
    const start = trace.times[i]!;
    const width = trace.widths[i]!;
    if (width === 0) n += start >= from ? trace.counts[i]! : 0;
    else n += (trace.counts[i]! * Math.max(0, start + width - Math.max(start, from))) / width;
  }
  return n;
}

export async function benchTune(root: string, log: (line: string) => void, budgetS = TUNE_DEFAULTS.budgetS): Promise<TuneBenchRow[]> {
  const rows: TuneBenchRow[] = [];
  for (const { name, trace } of issueScenarioTraces(root)) {
    const traffic = { trace, serviceTimeS: ISSUE_SCENARIO.serviceTime, startupDelayS: ISSUE_SCENARIO.startupDelay };
    const service = policyService('predictive', ISSUE_SCENARIO.serviceTime, ISSUE_SCENARIO.startupDelay, ISSUE_SCENARIO.limits);
    const pool = new EvaluationPool({ trace, model: traffic });
    try {
      const r = await tune(traffic, service, { ...TUNE_DEFAULTS, budgetS, clock: () => performance.now(), evaluate: pool.evaluate });
      const part = { from: r.holdout.from_s, to: r.span_s, drain: 0 };
      const reference = runJob(trace, traffic, { config: service, part, schedule: referenceSchedule(traffic, service).targets });
      const recommended = r.recommended ? runJob(trace, traffic, { config: r.recommended.config, part }) : null;
      rows.push({
        trace: name,
        span: r.span_s,
        holdoutFrom: r.holdout.from_s,
        allowanceS: r.allowance.holdout_s,
        current: r.current.figures,
        recommended: r.recommended ? { label: r.recommended.label, figures: r.recommended.figures, keepsCurrent: r.recommended.keeps_current } : null,
        reason: r.reason,
        clairvoyant: r.clairvoyant.holdout,
        undrained: {
          clairvoyantRatio: recommended && reference.worker_seconds > 0 ? recommended.worker_seconds / reference.worker_seconds : null,
          referenceLeftWaiting: reference.waiting_at_end,
          lastMinuteRate: arrivalsFrom(trace, trace.span - 60) / 60,
        },
        evaluated: r.search.evaluated,
        elapsedS: r.search.elapsed_s,
        stoppedBy: r.search.stopped_by,
        threads: pool.threads,
      });
      log(`tune: ${name}: current ${r.current.figures.clairvoyant_ratio}x, recommended ${r.recommended?.figures.clairvoyant_ratio ?? 'none'}x the clairvoyant on the holdout (${r.search.evaluated} simulations, ${r.search.elapsed_s.toFixed(1)} s)`);
    } finally {
      await pool.close();
    }
  }
  return rows;
}
