// The Temporal surface of a scaler (CONTRACT §3, and the `refresh` read): workflow type and id,
// signals, queries and updates. Shared by the workflow and the client so that names cannot drift apart.
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

/** What a read returns: the status and the newest history entries, both as of the last check. */
export interface Present {
  status: ScalerStatus;
  history: TimedEntry[];
}

/**
 * Reads before they were a signal (see refreshSignal). Only runs started before that have it (a
 * replay of their history needs it: ScalerInput.reads_by_signal); on the others an older
 * client's read is rejected and falls back to the queries.
 */
export const legacyRefreshUpdate = defineUpdate<Present, [HistoryArgs]>('refresh');

/** A read's id: the client makes one per read, and the `present` query says when it is answered. */
export interface RefreshArgs {
  id: string;
}

/**
 * Records the checks the running watch has folded so far (it hands them over at once; no check is
 * run early), then marks the read `id` answered. A signal, not an update: signals are history
 * events, which a replay meets in the order they were written, where an update accepted in the
 * workflow task that also took a watch's completion was replayed before it (a nondeterminism
 * error that stopped the scaler; test/integration/refresh-replay.test.ts).
 */
export const refreshSignal = defineSignal<[RefreshArgs]>('refresh');

export interface PresentArgs extends HistoryArgs {
  /** A `refresh` read's id: the answer is null until that read is answered. */
  id?: string;
}

/**
 * What `docktor status` and `docktor explain` show: the status and the newest `tail` entries,
 * current to the last check that completed; with `id`, null until that `refresh` is answered.
 */
export const presentQuery = defineQuery<Present | null, [PresentArgs?]>('present');

/** How many answered read ids the workflow keeps: a reader polls for its id within seconds. */
export const ANSWERED_READS_KEPT = 16;
/** Longer ids are cut to this (a signal cannot be refused; this bounds what the workflow keeps). */
export const READ_ID_MAX = 64;
