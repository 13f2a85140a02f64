// `npm run chaos`: a Jepsen-style randomized fault soak of docktor on one machine (issue 25).
// Starts a private cluster (cluster.ts), a square-wave load (load.ts), the replica sampler
// (invariant 1) and a status monitor; runs the seeded nemesis for --minutes; heals, drains, tears
// down; checks invariants 2-6; prints the report and writes it to docs/reliability.md. Exit 1 on
// any violation, 2 on bad arguments or a cluster that cannot start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { loadConfig } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import { findMarkedReplicas } from '../../src/runtimes/process-marker';
import * as scalers from '../../src/control/scalers';
import { scalerWorkflowId } from '../../src/workflows/definitions';
import { HISTORY_LIMIT, type HistoryEntry, type ScalerStatus } from '../../src/model/scaler-state';
import { ArgError, parseArgs, type ChaosArgs } from './args';
import { checkGaps } from './check-gaps';
import { CONSUMER, Cluster, ROOT, SERVICE, STREAM, SUBJECT } from './cluster';
import { FAULT_KINDS, FaultLog } from './fault-log';
import { checkApplies, checkCounts, checkLedger, checkNothingAlive, checkWorkflows, parseReplicaEvent, type ReplicaEvent } from './invariants';
import { readLedger, tally } from './ledger';
import { Load } from './load';
import { Monitor, withTimeout } from './monitor';
import { Nemesis, gapRange } from './nemesis';
import { mulberry32 } from './prng';
import { renderReport, writeSection, type RunResult } from './report';
import { Sampler } from './sampler';
import { Violations } from './violations';
import { SetupError, waitFor } from './wait';

/** A worker's line for a replica that ended by SIGKILL. */
const SIGKILLED = /^docktor process \S+: (?:stopped|exited) \{.*"pid":(\d+).*SIGKILL/;

export interface ChaosOutcome {
  result: RunResult;
  report: string;
  runDir: string;
}

/** Each kind at least this often: 10 in a 30-minute run, once in a short one. */
export function perKind(minutes: number): number {
  return Math.max(1, Math.min(10, Math.floor((minutes * 60) / (FAULT_KINDS.length * 25))));
}

/** The cluster of the run in progress, for a Ctrl-C to tear down. */
let current: Cluster | undefined;

export async function runChaos(args: ChaosArgs): Promise<ChaosOutcome> {
  const t0 = Date.now();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `docktor-chaos-${args.seed}-`));
  const say = (line: string) => process.stderr.write(`chaos +${((Date.now() - t0) / 1000).toFixed(1)}s ${line}\n`);
  say(`seed ${args.seed}, ${args.minutes} min of faults; run directory ${runDir}`);
  const log = new FaultLog(t0, say);
  const violations = new Violations((v) => say(`VIOLATION of invariant ${v.invariant} at ${log.rel(v.at)}: ${v.what}\n  faults within ±60 s:\n${log.around(v.at)}`));
  const events: ReplicaEvent[] = [];
  // Replicas that died by SIGKILL (the nemesis's, or docktor's after the grace period): their acks may be lost.
  const sigkilled = new Set<number>();
  const notes: string[] = [];
  let nemesis: Nemesis | undefined;
  const cluster = await Cluster.create({
    runDir,
    seed: args.seed,
    say,
    onLine: (line) => {
      const e = parseReplicaEvent(line);
      if (e) events.push(e);
      const killed = SIGKILLED.exec(line.text);
      if (killed) sigkilled.add(Number(killed[1]));
      nemesis?.onLine(line);
    },
  });
  current = cluster;
  const sampler = new Sampler(cluster.pool, SERVICE.max, violations);
  const phaseS = args.minutes * 60;
  const wave = args.minutes >= 10 ? { highS: 60, lowS: 60 } : { highS: 30, lowS: 30 };
  const load = new Load(cluster.natsUrl, SUBJECT, args.seed, { ...wave, highRate: 12, lowRate: 0.3 });
  let client: ControlClient | undefined;
  let monitor: Monitor | undefined;
  let ok = false;
  try {
    await cluster.startTemporal();
    await cluster.startNats();
    await cluster.createQueue();
    for (const w of cluster.workers) w.start();
    const up = await cluster.docktor(['up']);
    if (up.code !== 0) throw new SetupError(`docktor up exited ${up.code}: ${up.out}`);
    const config = loadConfig(cluster.configFile);
    client = await connectClient(config.temporal, cluster.temporalAddress);
    const c = client;
    monitor = new Monitor(c, config, SERVICE.name);
    const m = monitor;
    sampler.start();
    await waitFor('the first check', 120_000, async () => (await m.read()).last_check_at !== null);
    say('the scaler runs; load and faults start');
    monitor.start();
    await load.start();

    const workflowId = scalerWorkflowId(cluster.project, SERVICE.name);
    nemesis = new Nemesis({ cluster, prng: mulberry32(args.seed), log, sampler, client: c, workflowId, say, onSigkill: (pid) => sigkilled.add(pid) });
    const gap = gapRange(phaseS, perKind(args.minutes));
    say(`one fault every ${gap.min.toFixed(0)}-${gap.max.toFixed(0)} s, each kind at least ${perKind(args.minutes)} time(s) if the phase allows`);
    await nemesis.run(phaseS * 1000, gap, perKind(args.minutes));
    const healedAt = Date.now();

    // 5: the replicas reach the scaler's decision within 60 s of the last heal.
    const settled = await waitFor('the replicas to match the last decision', 60_000, async () => {
      const s = await m.read();
      const live = sampler.sample();
      return s.replicas === live && s.last_decision?.to === live;
    }).then(() => true, () => false);
    if (!settled) violations.add(5, 'the live replicas did not reach the last decision within 60 s of the last heal', healedAt);
    else say(`replicas match the last decision ${((Date.now() - healedAt) / 1000).toFixed(1)} s after the heal`);

    say(`stopping the load (${load.published.size} published, ${load.pending.length} pending)`);
    await load.stop(30_000);
    if (load.pending.length > 0) notes.push(`${load.pending.length} message(s) never acknowledged by NATS (not counted as published)`);
    await waitFor('the ledger to hold every published message', 300_000, async () => {
      const led = readLedger(cluster.ledgerDir);
      return [...load.published].every((id) => led.seen.has(id));
    }).catch(() => say('drain: not every published message reached the ledger within 300 s'));
    await waitFor('the consumer to have nothing pending', 60_000, async () => {
      const nc = await connect({ servers: cluster.natsUrl, timeout: 2000 });
      try {
        const info = await (await jetstreamManager(nc)).consumers.info(STREAM, CONSUMER);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      } finally {
        await nc.close();
      }
    }).catch(() => say('drain: the consumer still had messages pending or unacknowledged after 60 s'));

    // 5 (counts) and 4, on one consistent read: a status whose checks did not move while the history was read.
    const history = await consistentHistory(c, m, config, workflowId);
    notes.push(checkCounts(history.status, history.entries, HISTORY_LIMIT, violations));
    const first = m.samples[0];
    if (first) {
      const implied = (Date.now() - first.at) / 1000 / SERVICE.check_interval;
      const recorded = history.status.checks - first.checks;
      notes.push(checkGaps(m.samples, log.faults, SERVICE.check_interval));
      notes.push(`checks recorded since the load began: ${recorded} of the ${Math.round(implied)} the check interval implies (${Math.round((recorded / implied) * 100)}%)`);
    }
    notes.push(checkApplies(events, history.entries, violations));
    const applied = history.entries.filter((e) => e.applied && e.from !== e.to).length;
    const applyErrors = history.entries.flatMap((e) => (e.errors ?? []).filter((x) => x.startsWith('apply:')).map((x) => `${new Date(e.at * 1000).toISOString().slice(11, 19)} ${e.from}→${e.to}: ${x.slice(0, 160)}`));
    if (applyErrors.length > 0) notes.push(`${applyErrors.length} apply failure(s) in the history: ${applyErrors.join(' | ')}`);
    fs.writeFileSync(path.join(runDir, 'history.json'), JSON.stringify(history.entries, null, 1));
    notes.push(`${history.entries.length} history entries, ${applied} applied changes; ${events.length} replica start/stop lines from the workers`);
    if (m.checkDrops.length > 0) notes.push(`\`docktor status\` reported fewer checks than a second before ${m.checkDrops.length} time(s): ${m.checkDrops.slice(0, 3).join('; ')}`);

    // Teardown: the scaler to 0, then the workers stopped.
    await monitor.stop();
    const down = await cluster.docktor(['override', SERVICE.name, '--replicas', '0', '--force', '--reason', 'chaos teardown']);
    if (down.code !== 0) notes.push(`docktor override 0 exited ${down.code}: ${down.out.trim()}`);
    await waitFor('the replicas to stop', 60_000, async () => sampler.sample() === 0).catch(() => say('teardown: replicas still alive 60 s after override 0'));
    sampler.stop();
    await Promise.all(cluster.workers.map((w) => w.stop()));
    const wf = await checkWorkflows(c, workflowId, violations);
    notes.push(`${wf.runs} scaler run(s) (continue-as-new included), ${wf.replayed} replayed`);
    const t = tally(load.published, readLedger(cluster.ledgerDir), sigkilled);
    checkLedger(t, violations);
    await c.client.connection.close();
    client = undefined;
    await cluster.temporal.stop();
    await cluster.nats.stop();
    await sleep(500);
    checkNothingAlive(cluster.pool, [cluster.temporal, cluster.nats, ...cluster.workers], sampler.pids, violations);

    for (const f of log.faults) if (f.kind === 'worker-kill-at-apply' && f.note) notes.push(`worker-kill-at-apply #${f.id}: ${f.note}`);
    const result: RunResult = {
      seed: args.seed,
      minutes: args.minutes,
      runtime: args.runtime,
      date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
      t0,
      faults: log.faults,
      violations: violations.list,
      maxLive: sampler.maxLive,
      maxReplicas: SERVICE.max,
      tally: t,
      publishFailures: load.publishFailures,
      statusSamples: m.samples,
      replicaSamples: sampler.samples,
      notes,
    };
    const report = renderReport(result);
    fs.writeFileSync(path.join(runDir, 'report.md'), report);
    fs.writeFileSync(path.join(runDir, 'faults.json'), JSON.stringify(log.faults, null, 1));
    ok = violations.list.length === 0;
    return { result, report, runDir };
  } finally {
    sampler.stop();
    await monitor?.stop();
    await load.stop(0).catch(() => undefined);
    await client?.close().catch(() => undefined);
    await cleanup(cluster);
    current = undefined;
    if (ok && !args.keep) fs.rmSync(runDir, { recursive: true, force: true });
    else say(`run directory kept: ${runDir}`);
  }
}

/**
 * The history and the status, read while no apply is in flight (the deciding check is counted when
 * it arrives, its entry recorded when its apply ends: in between the two differ by one) and until
 * the status's check count stood still around the read.
 */
async function consistentHistory(c: ControlClient, m: Monitor, config: ReturnType<typeof loadConfig>, workflowId: string): Promise<{ status: ScalerStatus; entries: HistoryEntry[] }> {
  const h = c.client.workflow.getHandle(workflowId);
  for (let attempt = 1; ; attempt++) {
    const applying = (await h.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'applyReplicas') ?? false;
    const before = (await m.read()).checks;
    const entries = await withTimeout(scalers.explain(c, config, SERVICE.name, HISTORY_LIMIT), 10_000, 'docktor explain');
    const status = await m.read();
    const stillApplying = (await h.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'applyReplicas') ?? false;
    if ((!applying && !stillApplying && before === status.checks) || attempt >= 60) return { status, entries };
    await sleep(500);
  }
}

/** Whatever the run left: workers, servers, and replicas (by their pool marker). */
async function cleanup(cluster: Cluster): Promise<void> {
  await Promise.all(cluster.workers.map((w) => w.stop(5000)));
  await cluster.temporal.stop(5000);
  await cluster.nats.stop(5000);
  for (const r of findMarkedReplicas(cluster.pool)) {
    try {
      process.kill(-r.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

async function main(): Promise<number> {
  let args: ChaosArgs;
  try {
    args = parseArgs(process.argv.slice(2), Math.floor(Math.random() * 0xffffffff));
  } catch (e) {
    if (e instanceof ArgError) {
      process.stderr.write(`chaos: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      process.stderr.write(`chaos: ${sig}: stopping the cluster and its replicas\n`);
      void (current ? cleanup(current) : Promise.resolve()).finally(() => process.exit(130));
    });
  }
  let outcome: ChaosOutcome;
  try {
    outcome = await runChaos(args);
  } catch (e) {
    if (e instanceof SetupError) {
      process.stderr.write(`chaos: cannot run: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  process.stdout.write(outcome.report);
  if (args.write) {
    const file = path.join(ROOT, 'docs', 'reliability.md');
    writeSection(file, outcome.report);
    process.stderr.write(`chaos: wrote the report into ${file}\n`);
  }
  return outcome.result.violations.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`chaos: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}
