// Step 8 of the predictive strategy (docs/decide.md): the capacity cap, never more replicas than
// the host's CPU/memory headroom allows.
import { fmt, r4 } from '../../format';
import type { DecisionInput } from '../../input';
import type { JsonObject } from '../../types';
import { EPSILON } from './limits';

export interface CapacityCap {
  replicas: number | undefined;
  reason: string;
  details: JsonObject;
}

/**
 * Most replicas the host can carry: current + floor(headroom / per-replica footprint), per
 * resource, where headroom = max_pct - host.<cpu|mem>_pct. It never asks for fewer than current
 * (an overloaded host stops growth, it does not shed workers).
 */
export function capacityCap(input: DecisionInput): CapacityCap {
  const obs = input.observations;
  const current = input.current_replicas;
  const cap = input.service.capacity;
  const maxCpu = cap?.max_cpu_pct ?? 85;
  const maxMem = cap?.max_mem_pct ?? 85;
  const hostCpu = obs['host.cpu_pct'];
  const hostMem = obs['host.mem_pct'];
  const cores = obs['host.cpus'];
  const containerCpu = obs['cpu.avg_pct'];
  const perCpu = cap?.replica_cpu_pct ?? (containerCpu !== undefined && cores !== undefined && cores > 0 ? containerCpu / cores : undefined);
  const perMem = cap?.replica_mem_pct ?? obs['mem.avg_pct'];
  let replicas: number | undefined;
  const parts: string[] = [];
  let cpuCap: number | null = null;
  let memCap: number | null = null;
  // A footprint too small to matter gives no finite cap: that resource does not limit.
  const headroom = (max: number, used: number, per: number): number | null => {
    const extra = Math.floor((max - used) / per + EPSILON);
    return Number.isFinite(extra) ? current + Math.max(0, extra) : null;
  };
  if (hostCpu !== undefined && perCpu !== undefined && perCpu > 0) {
    cpuCap = headroom(maxCpu, hostCpu, perCpu);
    if (cpuCap !== null) {
      replicas = cpuCap;
      parts.push(`host.cpu_pct ${fmt(hostCpu)} of ${fmt(maxCpu)}, ${fmt(perCpu)}%/replica`);
    }
  }
  if (hostMem !== undefined && perMem !== undefined && perMem > 0) {
    memCap = headroom(maxMem, hostMem, perMem);
    if (memCap !== null) {
      if (replicas === undefined || memCap < replicas) replicas = memCap;
      parts.push(`host.mem_pct ${fmt(hostMem)} of ${fmt(maxMem)}, ${fmt(perMem)}%/replica`);
    }
  }
  return {
    replicas,
    reason: parts.join(', '),
    details: {
      max_cpu_pct: maxCpu,
      max_mem_pct: maxMem,
      host_cpu_pct: hostCpu ?? null,
      host_mem_pct: hostMem ?? null,
      replica_cpu_pct: perCpu === undefined ? null : r4(perCpu),
      replica_mem_pct: perMem ?? null,
      cpu_cap: cpuCap,
      mem_cap: memCap,
      replicas: replicas ?? null,
    },
  };
}
