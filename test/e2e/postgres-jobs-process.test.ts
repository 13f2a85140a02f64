// End to end on an `external:` source (issue 13): a job table in the real PostgreSQL fills up,
// docktor (the real `docktor worker` and CLI, on the Temporal dev server) scales real worker
// processes (runtime: process) on `external.jobs` = SELECT count(*) of the table, the workers
// delete the jobs, the table drains and docktor scales back to the minimum. Replica creations and
// stops are counted from the workers' own log lines and checked against the applied decisions.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import type pg from 'pg';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load';
import type { ProcessRuntimeConfig } from '../../src/config/runtime';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { isSameLiveProcess } from '../../src/runtimes/proc-stats';
import { ProcessRuntime } from '../../src/runtimes/process';
import { readState, serviceKey, stateFilePath } from '../../src/runtimes/process-state';
import type { HistoryEntry } from '../../src/model/scaler-state';
import { POSTGRES_URL, postgresAdmin } from '../harness/sql';
import { stopTestServices, testTemporal } from '../harness/services';
import { docktor, docktorArgv, startBackground, type Background, type Finished } from './cli';
import { until } from './scenario';

after(stopTestServices);

const POLICY = { min: 1, max: 4, up_above: 40, down_at_most: 5, step_up: 3, cooldown_up: 5, cooldown_down: 2 } as const;
/** The producer: BURST jobs every 200 ms for PRODUCE_MS, faster than one worker takes them. */
const BURST = 40;
const PRODUCE_MS = 5000;

/** A job worker: deletes up to BATCH of the oldest jobs every PAUSE_MS; stops on SIGTERM. */
const WORKER_JS = `
const { Client } = require('pg');
const table = process.env.TABLE;
const r = process.env.DOCKTOR_REPLICA;
let stopping = false;
let done = 0;
process.on('SIGTERM', () => { stopping = true; });
(async () => {
  const c = new Client({ connectionString: process.env.PG_URL });
  await c.connect();
  console.log('worker ' + r + ': started');
  while (!stopping) {
    const res = await c.query('DELETE FROM ' + table + ' WHERE id IN (SELECT id FROM ' + table + ' ORDER BY id LIMIT 10 FOR UPDATE SKIP LOCKED)');
    done += res.rowCount;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  await c.end();
  console.log('worker ' + r + ': stopped after ' + done + ' job(s)');
  process.exit(0);
})().catch((e) => { console.error('worker ' + r + ': ' + e.message); process.exit(1); });
`;

function ok(r: Finished, what: string): string {
  assert.equal(r.code, 0, `${what} exited ${r.code ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

const brief = (e: HistoryEntry) => `${e.action} ${e.from}→${e.to}${e.applied ? '' : ' (not applied)'}${e.limited_by ? ` [${e.limited_by}]` : ''}: ${e.reason}`;

test('a PostgreSQL job table fills up, docktor scales worker processes on external.jobs, the table drains, back to min', { timeout: 180_000 }, async () => {
  const t0 = Date.now();
  const say = (line: string) => process.stderr.write(`e2e[postgres] +${((Date.now() - t0) / 1000).toFixed(1)}s ${line}\n`);
  const temporal = await testTemporal();
  const admin: pg.Client = await postgresAdmin();
  const id = randomBytes(4).toString('hex');
  const table = `docktor_e2e_jobs_${id}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-e2e-postgres-'));
  const stateDir = path.join(dir, 'processes');
  const project = `e2e-postgres-${id}`;
  const nodePath = path.join(process.cwd(), 'node_modules');
  fs.writeFileSync(path.join(dir, 'worker.js'), WORKER_JS);
  const file = {
    version: '1',
    temporal: { namespace: temporal.namespace, task_queue: project },
    project,
    services: [
      {
        name: 'worker',
        min_replicas: POLICY.min,
        max_replicas: POLICY.max,
        check_interval: 1,
        strategy: 'rules',
        rules: {
          scale_up_when: [{ metric: 'external.jobs', op: '>', value: POLICY.up_above }],
          scale_down_when: [{ metric: 'external.jobs', op: '<=', value: POLICY.down_at_most }],
          step: { up: POLICY.step_up, down: 1 },
        },
        cooldown: { up: POLICY.cooldown_up, down: POLICY.cooldown_down },
        external: [{ name: 'jobs', kind: 'postgres', url: POSTGRES_URL, query: `SELECT count(*) FROM ${table}`, timeout: 2 }],
        runtime: {
          kind: 'process',
          command: [process.execPath, path.join(dir, 'worker.js')],
          env: { PG_URL: POSTGRES_URL, TABLE: table, NODE_PATH: nodePath },
          cwd: dir,
          grace_period: 5,
        },
      },
    ],
  };
  const configFile = path.join(dir, 'docktor.yaml');
  fs.writeFileSync(configFile, stringify(file));
  const config = loadConfig(configFile);
  const cfg = ['-c', configFile];
  const env = { ...process.env, DOCKTOR_TEMPORAL_ADDRESS: temporal.address, NODE_PATH: nodePath } as NodeJS.ProcessEnv;
  const service = config.services[0];
  if (service?.runtime.kind !== 'process') throw new Error('expected a process runtime');
  const target = { project, service, runtime: service.runtime as ProcessRuntimeConfig };

  const workers: Background[] = [];
  let client: ControlClient | undefined;
  let lastHistory: HistoryEntry[] = [];
  const log = () => {
    if (!fs.existsSync(stateDir)) return '';
    const prefix = `${serviceKey(project, 'worker')}-`;
    return fs.readdirSync(stateDir).filter((f) => f.startsWith(prefix) && f.endsWith('.log')).map((f) => fs.readFileSync(path.join(stateDir, f), 'utf8')).join('');
  };
  const counts = () => {
    const st = readState(stateFilePath(stateDir, serviceKey(project, 'worker')));
    const live = (st?.replicas ?? []).filter((r) => r.pid !== null && r.start_time !== null && isSameLiveProcess(r.pid, r.start_time)).length;
    const text = log();
    return { live, created: (text.match(/: started$/gm) ?? []).length, removed: (text.match(/: stopped after \d+ job/g) ?? []).length };
  };
  const jobs = async () => Number((await admin.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const context = () =>
    `history:\n${lastHistory.map((e) => `  ${brief(e)} ${JSON.stringify(e.observations)}`).join('\n')}\nworker log:\n${log().slice(-2000)}\n` +
    workers.map((w) => `docktor worker output (tail):\n${w.output().slice(-3000)}`).join('\n');
  try {
    await admin.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, payload text NOT NULL)`);
    workers.push(startBackground(docktorArgv(['worker', ...cfg]), { ...env, DOCKTOR_STATE_DIR: stateDir }));
    say(ok(await docktor(['up', ...cfg], env), 'docktor up').trim());
    client = await connectClient(config.temporal, temporal.address);
    const c = client;
    const history = async () => (lastHistory = await scalers.explain(c, config, 'worker', 500));
    await until('docktor to start the first worker (min_replicas 1)', 60_000, async () => ({ h: await history(), n: counts() }), ({ n }) => n.live === POLICY.min, context);
    say('1 worker runs; the table is empty');

    // The table fills up faster than one worker empties it.
    const stopAt = Date.now() + PRODUCE_MS;
    let produced = 0;
    while (Date.now() < stopAt) {
      await admin.query(`INSERT INTO ${table} (payload) SELECT 'job ' || g FROM generate_series(1, ${BURST}) g`);
      produced += BURST;
      await sleep(200);
    }
    say(`${produced} jobs inserted; ${await jobs()} waiting`);
    const up = await until('a scale-up on external.jobs', 30_000, history, (h) => h.some((e) => e.applied && e.action === 'scale_up' && e.from >= POLICY.min), context);
    say(`scaled up: ${up.filter((e) => e.applied && e.action === 'scale_up').map(brief).join('; ')}`);

    // The workers drain the table; docktor scales back to the minimum.
    const drained = await until(
      'the table to drain and docktor to scale back to min_replicas',
      90_000,
      async () => ({ h: await history(), n: counts(), left: await jobs() }),
      ({ h, n, left }) => {
        const last = h.filter((e) => e.applied).at(-1);
        return left === 0 && n.live === POLICY.min && last?.action === 'scale_down' && last.to === POLICY.min;
      },
      context,
    );
    const changes = drained.h.filter((e) => e.applied);
    say(`back at ${POLICY.min}: ${changes.map(brief).join(' | ')}`);

    // The decisions name external.jobs and saw it as observations.
    const ups = changes.filter((e) => e.action === 'scale_up' && e.from >= POLICY.min);
    assert.ok(ups.length >= 1 && ups.every((e) => new RegExp(`external\\.jobs \\d+ > ${POLICY.up_above}`).test(e.reason)), `scale-ups should name external.jobs: ${ups.map(brief).join('; ')}`);
    const downs = changes.filter((e) => e.action === 'scale_down');
    assert.ok(downs.length >= 1 && downs.every((e) => new RegExp(`external\\.jobs \\d+ <= ${POLICY.down_at_most}`).test(e.reason)), `scale-downs should name external.jobs: ${downs.map(brief).join('; ')}`);
    assert.ok(Math.max(...changes.map((e) => e.to)) > POLICY.min, 'docktor should have gone above min_replicas while the jobs lasted');
    assert.ok(drained.h.every((e) => typeof e.observations['external.jobs'] === 'number'), 'every check should have read external.jobs');
    assert.ok(Math.max(...drained.h.map((e) => e.observations['external.jobs'] ?? 0)) > POLICY.up_above, 'a check should have seen the table filled up');

    // Replicas made and stopped are exactly what the applied decisions add up to.
    for (let i = 1; i < changes.length; i++) assert.equal(changes[i]!.from, changes[i - 1]!.to, `${brief(changes[i]!)} should start where the previous change ended`);
    const added = changes.reduce((n, e) => n + Math.max(0, e.to - e.from), 0);
    const taken = changes.reduce((n, e) => n + Math.max(0, e.from - e.to), 0);
    const n = counts();
    assert.equal(n.created, added, `worker processes started (${n.created}) should be the ${added} added by applied decisions`);
    assert.equal(n.removed, taken, `worker processes stopped gracefully (${n.removed}) should be the ${taken} removed by applied decisions`);

    // The worker kept its connections across the checks: at most its pool's 2, the oldest opened
    // before the scale-up and in use since.
    const conns = (await admin.query(
      `SELECT count(*)::int AS n, extract(epoch FROM min(backend_start))::float AS oldest FROM pg_stat_activity WHERE application_name = 'docktor' AND backend_start >= to_timestamp($1)`,
      [t0 / 1000],
    )).rows[0] as { n: number; oldest: number | null };
    const firstUp = ups[0]!;
    assert.ok(conns.n >= 1 && conns.n <= 2, `the worker should hold 1 or 2 connections across its checks, holds ${conns.n}`);
    assert.ok(conns.oldest !== null && conns.oldest < firstUp.at, `a connection opened before the scale-up (${firstUp.at}) should still be in use: oldest ${conns.oldest}`);
    say(`${conns.n} pooled connection(s) served every check`);

    // `docktor metrics` reads the same source.
    const metrics = JSON.parse(ok(await docktor(['metrics', 'worker', '--json', '--gap', '0', ...cfg], env), 'docktor metrics')) as Array<{ observations: Record<string, number> }>;
    assert.equal(metrics[0]?.observations['external.jobs'], 0);
    say(`ok: ${n.created} worker(s) started, ${n.removed} stopped; ${drained.h.length} decisions`);
  } finally {
    if (client) {
      await scalers.down(client, config).catch(() => undefined);
      await client.close();
    }
    for (const w of workers) await w.stop();
    const rt = new ProcessRuntime({ stateDir });
    await rt.ensure(target, 0).catch((e: unknown) => say(`cleanup: ${String(e)}`));
    await rt.close();
    await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await admin.end();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
