// How many history long polls a worker process holds at once (issue 27). Each running watch
// long-polls its workflow's history to wake at once on a signal, an update or a cancellation
// (src/activities/watch-service.ts). The Temporal frontend allows at most `frontend.namespaceCount`
// (default 1,200) such long polls per namespace per frontend instance at once, and rejects the
// rest (RESOURCE_EXHAUSTED). So a worker keeps below that, and a watch without a long poll
// (over this budget, or rejected because other workers hold the rest) looks at the newest events
// of its history every check interval instead: its scaler wakes within one interval on a signal
// or a read, not within milliseconds, and checks on time either way.

/** Long polls per worker process; below the frontend's default 1,200 per namespace, to leave room for reads. */
export const MAX_HISTORY_LONG_POLLS = 1000;

export class LongPollBudget {
  private held = 0;
  constructor(readonly max: number) {}

  /** Takes a long poll if there is room. */
  take(): boolean {
    if (this.held >= this.max) return false;
    this.held += 1;
    return true;
  }

  give(): void {
    this.held = Math.max(0, this.held - 1);
  }

  get inUse(): number {
    return this.held;
  }
}

/** The budget of this worker process: its watches share it. */
export const workerLongPolls = new LongPollBudget(MAX_HISTORY_LONG_POLLS);
