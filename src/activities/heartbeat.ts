// Keeps a long activity visibly alive: it heartbeats every second while `work` runs, so when its
// worker dies the server notices after the heartbeat timeout (seconds) and retries the activity
// elsewhere, instead of waiting out the start-to-close timeout (minutes). Heartbeat responses are
// also how a cancellation reaches a running activity: `work` gets the activity's abort signal.
// Outside an activity (unit tests call the activity functions directly) it just runs `work`.
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';

const HEARTBEAT_MS = 1000;

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export async function withHeartbeat<T>(work: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = currentContext();
  if (!ctx) return work();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
  try {
    const result = await work(ctx.cancellationSignal);
    // Stopped early because it was cancelled: report the cancellation, not a partial success.
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('cancelled while applying; stopped early');
    return result;
  } finally {
    clearInterval(timer);
  }
}
