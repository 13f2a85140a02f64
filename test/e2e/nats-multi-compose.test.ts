// The NATS example's end-to-end scenario (scenario.ts) with `runtime: compose` on the harness's
// real dockerd. The consumer service is the example's (examples/nats-multi/docker-compose.yaml:
// its environment and stop_grace_period), run as a registry-free container: the empty base image,
// host network, the host's Node and the compiled example bound read-only. Replica 1 is made the way
// `docker compose up` makes it; docktor removes it on the override to 0, creates the next one from
// the compose file, and copies running ones after that. Creations and removals are counted from
// the Engine's event stream.
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import type Dockerode from 'dockerode';
import { parse, stringify } from 'yaml';
import { COMPOSE_LABELS } from '../../src/runtimes/compose-spec';
import { followEngineEvents, nodeContainerBinds, nodeInContainer, TEST_LABEL, type DockerHarness } from '../harness/docker';
import { stopTestServices, testDocker } from '../harness/services';
import { DIST_ROOT } from './cli';
import { EXAMPLE_DIST, POLICY, runScenario, type ScenarioContext, type Variant } from './scenario';

after(stopTestServices);

const EXAMPLE_COMPOSE = path.join(process.cwd(), 'examples', 'nats-multi', 'docker-compose.yaml');

interface ComposeService {
  environment?: Record<string, string | number>;
  stop_grace_period?: string;
  [key: string]: unknown;
}

/** The example's consumer, made runnable without a registry; everything else as the example has it. */
function testComposeFile(ctx: Pick<ScenarioContext, 'dir' | 'consumerEnv'>, h: DockerHarness): { file: string; service: ComposeService } {
  const example = parse(fs.readFileSync(EXAMPLE_COMPOSE, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const consumer = example.services.consumer;
  if (!consumer) throw new Error(`${EXAMPLE_COMPOSE} has no consumer service`);
  const binds = [...nodeContainerBinds(), `${process.cwd()}:${process.cwd()}:ro`];
  if (!DIST_ROOT.startsWith(`${process.cwd()}${path.sep}`)) binds.push(`${DIST_ROOT}:${DIST_ROOT}:ro`);
  const service: ComposeService = {
    image: h.baseImage,
    command: [nodeInContainer(), path.join(EXAMPLE_DIST, 'consumer.js')],
    environment: { ...consumer.environment, ...ctx.consumerEnv },
    network_mode: 'host',
    volumes: binds,
    labels: { [TEST_LABEL]: 'true' },
    stop_grace_period: `${POLICY.grace_period}s`,
  };
  const file = path.join(ctx.dir, 'docker-compose.yaml');
  fs.writeFileSync(file, stringify({ services: { consumer: service } }));
  return { file, service };
}

/** Creations and removals of the project's containers, as the Engine reports them. */
class EngineEvents {
  created = 0;
  removed = 0;
  private stopFollowing: (() => void) | undefined;

  async watch(docker: Dockerode, project: string): Promise<void> {
    const filters = { type: ['container'], event: ['create', 'destroy'], label: [`${COMPOSE_LABELS.project}=${project}`] };
    this.stopFollowing = await followEngineEvents(docker, filters, (event) => {
      const action = event.Action ?? event.status;
      if (action === 'create') this.created++;
      if (action === 'destroy') this.removed++;
    });
  }

  stop(): void {
    this.stopFollowing?.();
  }
}

let harness: DockerHarness;
const events = new EngineEvents();
let service: ComposeService;
let composeFile: string;

const composeVariant: Variant = {
  name: 'compose',
  workerEnv: () => ({ DOCKER_HOST: harness.dockerHost }),
  runtime(ctx) {
    ({ file: composeFile, service } = testComposeFile(ctx, harness));
    return { runtime: { kind: 'compose' }, compose_file: composeFile };
  },
  // What `docker compose up` makes: name, the compose labels, the service's definition.
  async startFirstReplica(ctx) {
    await events.watch(harness.docker, ctx.project);
    const env = Object.entries(service.environment ?? {}).map(([k, v]) => `${k}=${v}`);
    const c = await harness.docker.createContainer({
      name: `${ctx.project}-consumer-1`,
      Image: harness.baseImage,
      Cmd: service.command as string[],
      Env: env,
      Labels: {
        [COMPOSE_LABELS.project]: ctx.project,
        [COMPOSE_LABELS.service]: 'consumer',
        [COMPOSE_LABELS.number]: '1',
        [COMPOSE_LABELS.oneoff]: 'False',
        [COMPOSE_LABELS.configFiles]: composeFile,
        [COMPOSE_LABELS.workingDir]: ctx.dir,
        [TEST_LABEL]: 'true',
      },
      StopSignal: 'SIGTERM',
      StopTimeout: POLICY.grace_period,
      HostConfig: { NetworkMode: 'host', Binds: service.volumes as string[] },
    });
    await c.start();
  },
  async counts(ctx) {
    const list = await harness.docker.listContainers({
      all: true,
      filters: { label: [`${COMPOSE_LABELS.project}=${ctx.project}`, `${COMPOSE_LABELS.service}=consumer`] },
    });
    return { live: list.filter((c) => c.State === 'running').length, created: events.created, removed: events.removed };
  },
  async cleanup(ctx) {
    events.stop();
    const list = await harness.docker.listContainers({ all: true, filters: { label: [`${COMPOSE_LABELS.project}=${ctx.project}`] } });
    await Promise.all(list.map((c) => harness.docker.getContainer(c.Id).remove({ force: true })));
  },
};

test('NATS example, runtime compose: override to 0, backlog, resume, scale up, worker killed and restarted, drain, back to min', { timeout: 180_000 }, async () => {
  harness = await testDocker();
  await runScenario(composeVariant);
});
