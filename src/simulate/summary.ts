// The readable summary `docktor simulate` prints without --json.
import type { SimulationFigures } from './result';

export interface SummaryContext {
  service: string;
  strategy: string;
  trace: string;
  traceKind: string;
  serviceTime: number;
  serviceTimeDist: string;
  startupDelay: number;
  /** --no-rates: the simulated source reported no rates and no oldest age. */
  noRates?: boolean;
  /** Wall-clock seconds the simulation took, when measured. */
  elapsed?: number;
  plot?: string;
}

export function summaryText(f: SimulationFigures, c: SummaryContext): string {
  const n = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });
  const s = (v: number | null) => (v === null ? 'n/a' : v >= 100 ? `${v.toFixed(0)} s` : v >= 10 ? `${v.toFixed(1)} s` : `${Number(v.toFixed(3))} s`);
  const pct = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(1)}%` : 'n/a');
  const floor = f.messages * c.serviceTime;
  const lines = [
    `simulate ${c.service} (strategy ${c.strategy}) on ${c.trace} (${c.traceKind})`,
    `  ${n(f.messages)} messages over ${n(f.duration_s)} s; service time ${c.serviceTime} s (${c.serviceTimeDist}), startup delay ${c.startupDelay} s, SLA ${f.sla_seconds} s${c.noRates ? '; source without counters (--no-rates: queue.backlog and queue.ack_pending only)' : ''}`,
    `  pickup    p50 ${s(f.pickup_p50_s)}, p95 ${s(f.pickup_p95_s)}, p99 ${s(f.pickup_p99_s)}, max ${s(f.pickup_max_s)} (over ${n(f.picked_up)} picked up; ${n(f.waiting_at_end)} still waiting at the end)`,
    `  breach    ${s(f.breach_seconds)} (${pct(f.breach_seconds, f.duration_s)} of the run) with the oldest waiting message older than ${f.sla_seconds} s`,
    `  backlog   max ${n(f.max_backlog)} waiting`,
    `  replicas  mean ${f.mean_replicas.toFixed(2)}, peak ${f.peak_replicas}, ${f.scale_events} scale events over ${f.checks} checks`,
    `  cost      ${n(f.worker_seconds)} worker-seconds; the work itself (messages x service time) is ${n(floor)}: ${pct(f.worker_seconds, floor)} of it`,
  ];
  if (c.elapsed !== undefined && c.elapsed > 0) lines.push(`  simulated in ${c.elapsed.toFixed(2)} s (${n(f.messages / c.elapsed)} messages/s)`);
  if (c.plot) lines.push(`  plot written to ${c.plot}`);
  return lines.join('\n') + '\n';
}
