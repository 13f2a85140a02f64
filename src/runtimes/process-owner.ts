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

export type Ownership = { owned: true } | { owned: false; owner: OwnerIdentity };

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
 * Takes the lock unless another live process holds it. Two processes taking over the same stale
 * lock at the very same moment could both succeed; the rename narrows that to a read-back race.
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
  const tmp = `${file}.${me.pid}.tmp`;
  fs.writeFileSync(tmp, body);
  fs.renameSync(tmp, file);
  const now = readOwner(file);
  return same(now, me) ? { owned: true } : now ? { owned: false, owner: now } : { owned: true };
}

/** Gives the lock up if it is ours (on close, so another worker may take over at once). */
export function releaseOwnership(file: string): void {
  if (same(readOwner(file), selfIdentity())) fs.rmSync(file, { force: true });
}
