// The Temporal surface of a scaler (CONTRACT §3): workflow type and id, signals, queries and
// updates. Shared by the workflow and the client so that names cannot drift apart.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HistoryArgs, OverrideArgs, PauseArgs, ScalerStatus, TimedEntry } from '../model/scaler-state';

export const WORKFLOW_TYPE = 'serviceScaler';

export function scalerWorkflowId(project: string, service: string): string {
  return `docktor/${project}/${service}`;
}

export const pauseSignal = defineSignal<[PauseArgs?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const statusQuery = defineQuery<ScalerStatus>('status');
/** Entries with their ISO times first (`at_iso`, `last_at_iso`), then as CONTRACT §4/§6 describe them. */
export const historyQuery = defineQuery<TimedEntry[], [HistoryArgs?]>('history');
/** Returns the status after the override took effect. */
export const overrideUpdate = defineUpdate<ScalerStatus, [OverrideArgs]>('override');
/**
 * Takes a service config as in the file, and optionally why (`docktor tune --apply`: the
 * recommendation and its figures), which the history records as a hold entry; returns the status
 * under the new config.
 */
export const setConfigUpdate = defineUpdate<ScalerStatus, [unknown, SetConfigArgs?]>('set_config');

export interface SetConfigArgs {
  /** Recorded in the history with the change (at most SET_CONFIG_REASON_MAX characters). */
  reason?: string;
}
export const SET_CONFIG_REASON_MAX = 2000;

/** What `refresh` returns: the status and the newest history entries, both as of the last check. */
export interface Present {
  status: ScalerStatus;
  history: TimedEntry[];
}

/**
 * Records the checks the running watch has folded so far (it hands them over at once; no check is
 * run early) and returns the status and the newest `tail` entries: what `docktor status` and
 * `docktor explain` show, current to the last check that completed.
 */
export const refreshUpdate = defineUpdate<Present, [HistoryArgs]>('refresh');
