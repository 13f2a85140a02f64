// `queueDiscovery`: one long-lived workflow per `discover:` entry. Every `interval` it lists the
// source's queues (an activity), starts a `serviceScaler` child for each new matching queue, and
// stops (cancels) the scaler of a queue that has been gone for `grace_period`; replicas stay as
// they are. Scalers are children with ABANDON policies: they outlive continue-as-new and a
// discovery that is terminated, and are stopped only by this workflow (queue gone, or the
// discovery cancelled by `docktor down`). Their ids are the scalers' usual ids, deterministic from
// the queue, so Temporal itself refuses a second scaler for one queue.
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { DiscoveryActivities } from '../activities/discovery-activities';
import type { ServiceConfig } from '../config/service';
import { WORKFLOW_TYPE, scalerWorkflowId } from './definitions';
import { discoveryStatusQuery, setDiscoveryUpdate } from './discovery-definitions';
import {
  initialDiscoveryState,
  reconcile,
  type DiscoveredScaler,
  type DiscoveryInput,
  type DiscoveryStatus,
  type ListResult,
} from '../model/discovery';
import type { ScalerInput } from '../model/scaler-state';
import { DocktorProject, DocktorService } from './search-attributes';

const { listDiscoveredQueues } = proxyActivities<DiscoveryActivities>({
  summary: 'list queues',
  startToCloseTimeout: '60s',
  retry: { initialInterval: '1s', maximumAttempts: 3, nonRetryableErrorTypes: ['ConfigurationError'] },
});

function failureMessage(e: unknown): string {
  return e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
}

export async function queueDiscovery(input: DiscoveryInput): Promise<void> {
  let { entry, reserved } = input;
  const state = input.carried ?? initialDiscoveryState();
  let wake = false;
  const nowS = () => Date.now() / 1000;

  const status = (): DiscoveryStatus => ({
    ...state,
    entry,
    reserved,
    project: input.project,
    key: entry.key,
    workflow_id: workflowInfo().workflowId,
    kind: entry.queue.kind,
    match: entry.match,
    interval: entry.interval,
    grace_period: entry.grace_period,
  });

  setHandler(discoveryStatusQuery, status, { description: 'The discovered scalers, skipped queues and the last listing.' });
  setHandler(
    setDiscoveryUpdate,
    (args) => {
      entry = args.entry;
      reserved = args.reserved;
      wake = true;
      return status();
    },
    {
      description: 'Replace the discover entry (as docktor up sends it); lists again at once.',
      validator: (args) => {
        if (args?.entry?.key !== entry.key) throw new Error(`entry.key: is "${String(args?.entry?.key)}", this discovery is for "${entry.key}"`);
      },
    },
  );

  const publish = () => {
    const lines = [
      `**${state.scalers.length}** scaler(s) for ${entry.queue.kind} queues matching \`${entry.match}\``,
      ...state.scalers.map((s) => `- ${s.queue} → ${s.service}${s.missing_since !== null ? ' (queue gone)' : ''}`),
      ...(state.last_error ? [`last error: ${state.last_error}`] : []),
    ];
    setCurrentDetails(lines.join('\n'));
  };

  async function start(queue: string, service: ServiceConfig): Promise<DiscoveredScaler | undefined> {
    const workflowId = scalerWorkflowId(input.project, service.name);
    const scaler: ScalerInput = {
      project: input.project,
      ...(input.compose_file ? { compose_file: input.compose_file } : {}),
      service,
      search_attributes: input.search_attributes,
      reads_by_signal: true,
    };
    const found = { queue, service: service.name, workflow_id: workflowId, since: nowS(), missing_since: null };
    try {
      const child = await startChild(WORKFLOW_TYPE, {
        workflowId,
        args: [scaler],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        staticSummary: `docktor scaler for ${input.project}/${service.name} (discovered: ${entry.queue.kind} queue ${queue})`,
        ...(input.search_attributes
          ? { typedSearchAttributes: [{ key: DocktorService, value: service.name }, { key: DocktorProject, value: input.project }] }
          : {}),
      });
      // Its end (stopped here or by hand) is not this workflow's concern.
      child.result().catch(() => undefined);
      return found;
    } catch (e) {
      // The scaler of this queue runs already (a discovery before a restart started it): it is ours.
      if (e instanceof WorkflowExecutionAlreadyStartedError) return found;
      state.last_error = `start ${workflowId}: ${failureMessage(e)}`;
      return undefined;
    }
  }

  async function stop(s: DiscoveredScaler): Promise<void> {
    try {
      await getExternalWorkflowHandle(s.workflow_id).cancel();
      log.info('stopped the scaler of a queue that is gone', { queue: s.queue, service: s.service });
    } catch (e) {
      // Not running any more: nothing to stop.
      log.info('scaler already stopped', { workflow_id: s.workflow_id, error: failureMessage(e) });
    }
  }

  async function listing(): Promise<void> {
    let listed: ListResult;
    try {
      listed = await listDiscoveredQueues({ project: input.project, entry, reserved, known: state.scalers.map((s) => s.queue) });
    } catch (e) {
      if (isCancellation(e)) throw e;
      // A failed listing changes nothing: a queue is never taken for gone because its server is.
      state.last_error = `list: ${failureMessage(e)}`;
      return;
    }
    const at = nowS();
    state.last_error = null;
    state.listings += 1;
    state.last_listed_at = at;
    state.matched = listed.queues.length;
    state.skipped = listed.skipped;
    const released = new Set(listed.released);
    const retired = new Set(listed.retired);
    const { keep, stop: due } = reconcile(state.scalers.filter((s) => !released.has(s.queue)), new Set(listed.queues), at, entry.grace_period);
    await Promise.all([...due, ...keep.filter((s) => retired.has(s.queue))].map(stop));
    const started = await Promise.all(listed.added.map(({ queue, service }) => start(queue, service)));
    state.scalers = [...keep.filter((s) => !retired.has(s.queue)), ...started.filter((s): s is DiscoveredScaler => s !== undefined)].sort((a, b) => a.queue.localeCompare(b.queue));
  }

  try {
    for (;;) {
      await listing();
      publish();
      if (workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof queueDiscovery>({ ...input, entry, reserved, carried: state });
      }
      state.next_listing_at = nowS() + entry.interval;
      wake = false;
      await condition(() => wake, Math.max(1, Math.round(entry.interval * 1000)), { summary: 'wait for the next listing' });
    }
  } catch (e) {
    if (!isCancellation(e)) throw e;
    // `docktor down`: the scalers of this discovery stop with it (their replicas stay).
    await CancellationScope.nonCancellable(() => Promise.all(state.scalers.map(stop)));
    log.info('discovery stopped', { key: entry.key, scalers: state.scalers.length });
  }
}
