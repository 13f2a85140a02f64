// One check of a scaler and one apply, as the workflow and its activities exchange them: the
// service a check is for, what collecting found, the check's result and an apply's. Types only,
// shared from below by the workflow (its sandbox included), the activities and the readers.
import type { ServiceConfig } from '../config/service';
import type { Decision } from '../decide/index';
import type { DecisionInput, EngineState } from '../decide/input';
import type { Json, Observations } from '../observations';
import type { ScaleResult } from '../runtimes/runtime';

export interface ServiceRef {
  project: string;
  compose_file?: string;
  service: ServiceConfig;
}

export type SourceName = 'queue' | 'runtime' | 'check' | 'module' | 'host' | `external.${string}`;

export interface SourceFailure {
  /**
   * `check`: the check activity itself failed (a bug or a stuck worker), after its retry.
   * `module`: a custom strategy or policy module failed (src/extend); the check held.
   * `host`: no worker of the service's `runtime.host` took the check (src/model/host-routing.ts).
   */
  source: SourceName;
  error: string;
  /** The config disagrees with the live system (retrying will not help). */
  configuration: boolean;
}

export interface CollectResult {
  observations: Observations;
  queue_state: Json | null;
  failures: SourceFailure[];
}

export interface CheckInput extends ServiceRef {
  /** The check's time (workflow time, unix seconds). */
  now: number;
  queue_state: Json | null;
  /** The last known replica count: used when the runtime cannot be read. */
  last_replicas: number | null;
  engine?: EngineState;
  paused: boolean;
  override?: DecisionInput['override'];
  /** Consecutive earlier checks at which a metric source failed. */
  metric_failures: number;
}

export interface CheckResult extends CollectResult {
  /** The count decided from: observed, else the last known; null when neither exists. */
  replicas: number | null;
  /** Null when the replica count is unknown: there is nothing to decide from. */
  decision: Decision | null;
  /** Consecutive checks at which a metric source failed, this one included. */
  metric_failures: number;
  /**
   * The worker's clock (unix seconds) when the check finished. Workflow time stands still during
   * a workflow task, so the workflow times its next check from this (recorded, so replay-safe).
   */
  finished_at: number;
}

export interface ApplyInput extends ServiceRef {
  replicas: number;
  /** The apply's fence (EnsureOptions.seq): the workflow time, ms, it was scheduled at. Absent in older histories. */
  seq?: number;
}

export interface ApplyResult extends ScaleResult {
  /** The worker's clock (unix seconds) when the count was reached: cooldowns run from here. */
  finished_at: number;
}
