// The replica program the chaos soak's service runs (runtime: process): takes one message at a
// time from the durable pull consumer, works on it for WORK_MS, appends its id to this process's
// ledger file and only then acks, so an acknowledged message is always in a ledger. On SIGTERM it
// finishes the message in hand, naks what it fetched but did not start, and exits 0; unless
// `<IGNORE_DIR>/<pid>` exists (the nemesis's "replica that ignores SIGTERM"), so docktor has to
// SIGKILL it after the grace period.
//
//   NATS_URL  STREAM  CONSUMER  LEDGER_DIR  IGNORE_DIR  WORK_MS (300)
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

function env(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
}

async function main(): Promise<void> {
  const ledgerDir = env('LEDGER_DIR');
  const ignoreDir = env('IGNORE_DIR');
  const workMs = Number(process.env.WORK_MS ?? 300);
  const ledger = fs.openSync(path.join(ledgerDir, `${process.pid}.log`), 'a');
  // NATS is killed and restarted under us: keep reconnecting for as long as we live.
  const nc = await connect({ servers: env('NATS_URL'), maxReconnectAttempts: -1, reconnectTimeWait: 250, name: `chaos-replica-${process.pid}` });
  const consumer = await jetstream(nc).consumers.get(env('STREAM'), env('CONSUMER'));
  const messages = await consumer.consume({ max_messages: 1 });
  let stopping = false;
  process.on('SIGTERM', () => {
    if (fs.existsSync(path.join(ignoreDir, String(process.pid)))) return;
    if (stopping) return;
    stopping = true;
    messages.stop();
  });
  for await (const m of messages) {
    if (stopping) {
      m.nak();
      continue;
    }
    await sleep(workMs);
    fs.writeSync(ledger, `${m.string()} ${Date.now()}\n`);
    m.ack();
  }
  fs.closeSync(ledger);
  await nc.drain().catch(() => undefined);
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`chaos replica ${process.pid} failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
