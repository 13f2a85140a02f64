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
