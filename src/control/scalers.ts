// The control operations behind `docktor up/down/status/explain/pause/resume/override`, as
// Temporal starts, cancels, queries, signals and updates of the scaler workflows.
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/load';
import type { ServiceConfig } from '../config/service';
import { OperationError, UsageError } from '../errors';
import { WORKFLOW_TYPE, historyQuery, overrideUpdate, pauseSignal, presentQuery, refreshSignal, resumeSignal, scalerWorkflowId, setConfigUpdate, statusQuery, type Present, type SetConfigArgs } from '../workflows/definitions';
import type { OverrideArgs } from '../model/scaler-state';
import { historyWithWatch, withWatchProgress, type RunningWatch } from '../model/history-fold';
import type { ScalerInput, ScalerStatus, TimedEntry } from '../model/scaler-state';
import { DocktorProject, DocktorService } from '../workflows/search-attributes';
import { redactSecrets } from '../sources/secrets';
import { hasSearchAttributes, hostWorkers, isRunning, type ControlClient } from './client';
import { discoveredScalers } from './discovery';
import { staticDetailsMarkdown } from './static-details';

/** The services named (all when none), each checked against the config. */
export function selectServices(config: Config, names: string[] = []): ServiceConfig[] {
  if (names.length === 0) return config.services;
  return names.map((n) => {
    const s = config.services.find((x) => x.name === n);
    if (!s) throw new UsageError(`unknown service '${n}': ${config.file} defines ${config.services.map((x) => x.name).join(', ')}`);
    return s;
  });
}

function handleOf(c: ControlClient, config: Config, service: string): WorkflowHandle {
  return c.client.workflow.getHandle(scalerWorkflowId(config.project, service));
}

async function runningHandle(c: ControlClient, config: Config, service: string): Promise<WorkflowHandle> {
  if (!config.services.some((s) => s.name === service)) {
    const found = (await discoveredScalers(c, config)).find((d) => d.service === service);
    if (found) return c.client.workflow.getHandle(found.workflow_id);
    selectServices(config, [service]);
  }
  const h = handleOf(c, config, service);
  if (!(await isRunning(h))) {
    throw new OperationError(`the scaler of '${service}' is not running (workflow ${h.workflowId}); start it with \`docktor up ${service}\``);
  }
  return h;
}

export type UpOutcome = 'started' | 'updated' | 'unchanged';

/** One running scaler per service: starts missing ones, pushes changed config through `set_config`. */
export async function up(c: ControlClient, config: Config, names?: string[]): Promise<Array<{ service: string; outcome: UpOutcome; workflowId: string }>> {
  const services = selectServices(config, names);
  const withAttributes = await hasSearchAttributes(c);
  return Promise.all(
    // Scalers get their config with every secret masked, so no secret is in workflow history;
    // the worker restores them from its own copy of the config (src/sources/secrets.ts).
    services.map(redactSecrets).map(async (service) => {
      const workflowId = scalerWorkflowId(config.project, service.name);
      const h = c.client.workflow.getHandle(workflowId);
      if (await isRunning(h)) {
        const status = await h.query(statusQuery);
        if (isDeepStrictEqual(status.config, service)) return { service: service.name, outcome: 'unchanged' as const, workflowId };
        await h.executeUpdate(setConfigUpdate, { args: [service] });
        return { service: service.name, outcome: 'updated' as const, workflowId };
      }
      const input: ScalerInput = {
        project: config.project,
        ...(config.compose_file ? { compose_file: config.compose_file } : {}),
        service,
        search_attributes: withAttributes,
        reads_by_signal: true,
      };
      await c.client.workflow.start(WORKFLOW_TYPE, {
        workflowId,
        taskQueue: c.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `docktor scaler for ${config.project}/${service.name}`,
        staticDetails: staticDetailsMarkdown(config.project, service),
        ...(withAttributes
          ? { typedSearchAttributes: [{ key: DocktorService, value: service.name }, { key: DocktorProject, value: config.project }] }
          : {}),
      });
      return { service: service.name, outcome: 'started' as const, workflowId };
    }),
  );
}

/** Cancels the scalers; the workflow ends cleanly and replicas stay as they are. */
export async function down(c: ControlClient, config: Config, names?: string[]): Promise<Array<{ service: string; stopped: boolean }>> {
  return Promise.all(
    selectServices(config, names).map(async (s) => {
      const h = handleOf(c, config, s.name);
      if (!(await isRunning(h))) return { service: s.name, stopped: false };
      await h.cancel();
      await h.result().catch(() => undefined);
      return { service: s.name, stopped: true };
    }),
  );
}

/** `discovered`: the discover entry (its name or index) and queue, for a scaler discovery started. */
export type ServiceStatus = ({ service: string; running: false } | ({ running: true } & ScalerStatus)) & { discovered?: { discovery: string; queue: string } };

/**
 * A read waits this long for its `refresh` to be answered (a worker records the running watch's
 * checks and answers within a second); without an answer (no worker running, a workflow started
 * by an older docktor) it reads the queries and the running watch's last heartbeat instead.
 */
const REFRESH_TIMEOUT_MS = 5000;
/**
 * How long a read waits before it asks again whether its `refresh` is answered. Each query is a
 * Temporal action, but most reads need one: the server holds a query until the workflow task in
 * flight (the one taking the signal) is done, and a watch hands its checks over within it.
 */
const REFRESH_POLL_MS = 200;

/**
 * The running watch's progress, from its last heartbeat (at most a minute old): the fallback of
 * a read that no worker answers. Null when none.
 */
async function runningWatch(c: ControlClient, h: WorkflowHandle): Promise<RunningWatch | null> {
  // A watch the workflow abandoned (its worker gone) stays pending, cancel requested, until it times out: not it.
  const watch = (await h.describe()).raw.pendingActivities?.find(
    (a) => a.activityType?.name === 'watchService' && a.state !== temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED,
  );
  const payloads = watch?.heartbeatDetails?.payloads;
  if (!payloads?.length) return null;
  try {
    return await decodeFromPayloadsAtIndex<RunningWatch>(c.client.options.loadedDataConverter, 0, payloads);
  } catch {
    return null;
  }
}

/**
 * Has the workflow record what the running watch has folded (the `refresh` signal), then asks the
 * `present` query until it says this read is answered: null when it does not say so in time.
 */
async function refreshed(c: ControlClient, h: WorkflowHandle, tail: number | undefined): Promise<Present | null> {
  const deadline = Date.now() + REFRESH_TIMEOUT_MS;
  const id = randomUUID();
  return c.client.connection.withDeadline(deadline, async () => {
    await h.signal(refreshSignal, { id });
    for (;;) {
      const present = await h.query(presentQuery, tail === undefined ? { id } : { id, tail });
      if (present) return present;
      if (Date.now() + REFRESH_POLL_MS >= deadline) return null;
      await sleep(REFRESH_POLL_MS);
    }
  });
}

/**
 * The scaler's status and newest history entries, current to its last completed check
 * (docs/architecture.md, "Reading the present"). Its fallback, two reads of queries plus the
 * watch's heartbeat, adds the watch's checks only while the workflow has not recorded them (the
 * status is read after the history, so a watch that ended in between is not counted twice).
 */
export async function readPresent(c: ControlClient, h: WorkflowHandle, tail: number | undefined): Promise<Present> {
  const answer = await refreshed(c, h, tail).catch(() => null);
  if (answer) return answer;
  const history = await h.query(historyQuery, tail === undefined ? {} : { tail });
  const [st, watch] = await Promise.all([h.query(statusQuery), runningWatch(c, h)]);
  if (!watch) return { status: st, history };
  const merged = historyWithWatch(history, st.checks, watch);
  return { status: withWatchProgress(st, watch), history: tail !== undefined && tail > 0 ? merged.slice(-tail) : merged };
}

/** The status as of the last check; on a host (`runtime.host`), with how many workers serve it now. */
async function currentStatus(c: ControlClient, h: WorkflowHandle): Promise<ScalerStatus> {
  const st = (await readPresent(c, h, 0)).status;
  return st.host ? { ...st, host: { ...st.host, workers: await hostWorkers(c, st.host.name) } } : st;
}

export async function status(c: ControlClient, config: Config, name?: string): Promise<ServiceStatus[]> {
  if (name) return [{ running: true, ...(await currentStatus(c, await runningHandle(c, config, name))) }];
  const own = config.services.map(async (s): Promise<ServiceStatus> => {
    const h = handleOf(c, config, s.name);
    return (await isRunning(h)) ? { running: true, ...(await currentStatus(c, h)) } : { service: s.name, running: false };
  });
  const discovered = (await discoveredScalers(c, config)).map(async (d): Promise<ServiceStatus> => {
    const h = c.client.workflow.getHandle(d.workflow_id);
    const discovered = { discovery: d.discovery, queue: d.queue };
    return (await isRunning(h)) ? { running: true, ...(await currentStatus(c, h)), discovered } : { service: d.service, running: false, discovered };
  });
  return Promise.all([...own, ...discovered]);
}

export type ExplainedEntry = TimedEntry & { service: string };

/** The last `tail` decisions of each (running) service, discovered ones too, merged in time order. */
export async function explain(c: ControlClient, config: Config, name: string | undefined, tail: number): Promise<ExplainedEntry[]> {
  const discovered = name ? [] : await discoveredScalers(c, config);
  const services = name ? [name] : [...config.services.map((s) => s.name), ...discovered.map((d) => d.service)];
  const per = await Promise.all(
    services.map(async (service) => {
      const found = discovered.find((d) => d.service === service);
      const h = name ? await runningHandle(c, config, service) : found ? c.client.workflow.getHandle(found.workflow_id) : handleOf(c, config, service);
      if (!name && !(await isRunning(h))) return [];
      return (await readPresent(c, h, tail)).history.map((e) => ({ service, ...e }));
    }),
  );
  return per.flat().sort((a, b) => a.at - b.at);
}

export async function pause(c: ControlClient, config: Config, service: string, reason?: string): Promise<void> {
  await (await runningHandle(c, config, service)).signal(pauseSignal, reason ? { reason } : {});
}

export async function resume(c: ControlClient, config: Config, service: string): Promise<void> {
  await (await runningHandle(c, config, service)).signal(resumeSignal);
}

export async function override(c: ControlClient, config: Config, service: string, args: OverrideArgs): Promise<ScalerStatus> {
  const h = await runningHandle(c, config, service);
  try {
    return await h.executeUpdate(overrideUpdate, { args: [args] });
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) throw new UsageError(`override rejected: ${e.cause?.message ?? e.message}`);
    throw e;
  }
}

/**
 * Pushes one service's config to its running scaler (the validated `set_config` update), with why
 * (recorded in its history): `docktor tune --apply`. The config's secrets must already be masked.
 */
export async function setConfig(c: ControlClient, config: Config, service: string, serviceConfig: ServiceConfig, args: SetConfigArgs = {}): Promise<ScalerStatus> {
  const h = await runningHandle(c, config, service);
  try {
    return await h.executeUpdate(setConfigUpdate, { args: [serviceConfig, args] });
  } catch (e) {
    if (e instanceof WorkflowUpdateFailedError) throw new UsageError(`set_config rejected: ${e.cause?.message ?? e.message}`);
    throw e;
  }
}

/** Throws the usual OperationError when the service's scaler is not running (before a long job that ends in an update). */
export async function requireRunning(c: ControlClient, config: Config, service: string): Promise<void> {
  await runningHandle(c, config, service);
}
