// Publishes a backlog for the local example: `node produce.js [COUNT] [RATE_PER_S]`.
'use strict';
const { connect } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager } = require('@nats-io/jetstream');

async function main() {
  const count = Number(process.argv[2] ?? 2000);
  const rate = Number(process.argv[3] ?? 0); // 0: as fast as possible
  const nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  const stream = process.env.STREAM ?? 'DOCKTOR_DEMO';
  const subject = process.env.SUBJECT ?? 'demo.jobs';
  const jsm = await jetstreamManager(nc);
  await jsm.streams.info(stream).catch(() => jsm.streams.add({ name: stream, subjects: [subject] }));
  const js = jetstream(nc);
  for (let i = 0; i < count; i++) {
    await js.publish(subject, JSON.stringify({ n: i, at: Date.now() }));
    if (rate > 0) await new Promise((r) => setTimeout(r, 1000 / rate));
  }
  console.log(`published ${count} message(s) to ${subject}`);
  await nc.drain();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
