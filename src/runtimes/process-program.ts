// Finds the program of a process runtime's `command` as execvp would: a name with a slash is a
// path (relative to the replica's cwd), anything else is looked up on PATH.
import fs from 'node:fs';
import path from 'node:path';

export type ProgramLookup = { ok: true; path: string } | { ok: false; reason: string };

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function resolveProgram(program: string, cwd: string, pathEnv: string | undefined): ProgramLookup {
  if (program.includes('/')) {
    const abs = path.resolve(cwd, program);
    if (!fs.existsSync(abs)) return { ok: false, reason: `${abs} does not exist` };
    return isExecutableFile(abs) ? { ok: true, path: abs } : { ok: false, reason: `${abs} is not an executable file (chmod +x?)` };
  }
  const dirs = (pathEnv ?? '').split(path.delimiter).filter((d) => d !== '');
  for (const dir of dirs) {
    const candidate = path.resolve(cwd, dir, program);
    if (isExecutableFile(candidate)) return { ok: true, path: candidate };
  }
  return { ok: false, reason: `'${program}' is not on PATH (${dirs.length} directories searched); give an absolute path or fix PATH` };
}

/**
 * The environment of a replica: the worker's, the service's `env` over it, its index, and the
 * marker that lets an unrecorded replica be found (process-marker.ts).
 */
export function replicaEnv(base: NodeJS.ProcessEnv, env: Record<string, string>, index: number, marker: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...base, ...env, ...marker, DOCKTOR_REPLICA: String(index) };
}
