// Compose `x-docktor:` end to end: a compose file whose services carry their docktor settings,
// a docktor.yaml with no `services:` of its own except one that overrides a compose service, and
// a real scaler on the Temporal dev server making the containers on the test dockerd.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config/load';
import { connectClient, type ControlClient } from '../../src/control/client';
import * as scalers from '../../src/control/scalers';
import { queueSourceFor } from '../../src/queues/registry';
import { ComposeRuntime } from '../../src/runtimes/compose';
import { COMPOSE_LABELS } from '../../src/runtimes/compose-spec';
import { createScalerWorker } from '../../src/worker';
import { runCli } from '../harness/cli';
import { dockerHarness, nodeContainerBinds, nodeInContainer, TEST_LABEL, type DockerHarness } from '../harness/docker';
import { testTemporal } from '../harness/services';

const WORKER_JS = `process.on('SIGTERM', () => process.exit(0)); setInterval(() => undefined, 1000);`;
const NEVER = { scale_up_when: [{ metric: 'replicas.current', op: '<', value: 0 }], scale_down_when: [{ metric: 'replicas.current', op: '<', value: 0 }] };

describe('compose x-docktor (real compose file, test dockerd, Temporal dev server)', () => {
  const project = `xd${Date.now().toString(36)}${process.pid}`;
  let h: DockerHarness;
  let dir: string;
  let config: Config;
  let c: ControlClient;
  let worker: Worker;
  let running: Promise<void>;
  let runtime: ComposeRuntime;
  let address: string;

  before(async () => {
    h = await dockerHarness();
    const t = await testTemporal();
    address = t.address;
    dir = mkdtempSync(path.join(os.tmpdir(), 'docktor-x-docktor-it-'));
    mkdirSync(path.join(dir, 'app'));
    writeFileSync(path.join(dir, 'app', 'worker.js'), WORKER_JS);
    const service = (xDocktor: unknown) => ({
      image: h.baseImage,
      command: [nodeInContainer(), '/app/worker.js'],
      network_mode: 'host',
      volumes: [...nodeContainerBinds(), './app:/app:ro'],
      labels: { [TEST_LABEL]: 'true' },
      stop_grace_period: '1s',
      'x-docktor': xDocktor,
    });
    writeFileSync(
      path.join(dir, 'docker-compose.yaml'),
      stringify({
        services: {
          // min_replicas from a variable, as compose interpolates it.
          worker: service({ min_replicas: '${WORKER_MIN:-2}', max_replicas: 3, check_interval: 0.5, rules: NEVER }),
          // docktor.yaml names it too, and wins: no replica is made.
          spare: service({ min_replicas: 1, max_replicas: 3, check_interval: 0.5, rules: NEVER }),
        },
      }),
    );
    writeFileSync(
      path.join(dir, 'docktor.yaml'),
      stringify({
        project,
        compose_file: 'docker-compose.yaml',
        temporal: { namespace: t.namespace, task_queue: project },
        services: [{ name: 'spare', min_replicas: 0, max_replicas: 0, check_interval: 0.5, rules: NEVER }],
      }),
    );
    config = loadConfig(undefined, dir, {});
    runtime = new ComposeRuntime({ docker: h.docker, env: {} });
    c = await connectClient(config.temporal, address);
    const w = await createScalerWorker({ temporal: config.temporal, address, plugins: { runtimeFor: () => runtime, queueSourceFor } });
    worker = w.worker;
    running = worker.run().finally(() => w.connection.close());
  });

  after(async () => {
    await scalers.down(c, config).catch(() => undefined);
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await c.close();
    const left = await h.docker.listContainers({ all: true, filters: { label: [`${COMPOSE_LABELS.project}=${project}`] } });
    await Promise.all(left.map((x) => h.docker.getContainer(x.Id).remove({ force: true }).catch(() => undefined)));
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('scales the compose service from its x-docktor settings; docktor.yaml wins for the service it names', async () => {
    assert.deepEqual(config.services.map((s) => [s.name, s.min_replicas, s.max_replicas]), [['spare', 0, 0], ['worker', 2, 3]]);
    const shown = await runCli(['config', 'show', '--json'], { cwd: dir, env: {} });
    assert.equal(shown.code, 0, shown.err);
    assert.deepEqual((JSON.parse(shown.out) as Config).services.map((s) => s.name), ['spare', 'worker']);

    const started = await scalers.up(c, config);
    assert.deepEqual(started.map((r) => [r.service, r.outcome]), [['spare', 'started'], ['worker', 'started']]);
    const deadline = Date.now() + 90_000;
    let containers: string[] = [];
    while (Date.now() < deadline) {
      const list = await h.docker.listContainers({ filters: { label: [`${COMPOSE_LABELS.project}=${project}`] } });
      containers = list.map((x) => x.Labels[COMPOSE_LABELS.service]!).sort();
      if (containers.length >= 2) break;
      await sleep(250);
    }
    assert.deepEqual(containers, ['worker', 'worker'], 'two worker replicas (x-docktor min_replicas), none of spare (docktor.yaml max_replicas 0)');
    const [spare] = await scalers.status(c, config, 'spare');
    assert.equal(spare?.running && spare.max_replicas, 0);
  });
});
