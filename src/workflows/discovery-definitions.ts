// The Temporal surface of a discovery (docs/discovery.md): workflow type and id, query, update.
// Its state and the listing's shapes are in src/model/discovery.ts.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DiscoveryStatus, SetDiscoveryArgs } from '../model/discovery';

export const DISCOVERY_WORKFLOW_TYPE = 'queueDiscovery';

export function discoveryWorkflowId(project: string, key: string): string {
  return `docktor-discovery/${project}/${key}`;
}

export const discoveryStatusQuery = defineQuery<DiscoveryStatus>('status');
/** Replaces the entry (as `docktor up` sends it) and lists again at once. */
export const setDiscoveryUpdate = defineUpdate<DiscoveryStatus, [SetDiscoveryArgs]>('set_config');

