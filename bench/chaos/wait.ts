// Waiting for a piece of the cluster to answer, and the error when it does not (the soak then
// cannot run: exit 2, not a violation).
import { setTimeout as sleep } from 'node:timers/promises';

export class SetupError extends Error {}

/** Polls `probe` (an error counts as not yet, a SetupError ends the wait) every 250 ms until it is true. */
export async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (e) {
      if (e instanceof SetupError) throw e;
      last = e instanceof Error ? e.message : String(e);
    }
    await sleep(250);
  }
  throw new SetupError(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${last})`);
}
