// The NATS example's end-to-end scenario (test/e2e/scenario.ts) with `runtime: process`: the example
// consumer runs as local Node processes supervised by the docktor worker, which adopts them again
// after it is killed. Creations and graceful stops are counted from the replicas' own log lines.
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import type { ProcessRuntimeConfig } from '../../src/config/runtime';
import { isSameLiveProcess } from '../../src/runtimes/proc-stats';
import { ProcessRuntime } from '../../src/runtimes/process';
import { readState, serviceKey, stateFilePath } from '../../src/runtimes/process-state';
import type { RuntimeTarget } from '../../src/runtimes/runtime';
import { stopTestServices } from '../harness/services';
import { EXAMPLE_DIST, POLICY, runScenario, type ScenarioContext, type Variant } from '../e2e/scenario';

after(stopTestServices);

const stateDir = (ctx: Pick<ScenarioContext, 'dir'>) => path.join(ctx.dir, 'processes');

function target(ctx: ScenarioContext): RuntimeTarget<ProcessRuntimeConfig> {
  const service = ctx.config.services[0];
  if (service.runtime.kind !== 'process') throw new Error(`expected a process runtime, got ${service.runtime.kind}`);
  return { project: ctx.project, service, runtime: service.runtime };
}

/** Every line the consumer replicas wrote (their logs are appended per replica index). */
function replicaLog(ctx: ScenarioContext): string {
  const dir = stateDir(ctx);
  const prefix = `${serviceKey(ctx.project, ctx.service)}-`;
  if (!fs.existsSync(dir)) return '';
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.log'))
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('');
}

const processVariant: Variant = {
  name: 'process',
  workerEnv: (ctx) => ({ DOCKTOR_STATE_DIR: stateDir(ctx) }),
  runtime: (ctx) => ({
    runtime: {
      kind: 'process',
      command: [process.execPath, path.join(EXAMPLE_DIST, 'consumer.js')],
      env: ctx.consumerEnv,
      cwd: ctx.dir,
      grace_period: POLICY.grace_period,
    },
  }),
  // As a user would have it before docktor: one copy started by the process runtime, which then
  // lets go (the worker adopts it).
  async startFirstReplica(ctx) {
    const rt = new ProcessRuntime({ stateDir: stateDir(ctx) });
    try {
      await rt.ensure(target(ctx), 1);
    } finally {
      await rt.close();
    }
  },
  // Read-only: taking the pool's lock here would take the replicas away from the worker.
  async counts(ctx) {
    const st = readState(stateFilePath(stateDir(ctx), serviceKey(ctx.project, ctx.service)));
    const live = (st?.replicas ?? []).filter((r) => r.pid !== null && r.start_time !== null && isSameLiveProcess(r.pid, r.start_time)).length;
    const log = replicaLog(ctx);
    return {
      live,
      created: (log.match(/: started: consuming /g) ?? []).length,
      removed: (log.match(/: stopped after \d+ message/g) ?? []).length,
    };
  },
  async cleanup(ctx) {
    const rt = new ProcessRuntime({ stateDir: stateDir(ctx) });
    try {
      await rt.ensure(target(ctx), 0);
    } finally {
      await rt.close();
    }
  },
};

test('NATS example, runtime process: override to 0, backlog, resume, scale up, worker killed and restarted, drain, back to min', { timeout: 180_000 }, async () => {
  await runScenario(processVariant);
});
