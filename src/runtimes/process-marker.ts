// The marker each process replica carries in its environment, so that a replica the state file
// does not list (its worker was killed between starting it and recording it, or the file was
// lost) can still be found by scanning /proc, and adopted or stopped instead of running forever
// beside a duplicate. `DOCKTOR_POOL` names the pool (a hash of the state directory and the
// service), `DOCKTOR_REPLICA_ID` the replica as `<project>/<service>/<index>`.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isAliveState, readProcStat } from './proc-stats';

export const POOL_VAR = 'DOCKTOR_POOL';
export const REPLICA_ID_VAR = 'DOCKTOR_REPLICA_ID';

/** Stable for one state directory and service key: the same pool whatever worker runs it. */
export function poolId(stateDir: string, key: string): string {
  return createHash('sha256').update(`${path.resolve(stateDir)}\0${key}`).digest('hex').slice(0, 16);
}

export function markerEnv(pool: string, project: string, service: string, index: number): Record<string, string> {
  return { [POOL_VAR]: pool, [REPLICA_ID_VAR]: `${project}/${service}/${index}` };
}

/** The replica index a process's environment (NUL-separated, as /proc/<pid>/environ) marks for `pool`. */
export function markedIndex(environ: string, pool: string): number | undefined {
  let inPool = false;
  let index: number | undefined;
  for (const kv of environ.split('\0')) {
    if (kv === `${POOL_VAR}=${pool}`) inPool = true;
    else if (kv.startsWith(`${REPLICA_ID_VAR}=`)) {
      const n = Number(kv.slice(kv.lastIndexOf('/') + 1));
      if (Number.isSafeInteger(n) && n > 0) index = n;
    }
  }
  return inPool ? index : undefined;
}

export interface MarkedReplica {
  pid: number;
  start_time: number;
  index: number;
}

/**
 * Live replicas of `pool` found in /proc, oldest first. Only process-group leaders count (a
 * replica starts in its own group), and not the children of another marked process: what a
 * replica starts inherits its environment too.
 */
export function findMarkedReplicas(pool: string): MarkedReplica[] {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const found: (MarkedReplica & { ppid: number })[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    const stat = readProcStat(pid);
    if (!stat || stat.pgrp !== pid || !isAliveState(stat.state)) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
    } catch {
      continue; // another user's process, or gone
    }
    const index = markedIndex(environ, pool);
    if (index !== undefined) found.push({ pid, start_time: stat.start_time, index, ppid: stat.ppid });
  }
  const pids = new Set(found.map((r) => r.pid));
  return found
    .filter((r) => !pids.has(r.ppid))
    .sort((a, b) => a.start_time - b.start_time)
    .map(({ pid, start_time, index }) => ({ pid, start_time, index }));
}
