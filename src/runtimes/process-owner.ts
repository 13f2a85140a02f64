// Which worker process supervises a service's replicas: `<state dir>/<project>-<service>.lock`
// holds the owner's pid and start time. Only the owner starts, stops and restarts copies, so two
// workers on one machine never both restart a dead copy; a lock whose process is gone (killed,
// crashed) is taken over, which is how a restarted worker adopts the replicas.
import fs from 'node:fs';
import path from 'node:path';
import { isSameLiveProcess, liveStartTime } from './proc-stats';

export interface OwnerIdentity {
  pid: number;
  start_time: number;
}

/** `owner` is unknown while another process is taking a stale lock over. */
export type Ownership = { owned: true } | { owned: false; owner?: OwnerIdentity };

export function lockFilePath(dir: string, key: string): string {
  return path.join(dir, `${key}.lock`);
}

let self: OwnerIdentity | undefined;
export function selfIdentity(): OwnerIdentity {
  self ??= { pid: process.pid, start_time: liveStartTime(process.pid) ?? 0 };
  return self;
}

function readOwner(file: string): OwnerIdentity | undefined {
  try {
    const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof raw === 'object' && raw !== null && 'pid' in raw && 'start_time' in raw) {
      const { pid, start_time } = raw;
      if (typeof pid === 'number' && typeof start_time === 'number') return { pid, start_time };
    }
  } catch {
    // unreadable or half-written: treated as no owner
  }
  return undefined;
}

const same = (a: OwnerIdentity | undefined, b: OwnerIdentity): boolean => a !== undefined && a.pid === b.pid && a.start_time === b.start_time;

/**
 * A takeover guard older than this was left by a process that died while holding it (it is held
 * for the few microseconds of a write and a rename).
 */
const STALE_GUARD_MS = 2000;

/** mkdir is atomic: exactly one of several processes creates the guard. */
function takeGuard(guard: string): boolean {
  for (let tries = 0; tries < 2; tries++) {
    try {
      fs.mkdirSync(guard);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs < STALE_GUARD_MS) return false;
      fs.rmSync(guard, { recursive: true, force: true });
    } catch {
      // gone meanwhile: try once more
    }
  }
  return false;
}

/**
 * Takes the lock unless another live process holds it. A stale lock (its process is gone) is
 * taken over under a guard directory, so that two workers finding it stale at the same moment
 * (a worker killed, the other one and its restarted self both checking) cannot both win and both
 * supervise, each restarting the same dead replica.
 */
export function acquireOwnership(file: string): Ownership {
  const me = selfIdentity();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const body = `${JSON.stringify(me)}\n`;
  try {
    fs.writeFileSync(file, body, { flag: 'wx' });
    return { owned: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const owner = readOwner(file);
  if (same(owner, me)) return { owned: true };
  if (owner && isSameLiveProcess(owner.pid, owner.start_time)) return { owned: false, owner };
  const guard = `${file}.takeover`;
  if (!takeGuard(guard)) return { owned: false, ...(owner ? { owner } : {}) };
  try {
    // Read again under the guard: another process may have taken it over just before.
    const now = readOwner(file);
    if (now && !same(now, me) && isSameLiveProcess(now.pid, now.start_time)) return { owned: false, owner: now };
    const tmp = `${file}.${me.pid}.tmp`;
    fs.writeFileSync(tmp, body);
    fs.renameSync(tmp, file);
    return { owned: true };
  } finally {
    fs.rmSync(guard, { recursive: true, force: true });
  }
}

/** Gives the lock up if it is ours (on close, so another worker may take over at once). */
export function releaseOwnership(file: string): void {
  if (same(readOwner(file), selfIdentity())) fs.rmSync(file, { force: true });
}
