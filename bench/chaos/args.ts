// `npm run chaos -- [--minutes 30] [--seed N] [--runtime process|compose] [--no-write] [--keep]`.
// Bad input names the argument and the fix (the caller exits 2).
export interface ChaosArgs {
  /** Minutes of faults (setup, heal, drain and checks come on top). */
  minutes: number;
  seed: number;
  runtime: 'process';
  /** Write the report's section into docs/reliability.md. */
  write: boolean;
  /** Keep the run directory even when every invariant held. */
  keep: boolean;
}

export class ArgError extends Error {}

export const USAGE = 'usage: npm run chaos -- [--minutes 30] [--seed N] [--runtime process] [--no-write] [--keep]';

export function parseArgs(argv: readonly string[], defaultSeed: number): ChaosArgs {
  const out: ChaosArgs = { minutes: 30, seed: defaultSeed, runtime: 'process', write: true, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new ArgError(`${a} needs a value; ${USAGE}`);
      return v;
    };
    switch (a) {
      case '--minutes': {
        const v = value();
        const n = Number(v);
        if (!Number.isFinite(n) || n < 1 || n > 24 * 60) throw new ArgError(`--minutes must be a number from 1 to 1440, got "${v}"; e.g. --minutes 30`);
        out.minutes = n;
        break;
      }
      case '--seed': {
        const v = value();
        const n = Number(v);
        if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new ArgError(`--seed must be an integer from 0 to 4294967295, got "${v}"; e.g. --seed 42`);
        out.seed = n;
        break;
      }
      case '--runtime': {
        const v = value();
        if (v === 'compose') throw new ArgError('--runtime compose is not supported by the soak yet (it needs a dockerd and an image); use --runtime process');
        if (v !== 'process') throw new ArgError(`--runtime must be process (or, later, compose), got "${v}"`);
        out.runtime = v;
        break;
      }
      case '--no-write':
        out.write = false;
        break;
      case '--keep':
        out.keep = true;
        break;
      default:
        throw new ArgError(`unknown argument "${a}"; ${USAGE}`);
    }
  }
  return out;
}
