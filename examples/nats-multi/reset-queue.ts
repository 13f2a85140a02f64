// Before a demo run (run.sh): by default start clean, dropping the messages a previous run left in
// the stream, so the first decisions do not see a backlog hours old; with --resume keep them and
// say how many and how old. Exits 1 when NATS cannot be reached (run.sh says how to start it).
//
//   node dist/examples/nats-multi/reset-queue.js [--resume]
//   NATS_URL, STREAM, SUBJECTS as in queue.ts; WAIT_SECONDS (0): keep trying to connect that long
//   (the compose stack's NATS may still be starting)
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStream, queueNames } from './queue';

const q = queueNames();

async function main(resume: boolean, waitSeconds: number): Promise<void> {
  const nc = await connect({
    servers: q.url.split(','),
    name: 'nats-multi-reset',
    timeout: 3000,
    ...(waitSeconds > 0 ? { waitOnFirstConnect: true, reconnectTimeWait: 500, maxReconnectAttempts: waitSeconds * 2 } : {}),
  });
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, q);
    const { state } = await jsm.streams.info(q.stream);
    const age = state.messages > 0 ? `, the oldest ${Math.round((Date.now() - Date.parse(state.first_ts)) / 1000)} s old` : '';
    if (resume) {
      process.stdout.write(`stream ${q.stream} keeps ${state.messages} message(s) from before${age}\n`);
    } else {
      const { purged } = await jsm.streams.purge(q.stream);
      process.stdout.write(`stream ${q.stream}: dropped ${purged} leftover message(s)${age}\n`);
    }
  } finally {
    await nc.close();
  }
}

const args = process.argv.slice(2);
const unknown = args.find((a) => a !== '--resume');
if (unknown !== undefined) {
  process.stderr.write(`reset-queue: unknown argument ${unknown} (known: --resume)\n`);
  process.exit(2);
}
main(args.includes('--resume'), Number(process.env.WAIT_SECONDS ?? 0) || 0).catch((e: unknown) => {
  process.stderr.write(`reset-queue: ${q.url}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
