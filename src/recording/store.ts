// Where recordings live and how they are written (docs/recording.md): under
// `<root>/<project>/<service>/`, one file per UTC day (`YYYY-MM-DD.jsonl`), one JSON row a line.
// Each row is one append (O_APPEND, one write), so several workers of a machine may write to the
// same files; a worker that dies mid-write leaves a torn last line, which the next writer ends
// with a newline first and the reader skips. Files past the retention are deleted, and so are the
// oldest ones while a service's files take more than the size cap.
import fs from 'node:fs';
import path from 'node:path';
import { defaultStateDir } from '../runtimes/process-state';
import { parseRow, type ApplyRow, type CheckRow } from './row';

/** Per service: a week of 1 s checks (~150 bytes each) is about 100 MB; the oldest days go first. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** How often a service's files are pruned, at most (and on the first row of a day). */
export const PRUNE_EVERY_SECONDS = 600;
const DAY_FILE = /^(\d{4})-(\d{2})-(\d{2})\.jsonl$/;
/** The tail read to find the previous check of a service (rows are about 150 bytes). */
const TAIL_BYTES = 16 * 1024;

/** The default root: `recordings` in the state directory of this machine (DOCKTOR_STATE_DIR). */
export function defaultRecordingRoot(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return path.join(defaultStateDir(env, cwd), 'recordings');
}

/** A name as a safe path segment: letters, digits, `_`, `.`, `-` kept, anything else %-encoded. */
function segment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return s === '.' || s === '..' || s === '' ? `%2e${s.slice(1)}` : s;
}

export function serviceRecordingDir(root: string, project: string, service: string): string {
  return path.join(root, segment(project), segment(service));
}

/** The file of the UTC day of `t` (unix seconds). */
export function dayFileName(t: number): string {
  return `${new Date(t * 1000).toISOString().slice(0, 10)}.jsonl`;
}

/** Unix seconds of the start of a day file's UTC day, or undefined for any other name. */
export function dayStart(fileName: string): number | undefined {
  const m = DAY_FILE.exec(fileName);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 1000 : undefined;
}

/** A service's day files, oldest first. */
export function dayFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return names.filter((n) => DAY_FILE.test(n)).sort();
}

export interface StoreTarget {
  /** The service's directory (serviceRecordingDir). */
  dir: string;
  retention_s: number;
}

export interface StoreOptions {
  max_bytes?: number;
  prune_every_s?: number;
}

interface ServiceState {
  /** The day file last written, and whether it needs a newline before the next row (a torn tail). */
  file: string | null;
  newline: boolean;
  bytes: number;
  previous_t: number | undefined;
  pruned_at: number;
}

export class RecordingStore {
  private readonly maxBytes: number;
  private readonly pruneEvery: number;
  private readonly services = new Map<string, ServiceState>();
  /** Rows of a service are written one after another, in the order given. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Rows not written because the newest day's file alone reached the size cap. */
  dropped = 0;

  constructor(o: StoreOptions = {}) {
    this.maxBytes = o.max_bytes ?? DEFAULT_MAX_BYTES;
    this.pruneEvery = o.prune_every_s ?? PRUNE_EVERY_SECONDS;
  }

  /** Appends a check row; `build` gets the time of the service's previous recorded check. */
  appendCheck(target: StoreTarget, t: number, build: (previous_t: number | undefined) => CheckRow): Promise<void> {
    return this.chain(target.dir, async () => {
      const st = await this.prepare(target, t);
      const row = build(st.previous_t);
      await this.write(st, row);
      st.previous_t = row.t;
    });
  }

  appendApply(target: StoreTarget, row: ApplyRow): Promise<void> {
    return this.chain(target.dir, async () => this.write(await this.prepare(target, row.t), row));
  }

  /** Resolves when every row handed in so far is written (or failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private chain(key: string, job: () => Promise<void>): Promise<void> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(job);
    const settled = run.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return run;
  }

  /** The service's state for a row at `t`: its day file looked at once a day, pruned now and then. */
  private async prepare(target: StoreTarget, t: number): Promise<ServiceState> {
    const file = path.join(target.dir, dayFileName(t));
    let st = this.services.get(target.dir);
    if (!st || st.file !== file) {
      await fs.promises.mkdir(target.dir, { recursive: true, mode: 0o755 });
      const tail = await readTail(file);
      const previous_t = tail.last_check_t ?? st?.previous_t ?? (await previousDayCheck(target.dir, file));
      // A new day (or the first row of this process): prune now.
      st = { file, newline: tail.torn, bytes: tail.size, previous_t, pruned_at: -Infinity };
      this.services.set(target.dir, st);
    }
    if (t - st.pruned_at >= this.pruneEvery) {
      st.pruned_at = t;
      await pruneRecordings(target.dir, t, target.retention_s, this.maxBytes);
      st.bytes = await sizeOf(file);
    }
    return st;
  }

  private async write(st: ServiceState, row: CheckRow | ApplyRow): Promise<void> {
    if (st.bytes >= this.maxBytes) {
      this.dropped++;
      return;
    }
    const line = `${st.newline ? '\n' : ''}${JSON.stringify(row)}\n`;
    // One write with O_APPEND: concurrent writers never interleave inside a line.
    await fs.promises.appendFile(st.file!, line, { flag: 'a', mode: 0o644 });
    st.newline = false;
    st.bytes += Buffer.byteLength(line);
  }
}

/** Size of a file, 0 when it does not exist. */
async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.promises.stat(file)).size;
  } catch {
    return 0;
  }
}

/** The last complete check row's time in a file, whether its end is torn, and its size. */
async function readTail(file: string): Promise<{ last_check_t: number | undefined; torn: boolean; size: number }> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch {
    return { last_check_t: undefined, torn: false, size: 0 };
  }
  try {
    const { size } = await fh.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await fh.read(buf, 0, length, size - length);
    const text = buf.toString('utf8');
    const torn = length > 0 && !text.endsWith('\n');
    const lines = text.split('\n');
    if (torn) lines.pop();
    for (let i = lines.length - 1; i >= 0; i--) {
      const row = parseRow(lines[i]!);
      if (row && row.k === undefined) return { last_check_t: row.t, torn, size };
    }
    return { last_check_t: undefined, torn, size };
  } finally {
    await fh.close();
  }
}

/** The last check of the newest day file before `file` (yesterday's, after midnight). */
async function previousDayCheck(dir: string, file: string): Promise<number | undefined> {
  const before = dayFiles(dir).filter((n) => n < path.basename(file));
  const newest = before[before.length - 1];
  return newest ? (await readTail(path.join(dir, newest))).last_check_t : undefined;
}

/**
 * Deletes a service's day files whose day ended more than `retention_s` before `now`, then the
 * oldest ones while the rest take more than `max_bytes` (the newest file is always kept).
 * Returns the names deleted. Files of other names are left alone.
 */
export async function pruneRecordings(dir: string, now: number, retention_s: number, max_bytes: number): Promise<string[]> {
  const removed: string[] = [];
  const names = dayFiles(dir);
  const kept: Array<{ name: string; size: number }> = [];
  for (const name of names) {
    const start = dayStart(name)!;
    if (start + 86400 <= now - retention_s) {
      await removeFile(path.join(dir, name), removed, name);
      continue;
    }
    kept.push({ name, size: await sizeOf(path.join(dir, name)) });
  }
  let total = kept.reduce((s, f) => s + f.size, 0);
  for (let i = 0; i < kept.length - 1 && total > max_bytes; i++) {
    await removeFile(path.join(dir, kept[i]!.name), removed, kept[i]!.name);
    total -= kept[i]!.size;
  }
  return removed;
}

async function removeFile(file: string, removed: string[], name: string): Promise<void> {
  try {
    await fs.promises.unlink(file);
    removed.push(name);
  } catch (e) {
    // Another worker of this machine pruned it first.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
