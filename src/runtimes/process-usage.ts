// CPU and memory of a process service's live copies, from /proc (each copy with its process group,
// as `docker stats` counts a container): CPU as a rate between two reads, so no read sleeps.
import type { Observations } from '../observations';
import {
  cpuPercentBetween,
  cpuPercentSinceStart,
  readGroupUsage,
  readMemTotalKb,
  readUptimeSeconds,
  ticksPerSecond,
  type CpuSample,
} from './proc-stats';

const round2 = (x: number): number => Math.round(x * 100) / 100;

export class UsageSampler {
  /** Previous CPU sample per copy (`pid:start_time`), so a rate needs no sleeping. */
  private readonly cpuSamples = new Map<string, { sample: CpuSample; pct: number }>();

  read(live: { pid: number; start_time: number }[]): Observations {
    const seen = new Set(live.map((c) => `${c.pid}:${c.start_time}`));
    for (const k of this.cpuSamples.keys()) if (!seen.has(k)) this.cpuSamples.delete(k);
    if (live.length === 0) return {};
    const groups = readGroupUsage(new Set(live.map((c) => c.pid)));
    const hz = ticksPerSecond();
    const uptime = readUptimeSeconds();
    const memTotalKb = readMemTotalKb();
    const now = performance.now();
    const cpus: number[] = [];
    const rss: number[] = [];
    for (const c of live) {
      const g = groups.get(c.pid);
      if (!g) continue;
      rss.push(g.rss_kb);
      const key = `${c.pid}:${c.start_time}`;
      const sample: CpuSample = { ticks: g.ticks, at_ms: now };
      const prev = this.cpuSamples.get(key);
      if (prev && now - prev.sample.at_ms < 250) {
        // Too soon for tick resolution (10 ms): repeat the last figure, keep the older sample.
        cpus.push(prev.pct);
        continue;
      }
      const pct = prev ? cpuPercentBetween(prev.sample, sample, hz) : uptime !== undefined ? cpuPercentSinceStart(g.ticks, c.start_time, uptime, hz) : undefined;
      if (pct === undefined) continue;
      this.cpuSamples.set(key, { sample, pct });
      cpus.push(pct);
    }
    const obs: Observations = {};
    if (cpus.length > 0) {
      obs['cpu.avg_pct'] = round2(cpus.reduce((a, b) => a + b, 0) / cpus.length);
      obs['cpu.max_pct'] = round2(Math.max(...cpus));
    }
    if (rss.length > 0) {
      const avgKb = rss.reduce((a, b) => a + b, 0) / rss.length;
      obs['mem.avg_mb'] = round2(avgKb / 1024);
      if (memTotalKb) obs['mem.avg_pct'] = round2((avgKb / memTotalKb) * 100);
    }
    return obs;
  }
}
