// A Temporal client for the control commands, and what it can tell about the namespace.
import { Client, Connection, WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { dataConverterFor } from '../codec/data-converter';
import type { TemporalConfig } from '../config/file';
import { temporal } from '@temporalio/proto';
import { UnavailableError } from '../errors';
import { LIVE_POLLER_SECONDS, hostTaskQueue } from '../model/host-routing';
import { connectOptions } from '../temporal-connection';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

export interface ControlClient {
  client: Client;
  namespace: string;
  taskQueue: string;
  close(): Promise<void>;
}

/** `env` holds temporal.encryption.key_env's variable (default: this process's environment). */
export async function connectClient(t: TemporalConfig, address?: string, env: NodeJS.ProcessEnv = process.env): Promise<ControlClient> {
  const opts = connectOptions(t, address);
  // Before connecting: a bad key is bad input (exit 2) whether or not Temporal is up.
  const dataConverter = dataConverterFor(t, env);
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...opts, connectTimeout: '5s' });
  } catch (e) {
    throw new UnavailableError(`cannot reach Temporal at ${opts.address} (${(e as Error).message}); is \`docktor dev\` or your Temporal server running? (config: temporal.address)`);
  }
  return {
    client: new Client({ connection, namespace: t.namespace, dataConverter }),
    namespace: t.namespace,
    taskQueue: t.task_queue,
    close: () => connection.close(),
  };
}

/** Whether the namespace has every Docktor* search attribute, so workflows may set them. */
export async function hasSearchAttributes(c: ControlClient): Promise<boolean> {
  try {
    const res = await c.client.connection.operatorService.listSearchAttributes({ namespace: c.namespace });
    const custom = res.customAttributes ?? {};
    return SEARCH_ATTRIBUTES.every((k) => k.name in custom);
  } catch {
    return false;
  }
}

/** Whether the workflow's latest run is running (false when there is none). */
export async function isRunning(h: WorkflowHandle): Promise<boolean> {
  try {
    return (await h.describe()).status.name === 'RUNNING';
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) return false;
    throw e;
  }
}

/**
 * How many live workers poll `host`'s task queue (src/model/host-routing.ts): workers started
 * with `--host` that name it. Null when Temporal cannot tell.
 */
export async function hostWorkers(c: ControlClient, host: string, now = Date.now()): Promise<number | null> {
  try {
    const res = await c.client.workflowService.describeTaskQueue({
      namespace: c.namespace,
      taskQueue: { name: hostTaskQueue(c.taskQueue, host), kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
    const live = (res.pollers ?? []).filter((p) => p.lastAccessTime?.seconds != null && now - Number(p.lastAccessTime.seconds) * 1000 < LIVE_POLLER_SECONDS * 1000);
    return new Set(live.map((p) => p.identity)).size;
  } catch {
    return null;
  }
}
