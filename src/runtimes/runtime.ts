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

/** How an apply asks for a count (src/activities/scaler-activities.ts applyReplicas). */
export interface EnsureOptions {
  /** Stops a runtime that starts replicas one by one early (the apply was cancelled). */
  signal?: AbortSignal;
  /**
   * The apply's fence: the workflow time (ms) it was scheduled at, so it grows with every apply
   * of a service, across workflow runs. A runtime that can (process) refuses an ensure older than
   * the newest it has seen and stops one that a newer ensure supersedes, so an apply resumed
   * late (a worker that was frozen) never acts after its successor. Absent: not fenced.
   */
  seq?: number;
}

export interface Runtime<C extends RuntimeConfig = RuntimeConfig> {
  readonly kind: C['kind'];
  /**
   * `replicas.current`, `replicas.ready` and, where the runtime can measure them,
   * `cpu.avg_pct`, `cpu.max_pct` (% of one core, as `docker stats`), `mem.avg_pct`, `mem.avg_mb`.
   */
  observe(target: RuntimeTarget<C>): Promise<Observations>;
  /**
   * Makes the number of replicas `replicas`; graceful on the way down. See EnsureOptions for
   * the cancellation signal and the fence.
   */
  ensure(target: RuntimeTarget<C>, replicas: number, options?: EnsureOptions): Promise<ScaleResult>;
  /** Live checks for `config validate`; never throws. */
  check(target: RuntimeTarget<C>): Promise<CheckResult[]>;
  /** Releases connections and, for runtimes that own processes, nothing else: replicas stay. */
  close(): Promise<void>;
}
