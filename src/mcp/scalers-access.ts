// What the MCP tools and resources share: the config (read once, at start), one Temporal client,
// connected on first use and again after a failure, and the metric sources. Every Temporal call
// has a deadline, and an unreachable server becomes an UnavailableError that says how to fix it:
// a tool error for the agent, never a crash of the MCP server.
import { isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';
import type { Config } from '../config/load';
import type { ServiceConfig } from '../config/service';
import { connectClient, type ControlClient } from '../control/client';
import { UnavailableError, UsageError } from '../errors';
import { DEFAULT_TEMPORAL_ADDRESS } from '../temporal-connection';
import { closeBuiltInPlugins } from '../plugins';
import { readServiceMetrics, type ServiceMetrics } from '../control/read-metrics';

/** A query waits for a worker to answer it; longer than this means none is there. */
const CALL_DEADLINE_MS = 10_000;
/** gRPC UNAVAILABLE: the server cannot be reached (down, wrong address, network). */
const GRPC_UNAVAILABLE = 14;

export class ScalersAccess {
  private client: Promise<ControlClient> | undefined;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    readonly config: Config,
    /** Overrides temporal.address ($DOCKTOR_TEMPORAL_ADDRESS). */
    private readonly address?: string,
  ) {}

  get temporalAddress(): string {
    return this.address ?? this.config.temporal.address ?? DEFAULT_TEMPORAL_ADDRESS;
  }

  /** The config's service of that name; otherwise a usage error naming the argument. */
  service(name: string): ServiceConfig {
    const s = this.config.services.find((x) => x.name === name);
    if (!s) throw new UsageError(`service: no service "${name}" in ${this.config.file} (services: ${this.config.services.map((x) => x.name).join(', ') || 'none'})`);
    return s;
  }

  /**
   * Every source of `service` read now, as a check reads it (rates from two reads `gapSeconds`
   * apart). One reading at a time, and the plugins are closed after each: a process runtime's pool
   * must not stay with this server, the worker supervises those replicas.
   */
  readMetrics(service: ServiceConfig, gapSeconds: number): Promise<ServiceMetrics> {
    const run = this.reading.then(async () => {
      try {
        const [m] = await readServiceMetrics(this.config, [service], { gapMs: gapSeconds * 1000 });
        return m!;
      } finally {
        await closeBuiltInPlugins();
      }
    });
    this.reading = run.then(() => undefined, () => undefined);
    return run;
  }

  /** Runs `work` with the client, within the deadline; Temporal failures say what to do. */
  async call<T>(work: (c: ControlClient) => Promise<T>): Promise<T> {
    const c = await this.connected();
    try {
      return await c.client.connection.withDeadline(Date.now() + CALL_DEADLINE_MS, () => work(c));
    } catch (e) {
      if (isGrpcDeadlineError(e)) {
        throw new UnavailableError(
          `Temporal at ${this.temporalAddress} did not answer within ${CALL_DEADLINE_MS / 1000} s (${messageOf(e)}); ` +
            `a query needs a running worker: is \`docktor worker\` or \`docktor dev\` running for task queue '${this.config.temporal.task_queue}'?`,
        );
      }
      if (isUnavailable(e)) {
        this.drop();
        throw new UnavailableError(
          `cannot reach Temporal at ${this.temporalAddress} (${messageOf(e)}); is \`docktor dev\` or your Temporal server running? (config: temporal.address)`,
        );
      }
      throw e;
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.then((x) => x.close()).catch(() => undefined);
  }

  private connected(): Promise<ControlClient> {
    if (!this.client) {
      const connecting = connectClient(this.config.temporal, this.address);
      this.client = connecting;
      // A failed connect is not kept: the next call tries again.
      connecting.catch(() => {
        if (this.client === connecting) this.client = undefined;
      });
    }
    return this.client;
  }

  private drop(): void {
    const c = this.client;
    this.client = undefined;
    void c?.then((x) => x.close()).catch(() => undefined);
  }
}

function isUnavailable(e: unknown): boolean {
  for (let cur: unknown = e; cur instanceof Error; cur = cur.cause) {
    if (isGrpcServiceError(cur) && cur.code === GRPC_UNAVAILABLE) return true;
  }
  return false;
}

function messageOf(e: unknown): string {
  const root = (function deepest(x: unknown): unknown {
    return x instanceof Error && x.cause instanceof Error ? deepest(x.cause) : x;
  })(e);
  return root instanceof Error ? root.message : String(root);
}
