// Processes found by scanning /proc, as an operator would with `pgrep -f`: tests count the
// replicas docktor started by a marker argument on their command line.
import fs from 'node:fs';

/** Pids (ascending) of live processes whose command line has `arg` as one of its arguments. */
export function pidsWithArgument(arg: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(arg);
      } catch {
        return false;
      }
    })
    .map(Number)
    .sort((a, b) => a - b);
}

/** Pids of live (not zombie) processes whose environment has `name=value` (/proc/<pid>/environ). */
export function pidsWithEnv(name: string, value: string): number[] {
  const out: number[] = [];
  for (const p of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      if (fs.readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`${name}=${value}`)) out.push(Number(p));
    } catch {
      // gone, or not ours to read
    }
  }
  return out.sort((a, b) => a - b);
}
