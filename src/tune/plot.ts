// `docktor tune --plot`: arrivals, then the replicas of the current policy, the recommended one and
// the clairvoyant reference over the whole traffic, then their pickup latency against the SLA.
// The held-out part is named in the title. Pure: timelines in, SVG out.
import { svgChart, type Series } from '../simulate/svg-chart';
import type { Timeline } from '../simulate/timeline';

export interface TunePlotRuns {
  current: Timeline;
  recommended: Timeline | null;
  clairvoyant: Timeline;
}

export function tunePlot(runs: TunePlotRuns, o: { title: string; span: number; slaS: number }): string {
  const s = (name: string, t: Timeline, pick: (t: Timeline) => Float64Array, color: string, dashed = false): Series => ({ name, x: t.at, y: pick(t), length: t.length, color, dashed });
  const replicas = [s('current', runs.current, (t) => t.replicas, '#1f77b4')];
  const pickup = [s('current', runs.current, (t) => t.maxPickup, '#1f77b4')];
  if (runs.recommended) {
    replicas.push(s('recommended', runs.recommended, (t) => t.replicas, '#d62728'));
    pickup.push(s('recommended', runs.recommended, (t) => t.maxPickup, '#d62728'));
  }
  replicas.push(s('clairvoyant', runs.clairvoyant, (t) => t.replicas, '#000', true));
  return svgChart(
    [
      { title: 'Arrivals', unit: 'messages/s', series: [s('arrivals', runs.current, (t) => t.arrivalRate, '#444')] },
      { title: 'Replicas', unit: 'replicas', series: replicas },
      { title: 'Pickup latency (largest between checks)', unit: 'seconds', series: pickup, reference: { value: o.slaS, label: `SLA ${o.slaS} s` } },
    ],
    { title: o.title, duration: o.span, panelHeight: 170 },
  );
}
