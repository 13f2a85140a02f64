// The plugin interface of a runtime, the actuator (cf. Nomad's target plugins): it counts and
// measures a service's replicas and makes their number N. `ensure` is idempotent: ensuring N
// twice leaves N, so a retried activity never scales twice.
import type { RuntimeConfig } from '../config/runtime';
import type { ServiceConfig } from '../config/service';
import type { CheckResult, Observations } from '../observations';

export interface RuntimeTarget<C extends RuntimeConfig = RuntimeConfig> {
  /** Compose project (container labels, Swarm stack prefix, process state file name). */
  project: string;
  /** Absolute path of the compose file, when configured. */
  compose_file?: string;
  service: ServiceConfig;
  runtime: C;
}

export interface ScaleResult {
  before: number;
  after: number;
  /** Human summary, e.g. `started shop-worker-3, shop-worker-4`. */
  detail: string;
}

export interface Runtime<C extends RuntimeConfig = RuntimeConfig> {
  readonly kind: C['kind'];
  /**
   * `replicas.current`, `replicas.ready` and, where the runtime can measure them,
   * `cpu.avg_pct`, `cpu.max_pct` (% of one core, as `docker stats`), `mem.avg_pct`, `mem.avg_mb`.
   */
  observe(target: RuntimeTarget<C>): Promise<Observations>;
  /**
   * Makes the number of replicas `replicas`; graceful on the way down. A runtime that starts
   * replicas one by one stops early when `signal` aborts (the apply was cancelled).
   */
  ensure(target: RuntimeTarget<C>, replicas: number, signal?: AbortSignal): Promise<ScaleResult>;
  /** Live checks for `config validate`; never throws. */
  check(target: RuntimeTarget<C>): Promise<CheckResult[]>;
  /** Releases connections and, for runtimes that own processes, nothing else: replicas stay. */
  close(): Promise<void>;
}
