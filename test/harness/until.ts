// Polls until a probe's value passes a check, then returns it; fails naming what it waited for and
// the last value seen.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

export async function until<T>(what: string, probe: () => Promise<T> | T, ok: (v: T) => boolean, timeoutMs = 20_000, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe();
    if (ok(last)) return last;
    await sleep(pollMs);
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 800)}`);
}
