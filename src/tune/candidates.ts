// The candidate policies `docktor tune` searches for one service: the current config, predictive
// with its knobs, and target-tracking and rules recipes derived from the service time and the
// SLA. Each family has knobs, each knob a ladder of values (what refinement steps along) and a few
// coarse values (the grid the search starts from). Pure: configs in, configs out.
import { ServiceSchema, type ServiceConfig, type ServiceInput } from '../config/service';
import type { Candidate, Family, Knobs } from './types';

/** What the recipes are derived from. */
export interface TuneModel {
  serviceTimeS: number;
  startupDelayS: number;
  /** sla.max_pickup_seconds of the service (30 when it has none). */
  slaS: number;
  /** Mean busy replicas over the traffic (arrival rate × service time). */
  meanBusy: number;
}

export interface Dim {
  name: string;
  ladder: Array<number | null>;
  coarse: Array<number | null>;
}

const FAMILIES: Family[] = ['predictive', 'target', 'rules'];

/** Two significant digits, so a value reads as one a person picked. */
function nice(x: number): number {
  return Number(x.toPrecision(2));
}

function minReplicasLadder(base: ServiceConfig, m: TuneModel): number[] {
  // Floors above the current one, up to about the mean load: a floor that keeps replicas through
  // short gaps can be cheaper than starting them again (each start costs its startup delay).
  const top = Math.min(base.max_replicas, Math.max(base.min_replicas, Math.ceil(m.meanBusy * 1.2)));
  const out = new Set<number>();
  for (const k of [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32]) if (base.min_replicas + k <= top) out.add(base.min_replicas + k);
  return [...out];
}

/** The knobs of a family, with their ladders and coarse values. */
export function dims(family: Family, base: ServiceConfig, m: TuneModel): Dim[] {
  const I = base.check_interval;
  const W = m.slaS;
  const mins = minReplicasLadder(base, m);
  const windows = [...new Set([I, 2 * I, 3 * I, 6 * I, 12 * I].map((w) => Math.max(I, Math.round(w))))];
  const currentWindow = windows.includes(base.metrics_window) ? base.metrics_window : windows.reduce((a, b) => (Math.abs(b - base.metrics_window) < Math.abs(a - base.metrics_window) ? b : a));
  switch (family) {
    case 'current':
      return [];
    case 'predictive':
      return [
        { name: 'breach_threshold', ladder: [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95], coarse: [0.7, 0.8, 0.9] },
        // null: the headroom from the SLA (the queueing bound); else a fixed target utilization.
        { name: 'target_utilization', ladder: [null, 0.95, 0.9, 0.85, 0.8, 0.7], coarse: [null] },
        { name: 'metrics_window', ladder: windows, coarse: [currentWindow] },
        // null: the default window, max(startup_seconds, check_interval).
        { name: 'scale_down_window', ladder: [0, null, ...[2, 3, 6, 12, 30].map((k) => k * I)], coarse: [null, 6 * I] },
        { name: 'cooldown_down', ladder: [0, 30, 60, 120, 300], coarse: [0] },
        { name: 'min_replicas', ladder: mins, coarse: [mins[0]!] },
        // 1: sla.service_time_seconds set to the measured one; 0: estimated from the queue.
        { name: 'known_service_time', ladder: [1, 0], coarse: [1] },
        { name: 'trend_window', ladder: [60, 120, 300], coarse: [120] },
        // 1: sla.forecast on (recurring bursts started for ahead); tried around the best points only.
        { name: 'forecast', ladder: [0, 1], coarse: [0] },
      ];
    case 'target':
      return [
        // Seconds of waiting work per replica that target tracking aims at (queue.lag per replica × S).
        { name: 'wait', ladder: [0.05, 0.1, 0.2, 0.33, 0.5, 0.67].map((f) => nice(f * W)), coarse: [0.1, 0.2, 0.33].map((f) => nice(f * W)) },
        { name: 'tolerance', ladder: [0, 0.1, 0.2], coarse: [0.1] },
        { name: 'cooldown_down', ladder: [0, 15, 30, 60, 120, 300], coarse: [0, 60] },
        { name: 'stabilization', ladder: [0, I, 3 * I, 6 * I, 30 * I].map(Math.round), coarse: [0] },
        { name: 'metrics_window', ladder: windows, coarse: [currentWindow] },
        { name: 'min_replicas', ladder: mins, coarse: [mins[0]!] },
      ];
    case 'rules':
      return [
        { name: 'up_wait', ladder: [0.05, 0.1, 0.2, 0.33, 0.5].map((f) => nice(f * W)), coarse: [0.1, 0.33].map((f) => nice(f * W)) },
        { name: 'down_wait', ladder: [0, 1, 2, 5].map((f) => nice(f * Math.max(m.serviceTimeS, 0.01))), coarse: [nice(Math.max(m.serviceTimeS, 0.01))] },
        { name: 'step_up', ladder: [1, 2, 4, 8, 16], coarse: [2, 8] },
        { name: 'cooldown_down', ladder: [0, 15, 30, 60, 120], coarse: [15, 60] },
        { name: 'min_replicas', ladder: mins, coarse: [mins[0]!] },
      ];
  }
}

export function knobsKey(k: Knobs): string {
  return `${k.family}:${Object.keys(k.values).sort().map((n) => `${n}=${k.values[n]}`).join(',')}`;
}

function product(ds: Dim[]): Array<Record<string, number | null>> {
  let out: Array<Record<string, number | null>> = [{}];
  for (const d of ds) out = out.flatMap((o) => d.coarse.map((v) => ({ ...o, [d.name]: v })));
  return out;
}

/** The coarse grid: every family's coarse product, predictive first (the likeliest to win). */
export function coarseGrid(base: ServiceConfig, m: TuneModel): Knobs[] {
  return FAMILIES.flatMap((family) => product(dims(family, base, m)).map((values) => ({ family, values })));
}

/** Knobs one step away along one ladder, both ways. */
export function neighbours(k: Knobs, base: ServiceConfig, m: TuneModel): Knobs[] {
  const out: Knobs[] = [];
  for (const d of dims(k.family, base, m)) {
    const v = k.values[d.name] ?? null;
    let i = d.ladder.indexOf(v);
    if (i < 0) i = nearest(d.ladder, v);
    for (const j of [i - 1, i + 1]) {
      if (j < 0 || j >= d.ladder.length || d.ladder[j] === v) continue;
      out.push({ family: k.family, values: { ...k.values, [d.name]: d.ladder[j]! } });
    }
  }
  return out;
}

function nearest(ladder: Array<number | null>, v: number | null): number {
  if (v === null) return Math.max(0, ladder.indexOf(null));
  let best = 0;
  ladder.forEach((x, i) => {
    const bx = ladder[best];
    if (x !== null && (bx === null || bx === undefined || Math.abs(x - v) < Math.abs(bx - v))) best = i;
  });
  return best;
}

/** The service config of a point of the search (complete and valid: `set_config` accepts it). */
export function candidateConfig(base: ServiceConfig, k: Knobs, m: TuneModel): ServiceConfig {
  if (k.family === 'current') return base;
  const v = (name: string): number | null => k.values[name] ?? null;
  const n = (name: string): number => {
    const x = v(name);
    if (x === null) throw new Error(`tune: knob ${name} of ${k.family} has no value`);
    return x;
  };
  // The strategy blocks and HPA behavior are the candidate's own; everything else is the service's.
  const { rules: _rules, target: _target, behavior: _behavior, sla: _sla, custom: _custom, ...rest } = base;
  const slaBlock = { max_pickup_seconds: m.slaS };
  // Rules and target tracking read only the SLA's max_pickup_seconds (for the breach they report),
  // which is the service's own (m.slaS comes from it): keep its block as it is, or none, so that
  // the diff shows no predictive fields the recommendation does not use.
  const keptSla = base.sla === undefined ? {} : { sla: base.sla };
  const S = m.serviceTimeS;
  const common = { ...rest, min_replicas: n('min_replicas'), metrics_window: v('metrics_window') ?? base.metrics_window };
  let input: ServiceInput;
  switch (k.family) {
    case 'predictive': {
      const tu = v('target_utilization');
      const sdw = v('scale_down_window');
      input = {
        ...common,
        strategy: 'predictive',
        sla: {
          ...slaBlock,
          breach_threshold: n('breach_threshold'),
          startup_seconds: Number(m.startupDelayS.toPrecision(3)),
          ...(v('known_service_time') === 1 ? { service_time_seconds: Number(S.toPrecision(3)) } : {}),
          ...(tu !== null ? { target_utilization: tu } : {}),
          ...(sdw !== null ? { scale_down_window_seconds: sdw } : {}),
          trend_window_seconds: n('trend_window'),
          forecast: { ...base.sla?.forecast, mode: v('forecast') === 1 ? 'on' : 'off' },
        },
        cooldown: { up: base.cooldown.up, down: n('cooldown_down') },
      };
      break;
    }
    case 'target': {
      const perReplica = Math.max(1, Math.round(n('wait') / S));
      const stab = n('stabilization');
      input = {
        ...common,
        strategy: 'target',
        ...keptSla,
        target: { metrics: [{ metric: 'queue.lag', type: 'average', value: perReplica }], tolerance: n('tolerance') },
        cooldown: { up: base.cooldown.up, down: n('cooldown_down') },
        ...(stab > 0 ? { behavior: { scale_down: { stabilization_window_seconds: stab } } } : {}),
      };
      break;
    }
    case 'rules': {
      input = {
        ...common,
        strategy: 'rules',
        ...keptSla,
        rules: {
          scale_up_when: [{ metric: 'queue.backlog', op: '>', value: Math.max(1, Math.round(n('up_wait') / S)) }],
          scale_down_when: [{ metric: 'queue.backlog', op: '<=', value: Math.max(0, Math.round(n('down_wait') / S)) }],
          step: { up: n('step_up'), down: 1 },
        },
        cooldown: { up: base.cooldown.up, down: n('cooldown_down') },
      };
      break;
    }
  }
  return orderLike(base, ServiceSchema.parse(input)) as ServiceConfig;
}

/** `value` with its keys in `like`'s order (new ones after), at every depth: a diff shows what changed, not a reordering. */
function orderLike(like: unknown, value: unknown): unknown {
  if (!isPlainObject(like) || !isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(like)) if (k in value) out[k] = orderLike(like[k], value[k]);
  for (const k of Object.keys(value)) if (!(k in out)) out[k] = value[k];
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A short description of a point: the family and its knobs as an operator would set them. */
export function candidateLabel(k: Knobs): string {
  if (k.family === 'current') return 'current config';
  const v = k.values;
  const parts: string[] = [];
  const s = (x: number | null | undefined) => (x === null || x === undefined ? 'default' : `${x} s`);
  switch (k.family) {
    case 'predictive':
      parts.push(`breach_threshold ${v.breach_threshold}`);
      if (v.target_utilization !== null && v.target_utilization !== undefined) parts.push(`target_utilization ${v.target_utilization}`);
      parts.push(`scale-down window ${s(v.scale_down_window)}`);
      if (v.cooldown_down) parts.push(`cooldown.down ${v.cooldown_down} s`);
      parts.push(`metrics_window ${v.metrics_window} s`, `trend ${v.trend_window} s`, v.known_service_time === 1 ? 'service time set' : 'service time estimated');
      if (v.forecast === 1) parts.push('forecast on');
      break;
    case 'target':
      parts.push(`queue.lag ${v.wait} s of work/replica`, `tolerance ${v.tolerance}`, `cooldown.down ${v.cooldown_down} s`);
      if (v.stabilization) parts.push(`stabilization ${v.stabilization} s`);
      parts.push(`metrics_window ${v.metrics_window} s`);
      break;
    case 'rules':
      parts.push(`up +${v.step_up} at backlog > ${v.up_wait} s of work`, `down at <= ${v.down_wait} s`, `cooldown.down ${v.cooldown_down} s`);
      break;
  }
  parts.push(`min ${v.min_replicas}`);
  return `${k.family}: ${parts.join(', ')}`;
}

export function makeCandidate(base: ServiceConfig, k: Knobs, m: TuneModel): Candidate {
  return { key: knobsKey(k), knobs: k, label: candidateLabel(k), config: candidateConfig(base, k, m) };
}
