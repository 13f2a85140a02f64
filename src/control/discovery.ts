// `docktor up/down/status` for `discover:` entries: one `queueDiscovery` workflow per entry, and
// the scalers they started (docs/discovery.md).
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/load';
import { ServiceSchema } from '../config/service';
import { discoveredServiceInput, type DiscoverConfig } from '../config/discovered-service';
import { queueKey } from '../discovery/queue-key';
import { redactSecrets } from '../sources/secrets';
import { setConfigUpdate, statusQuery } from '../workflows/definitions';
import type { DiscoveryInput, DiscoveryStatus, Reserved } from '../model/discovery';
import { DISCOVERY_WORKFLOW_TYPE, discoveryStatusQuery, discoveryWorkflowId, setDiscoveryUpdate } from '../workflows/discovery-definitions';
import { DocktorProject } from '../workflows/search-attributes';
import { hasSearchAttributes, isRunning, type ControlClient } from './client';

/** The names and queues `services:` scales: discovery leaves them alone. */
export function reservedBy(config: Config): Reserved {
  return {
    names: config.services.map((s) => s.name),
    queues: config.services.flatMap((s) => (s.queue ? [queueKey(redactSecrets(s.queue))] : [])),
  };
}

export type DiscoveryUpOutcome = 'started' | 'updated' | 'unchanged';

/**
 * One running discovery per entry: starts missing ones; a changed entry is sent with `set_config`,
 * and the scalers it runs get their new service config.
 */
export async function upDiscovery(c: ControlClient, config: Config): Promise<Array<{ key: string; outcome: DiscoveryUpOutcome; workflowId: string; scalers_updated: number }>> {
  if (!config.discover?.length) return [];
  const withAttributes = await hasSearchAttributes(c);
  const reserved = reservedBy(config);
  return Promise.all(
    (config.discover ?? []).map(redactSecrets).map(async (entry) => {
      const workflowId = discoveryWorkflowId(config.project, entry.key);
      const h = c.client.workflow.getHandle(workflowId);
      if (await isRunning(h)) {
        const before = await h.query(discoveryStatusQuery);
        if (isDeepStrictEqual(before.entry, entry) && isDeepStrictEqual(before.reserved, reserved)) return { key: entry.key, outcome: 'unchanged' as const, workflowId, scalers_updated: 0 };
        const after = await h.executeUpdate(setDiscoveryUpdate, { args: [{ entry, reserved }] });
        const scalers_updated = await updateScalers(c, entry, after);
        return { key: entry.key, outcome: 'updated' as const, workflowId, scalers_updated };
      }
      const input: DiscoveryInput = {
        project: config.project,
        ...(config.compose_file ? { compose_file: config.compose_file } : {}),
        entry,
        reserved,
        search_attributes: withAttributes,
      };
      await c.client.workflow.start(DISCOVERY_WORKFLOW_TYPE, {
        workflowId,
        taskQueue: c.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `docktor discovery of ${entry.queue.kind} queues matching ${entry.match} for ${config.project}`,
        ...(withAttributes ? { typedSearchAttributes: [{ key: DocktorProject, value: config.project }] } : {}),
      });
      return { key: entry.key, outcome: 'started' as const, workflowId, scalers_updated: 0 };
    }),
  );
}

/** Pushes each running scaler of the discovery its service as the (new) entry generates it. */
async function updateScalers(c: ControlClient, entry: DiscoverConfig, status: DiscoveryStatus): Promise<number> {
  const updated = await Promise.all(
    status.scalers.map(async (s) => {
      const parsed = ServiceSchema.safeParse(discoveredServiceInput(entry, s.queue));
      // A template whose `name` changed names other scalers: those under the old names keep their config.
      if (!parsed.success || parsed.data.name !== s.service) return false;
      const h = c.client.workflow.getHandle(s.workflow_id);
      if (!(await isRunning(h))) return false;
      if (isDeepStrictEqual((await h.query(statusQuery)).config, parsed.data)) return false;
      await h.executeUpdate(setConfigUpdate, { args: [parsed.data] });
      return true;
    }),
  );
  return updated.filter(Boolean).length;
}

/** Cancels the discoveries; each stops the scalers it started (their replicas stay as they are). */
export async function downDiscovery(c: ControlClient, config: Config): Promise<Array<{ key: string; stopped: boolean; scalers: number }>> {
  return Promise.all(
    (config.discover ?? []).map(async (d) => {
      const h = c.client.workflow.getHandle(discoveryWorkflowId(config.project, d.key));
      if (!(await isRunning(h))) return { key: d.key, stopped: false, scalers: 0 };
      const scalers = (await h.query(discoveryStatusQuery)).scalers;
      await h.cancel();
      await h.result().catch(() => undefined);
      // The discovery asked each scaler to stop; wait until they have.
      await Promise.all(scalers.map((s) => c.client.workflow.getHandle(s.workflow_id).result().catch(() => undefined)));
      return { key: d.key, stopped: true, scalers: scalers.length };
    }),
  );
}

/** The status of each running discovery of the config (entries whose discovery is not running are left out). */
export async function discoveryStatuses(c: ControlClient, config: Config): Promise<DiscoveryStatus[]> {
  const all = await Promise.all(
    (config.discover ?? []).map(async (d) => {
      const h = c.client.workflow.getHandle(discoveryWorkflowId(config.project, d.key));
      return (await isRunning(h)) ? h.query(discoveryStatusQuery) : undefined;
    }),
  );
  return all.filter((s): s is DiscoveryStatus => s !== undefined);
}

/** A scaler a `discover:` entry started: its service name, workflow, queue and discovery. */
export interface DiscoveredRef {
  service: string;
  workflow_id: string;
  queue: string;
  discovery: string;
}

/** The scalers the config's running discoveries have started. */
export async function discoveredScalers(c: ControlClient, config: Config): Promise<DiscoveredRef[]> {
  if (!config.discover?.length) return [];
  return (await discoveryStatuses(c, config)).flatMap((d) => d.scalers.map((s) => ({ service: s.service, workflow_id: s.workflow_id, queue: s.queue, discovery: d.key })));
}
