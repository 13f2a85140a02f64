// A queue worker for the local example: a durable pull consumer that takes PROCESS_TIME_MS per
// message, acks, and stops cleanly on SIGTERM (finishes the message in hand, then exits 0).
// Creates its stream and consumer when missing, so the example needs nothing set up by hand.
'use strict';
const { connect } = require('@nats-io/transport-node');
const { AckPolicy, jetstream, jetstreamManager } = require('@nats-io/jetstream');

const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const stream = process.env.STREAM ?? 'DOCKTOR_DEMO';
const subject = process.env.SUBJECT ?? 'demo.jobs';
const durable = process.env.CONSUMER ?? 'DEMO_WORKERS';
const processMs = Number(process.env.PROCESS_TIME_MS ?? 200);
const replica = process.env.DOCKTOR_REPLICA ?? '?';

async function ensureStream(jsm) {
  await jsm.streams.info(stream).catch(() => jsm.streams.add({ name: stream, subjects: [subject] }));
  await jsm.consumers.info(stream, durable).catch(() => jsm.consumers.add(stream, { durable_name: durable, ack_policy: AckPolicy.Explicit, ack_wait: 30_000_000_000 }));
}

async function main() {
  const nc = await connect({ servers: url, name: `demo-consumer-${replica}` });
  await ensureStream(await jetstreamManager(nc));
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const messages = await consumer.consume({ max_messages: 1 });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log(`replica ${replica}: SIGTERM, finishing the message in hand`);
    messages.stop();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  console.log(`replica ${replica}: consuming ${stream}/${durable} at ${processMs} ms per message`);
  let done = 0;
  for await (const m of messages) {
    await new Promise((r) => setTimeout(r, processMs));
    m.ack();
    done += 1;
    if (stopping) break;
  }
  await nc.drain();
  console.log(`replica ${replica}: stopped after ${done} message(s)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
