// End to end on Kafka: real consumer-group members (kafka-consumer.ts, kafkajs) run as local
// processes by docktor's process runtime, scaled by the real `docktor worker` on the real Temporal
// dev server from the Kafka source's lag. The broker is kfake, a Kafka protocol FAKE (no Kafka
// broker can be installed here; test/harness/kfake.ts). A burst is written; docktor scales the
// group up (at most one member per partition), the lag drains, docktor scales back to the minimum,
// and every record was consumed and committed.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { connectClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { isSameLiveProcess } from '../../src/runtimes/proc-stats';
import { ProcessRuntime } from '../../src/runtimes/process';
import { readState, serviceKey, stateFilePath } from '../../src/runtimes/process-state';
import type { HistoryEntry } from '../../src/model/scaler-state';
import { startKfake } from '../harness/kfake';
import { stopTestServices, testTemporal } from '../harness/services';
import { DIST_ROOT, docktor, docktorArgv, startBackground, type Background } from './cli';

after(stopTestServices);

const PARTITIONS = 4;
const RECORDS = 400;

test('Kafka (kfake, a fake), runtime process: a burst scales the consumer group up, the lag drains, back to min, every record consumed', { timeout: 240_000 }, async () => {
  const t0 = Date.now();
  const say = (line: string) => process.stderr.write(`e2e[kafka] +${((Date.now() - t0) / 1000).toFixed(1)}s ${line}\n`);
  const temporal = await testTemporal();
  const cluster = await startKfake({ partitions: PARTITIONS });
  const id = randomBytes(4).toString('hex');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-e2e-kafka-'));
  const stateDir = path.join(dir, 'processes');
  const topic = `orders-${id}`;
  const group = `billing-${id}`;
  const project = `e2e-kafka-${id}`;
  const kafka = new Kafka({ brokers: [cluster.broker], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });

  const file = {
    version: '1',
    temporal: { namespace: temporal.namespace, task_queue: project },
    project,
    services: [
      {
        name: 'consumer',
        min_replicas: 1,
        max_replicas: PARTITIONS,
        check_interval: 1,
        metrics_window: 5,
        rules: {
          scale_up_when: [{ metric: 'queue.lag', op: '>', value: 50 }],
          scale_down_when: [{ metric: 'queue.lag', op: '<=', value: 0 }],
          step: { up: 3, down: 1 },
        },
        cooldown: { up: 0, down: 3 },
        queue: { kind: 'kafka', brokers: [cluster.broker], topic, group },
        runtime: {
          kind: 'process',
          command: [process.execPath, path.join(DIST_ROOT, 'test', 'e2e', 'kafka-consumer.js')],
          env: { BROKER: cluster.broker, TOPIC: topic, GROUP: group, PROCESS_TIME_MS: '40' },
          cwd: dir,
          grace_period: 10,
        },
      },
    ],
  };
  const configFile = path.join(dir, 'docktor.yaml');
  fs.writeFileSync(configFile, stringify(file));
  const config = loadConfig(configFile);
  const cfg = ['-c', configFile];
  const env = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: temporal.address, DOCKTOR_STATE_DIR: stateDir };
  const service = config.services[0]!;
  if (service.runtime.kind !== 'process') throw new Error('expected a process runtime');
  const target = { project, service, runtime: service.runtime };
  const key = serviceKey(project, 'consumer');
  const logs = () =>
    fs.existsSync(stateDir)
      ? fs
          .readdirSync(stateDir)
          .filter((f) => f.startsWith(`${key}-`) && f.endsWith('.log'))
          .map((f) => fs.readFileSync(path.join(stateDir, f), 'utf8'))
          .join('')
      : '';
  const live = () => (readState(stateFilePath(stateDir, key))?.replicas ?? []).filter((r) => r.pid !== null && r.start_time !== null && isSameLiveProcess(r.pid, r.start_time)).length;

  let worker: Background | undefined;
  const client = await connectClient(config.temporal, temporal.address);
  let lastHistory: HistoryEntry[] = [];
  const history = async () => (lastHistory = await scalers.explain(client, config, 'consumer', 500));
  const brief = (e: HistoryEntry) => `${e.action} ${e.from}→${e.to}${e.applied ? '' : ' (not applied)'}: ${e.reason}`;
  async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await probe().catch(() => last);
      if (last !== undefined && done(last)) return last;
      await sleep(200);
    }
    assert.fail(
      `timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 400)}\nhistory:\n${lastHistory.map(brief).join('\n')}\nworker:\n${worker?.output().slice(-3000) ?? ''}`,
    );
  }

  try {
    worker = startBackground(docktorArgv(['worker', ...cfg]), env);
    const up = await docktor(['up', ...cfg], env);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    await until('one member of the group, started by docktor (min_replicas 1)', 60_000, async () => ({ n: live(), h: await history() }), ({ n }) => n === 1);
    say('1 replica runs');

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: RECORDS }, (_, i) => ({ partition: i % PARTITIONS, value: `r-${i}` })) });
    await producer.disconnect();
    say(`${RECORDS} records written`);

    // (The first scale-up, 0 → 1, brought the service to min_replicas.)
    const onLag = (e: HistoryEntry) => e.applied && e.action === 'scale_up' && e.from >= 1;
    const scaled = await until('a scale-up on the lag', 60_000, history, (h) => h.some(onLag));
    const firstUp = scaled.find(onLag)!;
    assert.match(firstUp.reason, /queue\.lag \d+ > 50/);
    assert.equal(firstUp.observations['queue.partitions'], PARTITIONS);
    say(`scaled: ${brief(firstUp)}`);

    const drained = await until(
      'the lag to drain and docktor to scale back to 1',
      150_000,
      async () => ({ h: await history(), n: live() }),
      ({ h, n }) => {
        const last = h.filter((e) => e.applied).at(-1);
        return n === 1 && last?.action === 'scale_down' && last.to === 1;
      },
    );
    const applied = drained.h.filter((e) => e.applied);
    say(`back at 1: ${applied.map(brief).join('; ')}`);
    assert.ok(Math.max(...applied.map((e) => e.to)) > 1, 'docktor should have gone above 1 replica while the lag lasted');
    assert.ok(applied.every((e) => e.to <= PARTITIONS), 'never more members than partitions');
    assert.ok(drained.h.some((e) => (e.observations['queue.consumers'] ?? 0) > 1), 'the group had several members while scaled up');

    // Every record consumed (at least once) and committed: the group's lag, as kafkajs's admin sees it, is 0.
    const consumed = new Set([...logs().matchAll(/^consumed (r-\d+)$/gm)].map((m) => m[1]));
    const missing = Array.from({ length: RECORDS }, (_, i) => `r-${i}`).filter((v) => !consumed.has(v));
    assert.deepEqual(missing, [], 'records never consumed');
    const high = await admin.fetchTopicOffsets(topic);
    const committed = (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions;
    for (const p of high) assert.equal(committed.find((c) => c.partition === p.partition)?.offset, p.high, `partition ${p.partition} fully committed`);
    assert.ok((logs().match(/: stopped after \d+ record/g) ?? []).length >= 1, 'scaled-down replicas left the group cleanly');
  } finally {
    await scalers.down(client, config).catch(() => undefined);
    await client.close();
    await worker?.stop();
    const rt = new ProcessRuntime({ stateDir });
    await rt.ensure(target, 0).catch((e: unknown) => say(`cleanup: ${String(e)}`));
    await rt.close();
    await admin.disconnect();
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
