// The Temporal surface of a scaler (CONTRACT §3): workflow type and id, signals, queries and
// updates. Shared by the workflow and the client so that names cannot drift apart.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HistoryEntry, ScalerStatus } from './scaler-state';

export const WORKFLOW_TYPE = 'serviceScaler';

export function scalerWorkflowId(project: string, service: string): string {
  return `docktor/${project}/${service}`;
}

export interface PauseArgs {
  reason?: string;
}

export interface OverrideArgs {
  replicas: number;
  duration_seconds?: number;
  reason?: string;
  force?: boolean;
}

export interface HistoryArgs {
  tail?: number;
}

export const pauseSignal = defineSignal<[PauseArgs?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
export const statusQuery = defineQuery<ScalerStatus>('status');
export const historyQuery = defineQuery<HistoryEntry[], [HistoryArgs?]>('history');
/** Returns the status after the override took effect. */
export const overrideUpdate = defineUpdate<ScalerStatus, [OverrideArgs]>('override');
/** Takes a service config as in the file; returns the status under the new config. */
export const setConfigUpdate = defineUpdate<ScalerStatus, [unknown]>('set_config');
