// The example's queue worker: takes messages from the durable pull consumer WEB_WORKERS on stream
// EVENTS (both created when missing), spends PROCESS_TIME_MS on each, acks it. On SIGTERM it
// finishes the message in hand, hands back (nak) any it had fetched but not started, and exits 0,
// so docktor's graceful scale-down loses no work.
//
//   NATS_URL (nats://127.0.0.1:4222)  STREAM (EVENTS)  SUBJECTS (events.>)  CONSUMER (WEB_WORKERS)
//   PROCESS_TIME_MS (200)
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureConsumer, queueNames } from './queue';

const q = queueNames();
const processMs = Number(process.env.PROCESS_TIME_MS ?? 200);
// DOCKTOR_REPLICA under `runtime: process`; a container's hostname under Compose.
const replica = process.env.DOCKTOR_REPLICA ?? os.hostname();

function say(line: string): void {
  process.stdout.write(`${new Date().toISOString()} consumer ${replica} (pid ${process.pid}): ${line}\n`);
}

async function main(): Promise<void> {
  if (!Number.isFinite(processMs) || processMs < 0) throw new Error(`PROCESS_TIME_MS must be a number >= 0, got "${process.env.PROCESS_TIME_MS}"`);
  const nc = await connect({ servers: q.url.split(','), name: `nats-multi-consumer-${replica}` });
  await ensureConsumer(await jetstreamManager(nc), q);
  const consumer = await jetstream(nc).consumers.get(q.stream, q.consumer);
  // One message at a time: what is not in hand stays in the stream, where docktor sees it as backlog.
  const messages = await consumer.consume({ max_messages: 1 });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`${signal}: finishing the message in hand`);
    messages.stop();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  say(`started: consuming ${q.stream}/${q.consumer} at ${processMs} ms per message`);

  let done = 0;
  let handedBack = 0;
  for await (const m of messages) {
    if (stopping) {
      m.nak(); // fetched ahead but not started: redelivered to another replica at once
      handedBack++;
      continue;
    }
    await sleep(processMs);
    m.ack();
    done++;
  }
  await nc.drain();
  say(`stopped after ${done} message(s)${handedBack ? `, ${handedBack} handed back` : ''}`);
}

main().catch((e: unknown) => {
  say(`failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
