// CPU and memory of containers from Engine stats samples (GET /containers/{id}/stats?stream=false),
// computed exactly as the docker CLI's `docker stats` does (cli/command/container/stats_helpers.go),
// and summarized into the runtime's observations. Pure: no I/O.
import type { Observations } from '../observations';

/** The part of one Engine stats sample that `docker stats` reads (Linux containers). */
export interface EngineStatsSample {
  cpu_stats?: EngineCpuStats;
  precpu_stats?: EngineCpuStats;
  memory_stats?: {
    usage?: number;
    limit?: number;
    stats?: Record<string, number | undefined>;
  };
}

export interface EngineCpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** One container's usage at one sample. */
export interface ContainerUsage {
  /** % of one core: 150 means one and a half cores busy. */
  cpu_pct: number;
  /** Memory in use, page cache that can be reclaimed left out, in bytes. */
  mem_bytes: number;
  /** % of the container's memory limit (the host's memory when it has none); absent when unknown. */
  mem_pct?: number;
}

/**
 * `docker stats`' CPU %: the container's CPU time over the host's, both since the previous sample
 * (precpu_stats, which the Engine fills for stream=false by sampling twice), times the online CPUs.
 * 0 when either delta is not positive, as the CLI does.
 */
export function cpuPercent(sample: EngineStatsSample): number {
  const cur = sample.cpu_stats;
  const prev = sample.precpu_stats;
  const cpuDelta = (cur?.cpu_usage?.total_usage ?? 0) - (prev?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur?.system_cpu_usage ?? 0) - (prev?.system_cpu_usage ?? 0);
  let onlineCpus = cur?.online_cpus ?? 0;
  if (onlineCpus === 0) onlineCpus = cur?.cpu_usage?.percpu_usage?.length ?? 0;
  if (systemDelta > 0 && cpuDelta > 0) return (cpuDelta / systemDelta) * onlineCpus * 100;
  return 0;
}

/**
 * `docker stats`' memory usage: usage minus the inactive file cache, which the kernel reclaims
 * under pressure. cgroup v1 reports it as `total_inactive_file`, cgroup v2 as `inactive_file`
 * (CLIs before 19.03 subtracted v1's `cache` instead; used here only when neither is present).
 */
export function memoryUsageBytes(sample: EngineStatsSample): number | undefined {
  const mem = sample.memory_stats;
  if (mem?.usage === undefined) return undefined;
  const usage = mem.usage;
  const stats = mem.stats ?? {};
  const v1 = stats['total_inactive_file'];
  if (v1 !== undefined && v1 < usage) return usage - v1;
  const v2 = stats['inactive_file'];
  if (v2 !== undefined && v2 < usage) return usage - v2;
  const cache = stats['cache'];
  if (v1 === undefined && v2 === undefined && cache !== undefined && cache < usage) return usage - cache;
  return usage;
}

/** One container's CPU % and memory; undefined for a sample without memory figures (stopped container). */
export function containerUsage(sample: EngineStatsSample): ContainerUsage | undefined {
  const mem = memoryUsageBytes(sample);
  if (mem === undefined) return undefined;
  const limit = sample.memory_stats?.limit ?? 0;
  const usage: ContainerUsage = { cpu_pct: cpuPercent(sample), mem_bytes: mem };
  if (limit > 0) usage.mem_pct = (mem / limit) * 100;
  return usage;
}

const MIB = 1024 * 1024;

/**
 * `cpu.avg_pct`, `cpu.max_pct`, `mem.avg_pct` and `mem.avg_mb` (MiB, as `docker stats` shows) over
 * the replicas measured. Nothing when no replica was measured: absent, not zero.
 */
export function summarizeUsage(usages: readonly ContainerUsage[]): Observations {
  if (usages.length === 0) return {};
  const cpus = usages.map((u) => u.cpu_pct);
  const obs: Observations = {
    'cpu.avg_pct': round2(mean(cpus)),
    'cpu.max_pct': round2(Math.max(...cpus)),
    'mem.avg_mb': round2(mean(usages.map((u) => u.mem_bytes)) / MIB),
  };
  const memPcts = usages.flatMap((u) => (u.mem_pct === undefined ? [] : [u.mem_pct]));
  if (memPcts.length > 0) obs['mem.avg_pct'] = round2(mean(memPcts));
  return obs;
}

function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Two decimals, as `docker stats` prints; keeps decision reasons and history readable. */
function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
