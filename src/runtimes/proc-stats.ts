// Reading Linux /proc: process identity (pid + start time, so a reused pid is never taken for
// ours), liveness, CPU ticks and resident memory. Parsers are pure; the readers below them are
// thin synchronous shells (procfs reads never block on disk).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z (zombie), X (dead), T, ... */
  state: string;
  ppid: number;
  /** Process group: a replica spawned detached leads its own group, so pgrp === its pid. */
  pgrp: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
  /** cutime + cstime: CPU of children this process has waited for, in clock ticks. */
  child_ticks: number;
  /** Field 22: start time in clock ticks after boot. */
  start_time: number;
}

/** Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const pid = Number(text.slice(0, open).trim());
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const field = (n: number): number => Number(rest[n - 3]);
  const stat: ProcStat = {
    pid,
    state: rest[0] ?? '',
    ppid: field(4),
    pgrp: field(5),
    ticks: field(14) + field(15),
    child_ticks: field(16) + field(17),
    start_time: field(22),
  };
  const numbers = [stat.pid, stat.ppid, stat.pgrp, stat.ticks, stat.child_ticks, stat.start_time];
  return numbers.every(Number.isFinite) && stat.state !== '' ? stat : undefined;
}

/** `VmRSS:` of /proc/<pid>/status in kB; absent for kernel threads and zombies. */
export function parseVmRssKb(statusText: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(statusText);
  return m ? Number(m[1]) : undefined;
}

/** `MemTotal:` of /proc/meminfo in kB. */
export function parseMemTotalKb(meminfoText: string): number | undefined {
  const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfoText);
  return m ? Number(m[1]) : undefined;
}

/** First number of /proc/uptime: seconds since boot. */
export function parseUptimeSeconds(text: string): number | undefined {
  const v = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(v) ? v : undefined;
}

export function isAliveState(state: string): boolean {
  return state !== 'Z' && state !== 'X' && state !== 'x';
}

/** A CPU sample: clock ticks used so far and when they were read (monotonic ms). */
export interface CpuSample {
  ticks: number;
  at_ms: number;
}

/**
 * % of one core between two samples, as `docker stats` reports it. Counters that go backwards
 * (a member of the group exited without being waited for) give 0, never a negative value.
 */
export function cpuPercentBetween(prev: CpuSample, cur: CpuSample, ticksPerSecond: number): number | undefined {
  const seconds = (cur.at_ms - prev.at_ms) / 1000;
  if (!(seconds > 0)) return undefined;
  return Math.max(0, (cur.ticks - prev.ticks) / ticksPerSecond / seconds) * 100;
}

/** % of one core over a process's whole life: for the first sample, when there is no previous one. */
export function cpuPercentSinceStart(ticks: number, startTimeTicks: number, uptimeSeconds: number, ticksPerSecond: number): number | undefined {
  const seconds = uptimeSeconds - startTimeTicks / ticksPerSecond;
  if (!(seconds > 0)) return undefined;
  return Math.max(0, ticks / ticksPerSecond / seconds) * 100;
}

// ---- readers (I/O) ----

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Start time of a running (not zombie) process, or undefined when it is gone. */
export function liveStartTime(pid: number): number | undefined {
  const s = readProcStat(pid);
  return s && isAliveState(s.state) ? s.start_time : undefined;
}

/** True when `pid` is running and is the very process that started at `startTime`. */
export function isSameLiveProcess(pid: number, startTime: number): boolean {
  return liveStartTime(pid) === startTime;
}

export function readVmRssKb(pid: number): number | undefined {
  try {
    return parseVmRssKb(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readMemTotalKb(): number | undefined {
  try {
    return parseMemTotalKb(fs.readFileSync('/proc/meminfo', 'utf8'));
  } catch {
    return undefined;
  }
}

export function readUptimeSeconds(): number | undefined {
  try {
    return parseUptimeSeconds(fs.readFileSync('/proc/uptime', 'utf8'));
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;
/** sysconf(_SC_CLK_TCK), which Node does not expose; 100 on every common Linux. Read once. */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
      clockTicks = Number.isInteger(v) && v > 0 ? v : 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface GroupUsage {
  /** CPU ticks of every live member, with the ticks of the children each has waited for. */
  ticks: number;
  rss_kb: number;
  members: number;
}

/**
 * Sums CPU and RSS over the live members of the given process groups, so a replica's own
 * children count too (those that leave the group with setsid/setpgid do not). One pass over
 * /proc, whatever the number of groups.
 */
export function readGroupUsage(pgids: ReadonlySet<number>): Map<number, GroupUsage> {
  const out = new Map<number, GroupUsage>();
  if (pgids.size === 0) return out;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const s = readProcStat(Number(name));
    if (!s || !pgids.has(s.pgrp) || !isAliveState(s.state)) continue;
    const u = out.get(s.pgrp) ?? { ticks: 0, rss_kb: 0, members: 0 };
    u.ticks += s.ticks + s.child_ticks;
    u.rss_kb += readVmRssKb(s.pid) ?? 0;
    u.members += 1;
    out.set(s.pgrp, u);
  }
  return out;
}
