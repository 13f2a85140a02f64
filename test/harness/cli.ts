// Runs the docktor CLI in this process with captured output, as the tests drive it.
import type { CliIO } from '../../src/cli/io';
import { main } from '../../src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

export interface CliRunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  stdin?: string;
}

export async function runCli(args: string[], o: CliRunOptions): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIO = {
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    readStdin: async () => o.stdin ?? '',
    env: o.env ?? {},
    cwd: o.cwd,
  };
  const code = await main(['node', 'docktor', ...args], io);
  return { code, out, err };
}
