// The example's producer: publishes JSON events to `events.web` at RATE msg/s with bursts of
// BURST_RATE for BURST_SECONDS every BURST_EVERY seconds, or, with COUNT set, that many at once
// (a backlog) and exits. With WEB_URL and WEB_RPS it also sends that many HTTP requests per second
// to the `web` service, to give docktor some CPU to scale it on.
//
//   NATS_URL  STREAM  SUBJECTS  SUBJECT (events.web)  RATE (5)  BURST_RATE (0)  BURST_SECONDS (20)
//   BURST_EVERY (120)  COUNT  WEB_URL  WEB_RPS (0)
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ensureStream, queueNames } from './queue';
import { dueBetween, planFromEnv, rateAt, type Schedule } from './schedule';

const q = queueNames();
const TICK_MS = 100;

function say(line: string): void {
  process.stdout.write(`${new Date().toISOString()} producer: ${line}\n`);
}

let sent = 0;
async function publish(js: JetStreamClient, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await js.publish(q.subject, JSON.stringify({ n: sent, at: Date.now() }));
    sent++;
  }
}

async function runSchedule(js: JetStreamClient, s: Schedule, stopped: () => boolean): Promise<void> {
  say(`publishing to ${q.subject}: ${s.rate} msg/s${s.burst_rate > 0 ? `, bursts of ${s.burst_rate} msg/s for ${s.burst_seconds} s every ${s.burst_every} s` : ''}`);
  const start = Date.now();
  let last = 0;
  let carry = 0;
  let lastReport = 0;
  let wasBurst = false;
  while (!stopped()) {
    await sleep(TICK_MS);
    const now = (Date.now() - start) / 1000;
    const due = dueBetween(s, last, now, carry);
    last = now;
    carry = due.carry;
    await publish(js, due.count);
    const burst = rateAt(s, now) !== s.rate;
    if (burst !== wasBurst) say(burst ? `burst: ${s.burst_rate} msg/s for ${s.burst_seconds} s` : 'burst over');
    wasBurst = burst;
    if (now - lastReport >= 30) {
      say(`${sent} published`);
      lastReport = now;
    }
  }
}

/** Fire-and-forget GETs at `rps`; a new connection each time, so Docker's DNS spreads them over the replicas. */
function loadWeb(url: string, rps: number, stopped: () => boolean): void {
  if (rps <= 0) return;
  say(`sending ${rps} request(s)/s to ${url}`);
  let inFlight = 0;
  let failures = 0;
  const timer = setInterval(() => {
    if (stopped()) {
      clearInterval(timer);
      return;
    }
    if (inFlight >= rps * 5) return; // the web service is saturated: do not pile up
    inFlight++;
    let settled = false;
    const settle = () => {
      if (!settled) inFlight--;
      settled = true;
    };
    const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', settle);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      settle();
      if (failures++ % 100 === 0) say(`web request failed: ${e.message}`);
    });
  }, 1000 / rps);
}

async function main(): Promise<void> {
  const plan = planFromEnv();
  const nc = await connect({ servers: q.url.split(','), name: 'nats-multi-producer' });
  await ensureStream(await jetstreamManager(nc), q);
  const js = jetstream(nc);
  if (plan.kind === 'count') {
    await publish(js, plan.count);
    say(`published ${sent} message(s) to ${q.subject}`);
  } else {
    let stopping = false;
    const stop = () => {
      stopping = true;
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    loadWeb(process.env.WEB_URL ?? '', Number(process.env.WEB_URL ? (process.env.WEB_RPS ?? 0) : 0), () => stopping);
    await runSchedule(js, plan.schedule, () => stopping);
    say(`stopped after ${sent} message(s)`);
  }
  await nc.drain();
}

main().catch((e: unknown) => {
  say(`failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
