// The state file of one process-run service, `<state dir>/<project>-<service>.json`: which
// replicas exist (index, pid and the pid's start time, so a reused pid is never taken for ours),
// their back-off and the restart count. It is what lets a restarted worker adopt the live copies.
// Written atomically (temp file + rename) after every change.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { OperationError } from '../errors';

export const ReplicaRecordSchema = z.object({
  /** DOCKTOR_REPLICA of this copy, 1..N. */
  index: z.number().int().positive(),
  /** Null while the copy waits in back-off to be restarted. */
  pid: z.number().int().positive().nullable(),
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot). */
  start_time: z.number().int().nonnegative().nullable(),
  /** Wall-clock ms when the current copy started. */
  started_at: z.number().nullable(),
  command: z.array(z.string()),
  /** Consecutive quick deaths, for the back-off. */
  failures: z.number().int().nonnegative(),
  restarts: z.number().int().nonnegative(),
  /** Wall-clock ms of a scheduled restart, while waiting in back-off. */
  restart_at: z.number().nullable(),
});
export type ReplicaRecord = z.infer<typeof ReplicaRecordSchema>;

export const ProcessStateSchema = z.object({
  version: z.literal(1),
  project: z.string(),
  service: z.string(),
  /** Restarts of copies that died, over the service's life. */
  restarts: z.number().int().nonnegative(),
  replicas: z.array(ReplicaRecordSchema),
  /** The newest apply fence seen (EnsureOptions.seq): an older apply is refused, by any owner. */
  fence: z.number().nullable().default(null),
  updated_at: z.string(),
});
export type ProcessState = z.infer<typeof ProcessStateSchema>;
/** As written (a file from before the fence has none). */
export type ProcessStateInput = z.input<typeof ProcessStateSchema>;

/**
 * One directory per machine (per user), whatever the current directory: two workers started from
 * different directories must find the same records and the same ownership lock, or both would
 * supervise (and double) one service's replicas. `DOCKTOR_STATE_DIR` (relative to the cwd), else
 * `/var/lib/docktor/processes` for root, else `$XDG_STATE_HOME/docktor/processes`, else
 * `~/.local/state/docktor/processes`.
 */
export function defaultStateDir(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  uid: number | undefined = process.getuid?.(),
  home = os.homedir(),
): string {
  if (env.DOCKTOR_STATE_DIR) return path.resolve(cwd, env.DOCKTOR_STATE_DIR);
  if (uid === 0) return '/var/lib/docktor/processes';
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec says to ignore a relative XDG_STATE_HOME.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state');
  return path.join(base, 'docktor', 'processes');
}

/** `<project>-<service>`, made safe as a file name. */
export function serviceKey(project: string, service: string): string {
  return `${project}-${service}`.replace(/[^A-Za-z0-9_.-]/g, '_');
}

export function stateFilePath(dir: string, key: string): string {
  return path.join(dir, `${key}.json`);
}

export function logFilePath(dir: string, key: string, index: number): string {
  return path.join(dir, `${key}-${index}.log`);
}

export function emptyState(project: string, service: string): ProcessState {
  return { version: 1, project, service, restarts: 0, replicas: [], fence: null, updated_at: new Date().toISOString() };
}

/** The recorded state, or undefined when there is no file yet. */
export function readState(file: string): ProcessState | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OperationError(`cannot read process state file ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new OperationError(
      `process state file ${file} is not valid JSON (${(e as Error).message}); stop the processes it lists by hand, then delete it`,
    );
  }
  const parsed = ProcessStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new OperationError(
      `process state file ${file} has an unexpected shape (${parsed.error.issues[0]?.message ?? 'invalid'}); stop the processes it lists by hand, then delete it`,
    );
  }
  return parsed.data;
}

export function writeState(file: string, state: ProcessStateInput): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ ...state, updated_at: new Date().toISOString() }, null, 2)}\n`);
  fs.renameSync(tmp, file);
}
