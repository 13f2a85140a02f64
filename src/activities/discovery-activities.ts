// The activity of a discovery: list the source's queues, keep those matching the entry's glob,
// and generate (and validate) the services of new ones. A thin shell over the queue source's
// optional `listQueues` and the pure src/config/discovered-service.ts.
import { ApplicationFailure } from '@temporalio/common';
import type { QueueConfig } from '../config/queue';
import { toFieldIssues } from '../config/issues';
import { ServiceSchema } from '../config/service';
import { discoveredServiceInput, matchesGlob } from '../config/discovered-service';
import { queueKey } from '../discovery/queue-key';
import { ConfigurationError } from '../errors';
import type { PluginLookup } from '../sources/collect';
import { withDeadline } from '../sources/failures';
import { SecretStore } from '../sources/secrets';
import type { ListInput, ListResult, SkippedQueue } from '../model/discovery';

const LIST_TIMEOUT_MS = 30_000;

export function createDiscoveryActivities(plugins: Pick<PluginLookup, 'queueSourceFor'>, o: { secrets?: SecretStore } = {}) {
  const secrets = o.secrets ?? new SecretStore();
  return {
    async listDiscoveredQueues(input: ListInput): Promise<ListResult> {
      try {
        return await list(plugins, secrets, input);
      } catch (e) {
        if (e instanceof ConfigurationError) throw ApplicationFailure.nonRetryable(e.message, 'ConfigurationError');
        throw e;
      }
    },
  };
}

async function list(plugins: Pick<PluginLookup, 'queueSourceFor'>, secrets: SecretStore, input: ListInput): Promise<ListResult> {
  // The masked entry generates the services (scalers carry masks); the restored one lists.
  const { entry, reserved } = input;
  const listing = secrets.restoreDiscovery(input.project, entry).queue;
  const source = plugins.queueSourceFor(listing as unknown as QueueConfig);
  if (!source.listQueues) throw new ConfigurationError(`queue kind ${listing.kind} cannot list its queues: discovery supports nats, redis and rabbitmq`, 'queue.kind');
  const all = await withDeadline(source.listQueues(listing as never), LIST_TIMEOUT_MS, `listing the ${listing.kind} queues`);
  const known = new Set(input.known);
  const names = new Set(reserved.names);
  const queues = new Set(reserved.queues);
  const result: ListResult = { queues: [], skipped: [], added: [], released: [], retired: [] };
  for (const queue of all.filter((q) => matchesGlob(entry.match, q))) {
    const raw = discoveredServiceInput(entry, queue);
    const skip = (reason: string) => result.skipped.push({ queue, reason } satisfies SkippedQueue);
    const name = raw.name as string;
    if (names.has(name)) {
      // Same workflow id: the scaler is now the one `services:` runs; forget it, never stop it.
      if (known.has(queue)) result.released.push(queue);
      skip(`services: has a service named '${name}' (docktor.yaml wins)`);
      continue;
    }
    if (queues.has(queueKey(raw.queue as QueueConfig))) {
      // Another name: two scalers would read one queue; the discovered one stops now.
      if (known.has(queue)) result.retired.push(queue);
      skip('a service in services: scales this queue (docktor.yaml wins)');
      continue;
    }
    if (known.has(queue)) {
      result.queues.push(queue);
      continue;
    }
    const parsed = ServiceSchema.safeParse(raw, { reportInput: true });
    if (!parsed.success) {
      skip(`the template gives an invalid service: ${toFieldIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ')}`);
      continue;
    }
    result.queues.push(queue);
    result.added.push({ queue, service: parsed.data });
  }
  return result;
}

export type DiscoveryActivities = ReturnType<typeof createDiscoveryActivities>;
