// `deliverEvents`: sends one batch of CloudEvents to one sink. A regular activity, started by the
// scaler without waiting (src/workflows/event-emitter.ts): its retry policy is the back-off, and
// the same batch (same ids) is sent on every attempt. A ConfigurationError (a sink the worker
// cannot restore or set up) is not retried.
import { ApplicationFailure } from '@temporalio/common';
import type { SinkConfig } from '../config/events';
import type { QueueConfig } from '../config/queue';
import { sinkName } from '../config/sink-name';
import { ConfigurationError } from '../errors';
import type { EventSpec } from '../model/event-spec';
import { NatsEventPublisher } from '../events/sinks/nats';
import { postToWebhook } from '../events/sinks/webhook';
import type { DocktorMetrics } from '../metrics/docktor-metrics';
import { SecretStore } from '../sources/secrets';

export interface DeliverEventsInput {
  project: string;
  service: string;
  /** The service's queue (secrets masked): how the worker finds a discovered scaler's own config. */
  queue?: QueueConfig;
  /** The sink's name (status, metrics). */
  sink: string;
  /** The sink as the scaler's config has it: secrets masked, restored here. */
  config: SinkConfig;
  events: EventSpec[];
}

export interface DeliverEventsOptions {
  secrets?: SecretStore;
  metrics?: DocktorMetrics;
  nats?: NatsEventPublisher;
}

let sharedPublisher: NatsEventPublisher | undefined;

/** Closes the NATS connections of event sinks (worker shutdown). */
export async function closeEventSinks(): Promise<void> {
  const p = sharedPublisher;
  sharedPublisher = undefined;
  await p?.close();
}

export function createDeliverEventsActivities(o: DeliverEventsOptions = {}) {
  const secrets = o.secrets ?? new SecretStore();
  const nats = () => o.nats ?? (sharedPublisher ??= new NatsEventPublisher());
  return {
    async deliverEvents(input: DeliverEventsInput): Promise<void> {
      const field = `events.sinks[${input.sink}]`;
      try {
        const sink = secrets.restoreWithin(input.project, { name: input.service, queue: input.queue }, input.config, (service) => sinkOf(service, input.sink), field);
        if (sink.kind === 'webhook') await postToWebhook(sink, input.events, field);
        else await nats().publish(sink, input.events);
        o.metrics?.delivery({ project: input.project, service: input.service }, input.sink, true, input.events.length);
      } catch (e) {
        o.metrics?.delivery({ project: input.project, service: input.service }, input.sink, false, input.events.length);
        if (e instanceof ConfigurationError) throw ApplicationFailure.nonRetryable(e.message, 'ConfigurationError');
        throw e;
      }
    },
  };
}

/** The worker's own copy of the named sink, from its copy of the service's config. */
function sinkOf(service: unknown, name: string): unknown {
  const sinks = (service as { events?: { sinks?: SinkConfig[] } } | undefined)?.events?.sinks ?? [];
  return sinks.find((k, i) => sinkName(k, i) === name);
}

export type DeliverEventsActivities = ReturnType<typeof createDeliverEventsActivities>;
