// `kind: nats`: each event published to `subject` as CloudEvents structured JSON. When a
// JetStream stream captures the subject, through JetStream: the server acknowledges every event
// (so a failure is seen and retried) and drops a repeat of the same `id` within the stream's
// duplicate window (Nats-Msg-Id). Otherwise core NATS, flushed: delivered to whoever listens now.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { headers, type NatsConnection } from '@nats-io/transport-node';
import type { NatsSinkConfig } from '../../config/events';
import { UnavailableError } from '../../errors';
import { NatsConnectionPool, redactNatsUrl } from '../../queues/nats/connections';
import { messageOf } from '../../sources/failures';
import { CLOUDEVENTS_CONTENT_TYPE, structuredBody } from '../cloud-event';
import type { EventSpec } from '../../model/event-spec';

/** How long a subject's stream (or its absence) is remembered before it is looked up again. */
const STREAM_LOOKUP_TTL_MS = 30_000;
const REQUEST_TIMEOUT_MS = 5000;

export class NatsEventPublisher {
  private readonly pool = new NatsConnectionPool({ connect_timeout_ms: REQUEST_TIMEOUT_MS });
  private readonly streams = new WeakMap<NatsConnection, Map<string, { stream: string | null; at: number }>>();

  async publish(sink: NatsSinkConfig, events: EventSpec[]): Promise<void> {
    const nc = await this.pool.get(sink);
    const where = `NATS ${redactNatsUrl(sink.url)} subject ${sink.subject}`;
    try {
      const stream = await this.streamOf(nc, sink.subject);
      const js = stream === null ? undefined : jetstream(nc, { timeout: REQUEST_TIMEOUT_MS });
      for (const e of events) {
        const h = headers();
        h.set('content-type', CLOUDEVENTS_CONTENT_TYPE);
        h.set('Nats-Msg-Id', e.id);
        const body = structuredBody(e);
        if (js) await js.publish(sink.subject, body, { msgID: e.id, headers: h });
        else nc.publish(sink.subject, body, { headers: h });
      }
      if (!js) await nc.flush();
    } catch (e) {
      throw new UnavailableError(`${where}: ${messageOf(e)}`);
    }
  }

  /** The stream that captures `subject`, or null (none, or no JetStream on the server). */
  private async streamOf(nc: NatsConnection, subject: string): Promise<string | null> {
    let known = this.streams.get(nc);
    if (!known) this.streams.set(nc, (known = new Map()));
    const hit = known.get(subject);
    if (hit && Date.now() - hit.at < STREAM_LOOKUP_TTL_MS) return hit.stream;
    let stream: string | null;
    try {
      const jsm = await jetstreamManager(nc, { timeout: REQUEST_TIMEOUT_MS });
      stream = await jsm.streams.find(subject);
    } catch (e) {
      // No stream captures the subject, or the server has no JetStream: core NATS. Anything else
      // (a timeout) fails this attempt rather than publishing where nothing acknowledges.
      // (The library does not export these error classes: their names tell them apart.)
      if (!(e instanceof Error && (e.name === 'StreamNotFoundError' || e.name === 'JetStreamNotEnabled'))) throw e;
      stream = null;
    }
    known.set(subject, { stream, at: Date.now() });
    return stream;
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
