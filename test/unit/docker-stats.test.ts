// CPU % and memory from Engine stats samples, as `docker stats` computes them. The cgroup v1 sample
// was recorded from this machine's dockerd (a busy Node loop, 256 MiB limit); the cgroup v2 one
// has the shape a unified-hierarchy Engine returns.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { containerUsage, cpuPercent, memoryUsageBytes, summarizeUsage, type EngineStatsSample } from '../../src/runtimes/docker-stats';

function fixture(name: string): EngineStatsSample {
  return JSON.parse(readFileSync(path.join(process.cwd(), 'test/fixtures/docker-stats', name), 'utf8')) as EngineStatsSample;
}

const MIB = 1024 * 1024;

describe('docker stats arithmetic', () => {
  it('cgroup v1: CPU from the precpu delta times online CPUs, memory minus total_inactive_file', () => {
    const s = fixture('cgroup-v1-busy.json');
    // (2584192917 - 1580633246) / (6425420000000 - 6423410000000) * 2 CPUs * 100
    assert.ok(Math.abs(cpuPercent(s) - 99.8567) < 0.001, String(cpuPercent(s)));
    assert.equal(memoryUsageBytes(s), 15921152); // total_inactive_file is 0
    const u = containerUsage(s);
    assert.ok(u);
    assert.ok(Math.abs((u.mem_pct ?? 0) - (15921152 / 268435456) * 100) < 1e-9);
  });

  it('cgroup v2: memory minus inactive_file; 4 online CPUs', () => {
    const s = fixture('cgroup-v2-light.json');
    // 50 ms of CPU over 4 s of host time across 4 CPUs: 5 %
    assert.ok(Math.abs(cpuPercent(s) - 5) < 1e-9);
    assert.equal(memoryUsageBytes(s), 52428800 - 16777216);
    assert.equal(containerUsage(s)?.mem_bytes, 34 * MIB);
  });

  it('counts per-CPU usage entries when online_cpus is missing (older Engines)', () => {
    const s = fixture('cgroup-v1-busy.json');
    const cur = { ...s.cpu_stats, online_cpus: 0 };
    assert.ok(Math.abs(cpuPercent({ ...s, cpu_stats: cur }) - cpuPercent(s)) < 1e-9);
  });

  it('is 0 when a delta is not positive (first sample, counters reset)', () => {
    const s = fixture('cgroup-v1-busy.json');
    assert.equal(cpuPercent({ ...s, precpu_stats: s.cpu_stats }), 0);
    assert.equal(cpuPercent({ ...s, precpu_stats: {} }), 100 * 2 * (2584192917 / 6425420000000));
    assert.equal(cpuPercent({ cpu_stats: s.cpu_stats, precpu_stats: { ...s.precpu_stats, system_cpu_usage: 7e12 } }), 0);
  });

  it('falls back to v1 cache only when neither inactive_file key is present; never below zero', () => {
    assert.equal(memoryUsageBytes({ memory_stats: { usage: 1000, stats: { cache: 300 } } }), 700);
    assert.equal(memoryUsageBytes({ memory_stats: { usage: 1000, stats: { total_inactive_file: 1200, inactive_file: 100 } } }), 900);
    assert.equal(memoryUsageBytes({ memory_stats: { usage: 1000, stats: { inactive_file: 2000 } } }), 1000);
    assert.equal(memoryUsageBytes({ memory_stats: {} }), undefined);
    assert.equal(containerUsage({ memory_stats: {} }), undefined, 'a stopped container has no usage');
  });

  it('summarizes replicas: average and max CPU, average memory in MiB and % (absent when none)', () => {
    const obs = summarizeUsage([
      { cpu_pct: 10, mem_bytes: 10 * MIB, mem_pct: 1 },
      { cpu_pct: 90, mem_bytes: 30 * MIB, mem_pct: 3 },
    ]);
    assert.deepEqual(obs, { 'cpu.avg_pct': 50, 'cpu.max_pct': 90, 'mem.avg_mb': 20, 'mem.avg_pct': 2 });
    assert.deepEqual(summarizeUsage([]), {});
    assert.equal(summarizeUsage([{ cpu_pct: 1, mem_bytes: MIB }])['mem.avg_pct'], undefined);
  });
});
