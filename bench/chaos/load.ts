// The soak's producer: a square wave of messages (high enough to need max_replicas, then near
// zero), each with a unique id `<seed>-<n>` in its body and as its Nats-Msg-Id, so a retried
// publish is deduplicated by the stream. Only a publish the server acknowledged counts as
// published; one that failed (NATS down) is retried with the same id until it is acknowledged or
// the run ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';

export interface WaveOptions {
  highRate: number;
  lowRate: number;
  highS: number;
  lowS: number;
}

export class Load {
  /** Ids the server acknowledged. */
  readonly published = new Set<string>();
  /** Ids made but not (yet) acknowledged. */
  readonly pending: string[] = [];
  publishFailures = 0;
  private n = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private nc: NatsConnection | undefined;

  constructor(private readonly url: string, private readonly subject: string, private readonly seed: number, private readonly wave: WaveOptions) {}

  rateAt(elapsedS: number): number {
    const period = this.wave.highS + this.wave.lowS;
    return elapsedS % period < this.wave.highS ? this.wave.highRate : this.wave.lowRate;
  }

  async start(): Promise<void> {
    this.nc = await connect({ servers: this.url, maxReconnectAttempts: -1, reconnectTimeWait: 250, name: 'chaos-producer' });
    this.running = true;
    this.loop = this.run();
  }

  /** Stops making new messages; `flushMs` more for the pending ones to be acknowledged. */
  async stop(flushMs: number): Promise<void> {
    this.running = false;
    await this.loop;
    const js = jetstream(this.nc as NatsConnection);
    const deadline = Date.now() + flushMs;
    while (this.pending.length > 0 && Date.now() < deadline) {
      if (!(await this.publishOne(js))) await sleep(250);
    }
    await this.nc?.close().catch(() => undefined);
  }

  private async run(): Promise<void> {
    const js = jetstream(this.nc as NatsConnection);
    const t0 = Date.now();
    let owed = 0;
    let last = t0;
    while (this.running) {
      const now = Date.now();
      owed += ((now - last) / 1000) * this.rateAt((now - t0) / 1000);
      last = now;
      while (owed >= 1) {
        this.pending.push(`${this.seed}-${++this.n}`);
        owed -= 1;
      }
      if (this.pending.length === 0 || !(await this.publishOne(js))) await sleep(this.pending.length === 0 ? 50 : 250);
    }
  }

  /** Publishes the oldest pending id; true when acknowledged. */
  private async publishOne(js: ReturnType<typeof jetstream>): Promise<boolean> {
    const id = this.pending[0];
    if (id === undefined) return true;
    try {
      await js.publish(this.subject, id, { msgID: id, timeout: 2000 });
      this.published.add(id);
      this.pending.shift();
      return true;
    } catch {
      this.publishFailures++;
      return false;
    }
  }
}
