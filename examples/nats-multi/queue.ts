// The example's queue, shared by the producer and the consumer: stream EVENTS on `events.>` and the
// durable pull consumer WEB_WORKERS, both created when missing so the stack needs no set-up by hand.
// Names come from the environment so that tests can run the same code on names of their own.
import { AckPolicy, JetStreamApiError, type JetStreamManager } from '@nats-io/jetstream';

export interface QueueNames {
  url: string;
  stream: string;
  /** The stream's subjects (comma-separated in SUBJECTS). */
  subjects: string[];
  /** Where the producer publishes. */
  subject: string;
  consumer: string;
}

export function queueNames(env: NodeJS.ProcessEnv = process.env): QueueNames {
  return {
    url: env.NATS_URL || 'nats://127.0.0.1:4222',
    stream: env.STREAM || 'EVENTS',
    subjects: (env.SUBJECTS || 'events.>').split(',').map((s) => s.trim()).filter(Boolean),
    subject: env.SUBJECT || 'events.web',
    consumer: env.CONSUMER || 'WEB_WORKERS',
  };
}

function notFound(e: unknown): boolean {
  return e instanceof JetStreamApiError && e.status === 404;
}

/** Several replicas start at once: when creating fails, it is fine if another one created it. */
async function createUnlessRaced(create: () => Promise<unknown>, exists: () => Promise<unknown>): Promise<void> {
  try {
    await create();
  } catch (e) {
    if (!(await exists().then(() => true, () => false))) throw e;
  }
}

export async function ensureStream(jsm: JetStreamManager, q: QueueNames): Promise<void> {
  try {
    await jsm.streams.info(q.stream);
  } catch (e) {
    if (!notFound(e)) throw e;
    await createUnlessRaced(() => jsm.streams.add({ name: q.stream, subjects: q.subjects }), () => jsm.streams.info(q.stream));
  }
}

/**
 * Explicit acks; 30 s before an unacknowledged message is delivered again (a replica killed with a
 * message in hand); at most 1000 in flight.
 */
export async function ensureConsumer(jsm: JetStreamManager, q: QueueNames): Promise<void> {
  await ensureStream(jsm, q);
  try {
    await jsm.consumers.info(q.stream, q.consumer);
  } catch (e) {
    if (!notFound(e)) throw e;
    await createUnlessRaced(
      () => jsm.consumers.add(q.stream, { durable_name: q.consumer, ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000, max_ack_pending: 1000 }),
      () => jsm.consumers.info(q.stream, q.consumer),
    );
  }
}
