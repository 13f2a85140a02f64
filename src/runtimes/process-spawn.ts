// Starting one copy of a process service: the program found as a shell would find it (a missing
// one is a configuration error before anything starts), detached in its own process group (so it
// outlives the worker), its output appended to its log under the state directory, its replica
// index and the pool's marker in its environment.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { ProcessRuntimeConfig } from '../config/runtime';
import { ConfigurationError, OperationError } from '../errors';
import { readProcStat } from './proc-stats';
import { markerEnv } from './process-marker';
import { replicaEnv, resolveProgram } from './process-program';
import { logFilePath } from './process-state';
import type { Copy, ExitInfo } from './process-stop';
import type { RuntimeTarget } from './runtime';

export function spawnable(target: RuntimeTarget<ProcessRuntimeConfig>): { program: string; cwd: string } {
  const rt = target.runtime;
  const cwd = rt.cwd ?? process.cwd();
  const field = `service '${target.service.name}' runtime`;
  if (!isDirectory(cwd)) throw new ConfigurationError(`${field}.cwd: ${cwd} is not a directory`, 'runtime.cwd');
  const program = resolveProgram(rt.command[0] ?? '', cwd, rt.env.PATH ?? process.env.PATH);
  if (!program.ok) throw new ConfigurationError(`${field}.command: ${program.reason}`, 'runtime.command');
  return { program: program.path, cwd };
}

/** Starts replica `index` of the pool `key`; its exit comes as `exited`. */
export function startCopy(target: RuntimeTarget<ProcessRuntimeConfig>, stateDir: string, key: string, pool: string, index: number): Copy {
  const { program, cwd } = spawnable(target);
  const rt = target.runtime;
  fs.mkdirSync(stateDir, { recursive: true });
  const log = fs.openSync(logFilePath(stateDir, key, index), 'a');
  let child: ChildProcess;
  try {
    child = spawn(program, rt.command.slice(1), {
      cwd,
      env: replicaEnv(process.env, rt.env, index, markerEnv(pool, target.project, target.service.name, index)),
      argv0: rt.command[0],
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    fs.closeSync(log);
  }
  // Spawn failures (EACCES, ...) arrive as an 'error' event; an unhandled one would crash the worker.
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) throw new OperationError(`could not start ${key}-${index}: ${rt.command.join(' ')}`);
  const exited = new Promise<ExitInfo>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.unref();
  // The zombie of a copy that died at once stays until the loop reaps it, so stat is still there.
  return { pid, start_time: readProcStat(pid)?.start_time ?? 0, started_at: Date.now(), command: [...rt.command], child, exited };
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
