// FAKES, named as such: an in-memory runtime and queue source for testing the scaler workflow's
// loop (timers, signals, updates, durability) apart from real Docker/NATS, which have their own
// tests. Everything else in those tests is real: the Temporal dev server, the worker, the engine.
import { setTimeout as sleep } from 'node:timers/promises';
import type { QueueConfig } from '../../src/config/queue';
import { NotOwnerError } from '../../src/errors';
import type { PluginLookup } from '../../src/sources/collect';
import type { Json, Observations } from '../../src/observations';
import type { QueueSource } from '../../src/sources/queue-source';
import type { EnsureOptions, Runtime, RuntimeTarget, ScaleResult } from '../../src/runtimes/runtime';

export class FakeRuntime implements Runtime {
  readonly kind = 'compose' as const;
  replicas: number;
  /** Every ensure call that changed the count: [from, to]. */
  readonly changes: Array<[number, number]> = [];
  ensureCalls = 0;
  /** The fence of every ensure call (EnsureOptions.seq), in call order. */
  readonly seqs: number[] = [];
  /** When set, ensure throws this many times before succeeding. */
  failNext = 0;
  /** When set, ensure throws NotOwnerError (another worker supervises) this many times. */
  notOwnerNext = 0;
  /** How long an ensure that changes the count takes (a slow start or a grace period), ms. */
  ensureDelayMs = 0;
  /** When each change was asked for and when it landed (unix seconds). */
  readonly landed: Array<{ from: number; to: number; asked_at: number; landed_at: number }> = [];

  constructor(initial: number) {
    this.replicas = initial;
  }

  async observe(): Promise<Observations> {
    return { 'replicas.current': this.replicas, 'replicas.ready': this.replicas };
  }

  async ensure(_t: RuntimeTarget, n: number, options: EnsureOptions = {}): Promise<ScaleResult> {
    this.ensureCalls += 1;
    if (options.seq !== undefined) this.seqs.push(options.seq);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('fake runtime: injected failure');
    }
    if (this.notOwnerNext > 0) {
      this.notOwnerNext -= 1;
      throw new NotOwnerError('fake runtime: the replicas are supervised by another docktor worker');
    }
    const before = this.replicas;
    const asked_at = Date.now() / 1000;
    if (n !== before && this.ensureDelayMs > 0) await sleep(this.ensureDelayMs);
    if (n !== before) {
      this.changes.push([before, n]);
      this.landed.push({ from: before, to: n, asked_at, landed_at: Date.now() / 1000 });
    }
    this.replicas = n;
    return { before, after: n, detail: `fake: ${before} -> ${n}` };
  }

  async check() {
    return [{ ok: true, label: 'fake runtime' }];
  }

  async close(): Promise<void> {}
}

export class FakeQueueSource implements QueueSource {
  readonly kind = 'nats' as const;
  observations: Observations = {};
  reads = 0;
  /** When each read happened (unix seconds): when each check began. */
  readonly readAt: number[] = [];
  /** When set, read throws with this message (a source outage). */
  failWith: string | undefined;

  countsArrivals(): boolean {
    return true;
  }

  async read(_c: QueueConfig, o: { state?: Json }): Promise<{ observations: Observations; state: Json }> {
    this.reads += 1;
    this.readAt.push(Date.now() / 1000);
    if (this.failWith) throw new Error(this.failWith);
    // The state names the read before (not the whole chain): queue states stay the same size, as
    // a real source's do, so a scaler's history bytes per check do not grow with its age.
    const previous = typeof o.state === 'object' && o.state !== null && 'reads' in o.state ? o.state.reads : null;
    return { observations: { ...this.observations }, state: { reads: this.reads, previous_reads: previous ?? null } };
  }

  async check() {
    return [{ ok: true, label: 'fake queue' }];
  }

  async close(): Promise<void> {}
}

export function fakePlugins(runtime: FakeRuntime, queue: FakeQueueSource): PluginLookup {
  return { runtimeFor: () => runtime, queueSourceFor: () => queue };
}

/**
 * One fake runtime and queue per service name, so that scalers running side by side on one
 * worker cannot act on each other's replicas.
 */
export class FakeFleet implements PluginLookup {
  private readonly runtimes = new Map<string, FakeRuntime>();
  private readonly queues = new Map<string, FakeQueueSource>();

  runtime(service: string, initial = 1): FakeRuntime {
    let r = this.runtimes.get(service);
    if (!r) this.runtimes.set(service, (r = new FakeRuntime(initial)));
    return r;
  }

  queue(service: string): FakeQueueSource {
    let q = this.queues.get(service);
    if (!q) this.queues.set(service, (q = new FakeQueueSource()));
    return q;
  }

  runtimeFor = (t: RuntimeTarget): Runtime => this.runtime(t.service.name);

  /** Queue configs carry no service name: the fleet keys queues by `consumer`. */
  queueSourceFor = (c: QueueConfig): QueueSource => this.queue(c.kind === 'nats' ? c.consumer : JSON.stringify(c));
}
