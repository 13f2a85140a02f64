// `--plot FILE.svg`: arrivals, backlog, replicas and pickup latency over time, four stacked panels.
import type { Simulation } from './result';
import { svgChart } from './svg-chart';

export function simulationPlot(sim: Simulation, title: string): string {
  const tl = sim.timeline;
  const f = sim.figures;
  const base = { x: tl.at, length: tl.length };
  return svgChart(
    [
      { title: 'Arrivals', unit: 'messages/s', series: [{ ...base, name: 'arrivals', y: tl.arrivalRate, color: '#1f77b4' }] },
      { title: 'Backlog (largest between checks)', unit: 'messages waiting', series: [{ ...base, name: 'backlog', y: tl.maxBacklog, color: '#ff7f0e' }] },
      {
        title: 'Replicas',
        unit: 'replicas',
        series: [
          { ...base, name: 'replicas (after decision)', y: tl.replicas, color: '#2ca02c' },
          { ...base, name: 'ready', y: tl.ready, color: '#555', dashed: true },
        ],
      },
      {
        title: 'Pickup latency (largest between checks)',
        unit: 'seconds',
        series: [{ ...base, name: 'pickup', y: tl.maxPickup, color: '#9467bd' }],
        reference: { value: f.sla_seconds, label: `SLA ${f.sla_seconds} s` },
      },
    ],
    { title, duration: f.duration_s },
  );
}
