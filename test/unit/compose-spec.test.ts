// New compose replicas: copied from an existing one, or built from the file; and the scale plan.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Dockerode from 'dockerode';
import { parse } from 'yaml';
import { parseComposeService } from '../../src/runtimes/compose-file';
import { planScale, replicasFromList, isReady, type ComposeReplica } from '../../src/runtimes/compose-plan';
import { cloneReplicaSpec, COMPOSE_LABELS, replicaName, specFromDefinition, type InspectedContainer } from '../../src/runtimes/compose-spec';

const ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';

/** A container as `docker compose up` leaves it (the fields the clone reads), on two networks. */
function composeContainer(): InspectedContainer {
  return {
    Id: ID,
    Name: '/shop-worker-1',
    Config: {
      Hostname: ID.slice(0, 12),
      Domainname: '',
      User: 'node',
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      ExposedPorts: { '8080/tcp': {} },
      Tty: false,
      OpenStdin: false,
      StdinOnce: false,
      Env: ['QUEUE=jobs', 'PATH=/usr/bin'],
      Cmd: ['node', 'worker.js'],
      Image: 'shop/worker:1.2',
      Volumes: { '/scratch': {} },
      WorkingDir: '/app',
      Entrypoint: ['tini', '--'],
      Labels: {
        [COMPOSE_LABELS.project]: 'shop',
        [COMPOSE_LABELS.service]: 'worker',
        [COMPOSE_LABELS.number]: '1',
        [COMPOSE_LABELS.oneoff]: 'False',
        'com.docker.compose.config-hash': 'abc',
        team: 'payments',
      },
      StopSignal: 'SIGINT',
      StopTimeout: 5,
    },
    HostConfig: {
      NetworkMode: 'shop_default',
      Binds: ['/srv/shop/data:/data:ro'],
      Mounts: [{ Type: 'volume', Source: 'shop_cache', Target: '/cache' }],
      PortBindings: { '8080/tcp': [{ HostIp: '', HostPort: '8080' }], '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] },
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
      ContainerIDFile: '/tmp/cid',
      Memory: 268435456,
    },
    NetworkSettings: {
      Networks: {
        shop_default: { Aliases: ['shop-worker-1', 'worker', ID.slice(0, 12)], NetworkID: 'n1', IPAMConfig: { IPv4Address: '172.20.0.5' } },
        shop_back: { Aliases: ['worker', 'jobs'], NetworkID: 'n2' },
      },
    },
  } as unknown as InspectedContainer;
}

describe('a replica copied from a running one', () => {
  it('keeps image, command, env, mounts, labels, user, dir, stop settings and host config; renumbers it', () => {
    const spec = cloneReplicaSpec(composeContainer(), 'shop', 'worker', 4);
    const c = spec.create;
    assert.equal(spec.name, 'shop-worker-4');
    assert.equal(c.name, 'shop-worker-4');
    assert.equal(c.Image, 'shop/worker:1.2');
    assert.deepEqual(c.Cmd, ['node', 'worker.js']);
    assert.deepEqual(c.Entrypoint, ['tini', '--']);
    assert.deepEqual(c.Env, ['QUEUE=jobs', 'PATH=/usr/bin']);
    assert.equal(c.User, 'node');
    assert.equal(c.WorkingDir, '/app');
    assert.equal(c.StopSignal, 'SIGINT');
    assert.equal(c.StopTimeout, 5);
    assert.deepEqual(c.Volumes, { '/scratch': {} });
    assert.equal(c.Labels?.[COMPOSE_LABELS.number], '4');
    assert.equal(c.Labels?.['com.docker.compose.config-hash'], 'abc');
    assert.equal(c.Labels?.team, 'payments');
    assert.equal(c.Hostname, undefined, 'the default hostname is the source id');
    const h = c.HostConfig as Dockerode.HostConfig;
    assert.deepEqual(h.Binds, ['/srv/shop/data:/data:ro']);
    assert.deepEqual(h.Mounts, [{ Type: 'volume', Source: 'shop_cache', Target: '/cache' }]);
    assert.equal(h.Memory, 268435456);
    assert.deepEqual(h.RestartPolicy, { Name: 'unless-stopped', MaximumRetryCount: 0 });
    assert.equal(h.ContainerIDFile, undefined);
    assert.deepEqual(h.PortBindings, { '8080/tcp': [{ HostIp: '', HostPort: '' }], '9090/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  });

  it('joins the same networks with its own name as alias and no fixed IP; the mode network at create', () => {
    const spec = cloneReplicaSpec(composeContainer(), 'shop', 'worker', 2);
    assert.deepEqual(spec.create.NetworkingConfig, { EndpointsConfig: { shop_default: { Aliases: ['worker', 'shop-worker-2'] } } });
    assert.deepEqual(spec.connect, [{ network: 'shop_back', endpoint: { Aliases: ['worker', 'jobs'] } }]);
  });

  it('with host networking: no endpoints and no hostname', () => {
    const src = composeContainer();
    src.HostConfig.NetworkMode = 'host';
    src.Config.Hostname = 'my-laptop';
    src.NetworkSettings.Networks = { host: { NetworkID: 'h' } as InspectedContainer['NetworkSettings']['Networks'][string] };
    const spec = cloneReplicaSpec(src, 'shop', 'worker', 2);
    assert.equal(spec.create.NetworkingConfig, undefined);
    assert.deepEqual(spec.connect, []);
    assert.equal(spec.create.Hostname, undefined);
    assert.equal(spec.create.HostConfig?.NetworkMode, 'host');
  });
});

describe('a replica from the compose file', () => {
  it('carries the compose labels, mounts and networks', () => {
    const { definition } = parseComposeService(
      parse(`
services:
  worker:
    image: shop/worker:1.2
    command: node worker.js
    volumes: [ "./data:/data:ro", "cache:/cache", { type: bind, source: /etc/app, target: /etc/app, read_only: true } ]
    networks: { default: , back: { aliases: [jobs] } }
    labels: [ team=payments ]
    stop_grace_period: 1500ms
    stop_signal: SIGINT
    restart: always
    user: node
volumes: { cache: }
networks: { back: }
`),
      'worker',
      { project: 'shop', dir: '/srv/shop', env: {} },
    );
    const spec = specFromDefinition(definition, 3, { project: 'shop', composeFile: '/srv/shop/compose.yaml', environment: { QUEUE: 'jobs' } });
    const c = spec.create;
    assert.equal(c.name, replicaName('shop', 'worker', 3));
    assert.deepEqual(c.Labels, {
      team: 'payments',
      [COMPOSE_LABELS.project]: 'shop',
      [COMPOSE_LABELS.service]: 'worker',
      [COMPOSE_LABELS.number]: '3',
      [COMPOSE_LABELS.oneoff]: 'False',
      [COMPOSE_LABELS.configFiles]: '/srv/shop/compose.yaml',
      [COMPOSE_LABELS.workingDir]: '/srv/shop',
    });
    assert.deepEqual(c.Cmd, ['node', 'worker.js']);
    assert.deepEqual(c.Env, ['QUEUE=jobs']);
    assert.equal(c.StopTimeout, 2);
    assert.equal(c.StopSignal, 'SIGINT');
    assert.equal(c.User, 'node');
    const h = c.HostConfig as Dockerode.HostConfig;
    assert.equal(h.NetworkMode, 'shop_default');
    assert.deepEqual(h.Binds, ['/srv/shop/data:/data:ro']);
    assert.deepEqual(h.Mounts, [
      { Type: 'volume', Source: 'shop_cache', Target: '/cache', ReadOnly: false },
      { Type: 'bind', Source: '/etc/app', Target: '/etc/app', ReadOnly: true },
    ]);
    assert.deepEqual(h.RestartPolicy, { Name: 'always', MaximumRetryCount: 0 });
    assert.deepEqual(c.NetworkingConfig, { EndpointsConfig: { shop_default: { Aliases: ['shop-worker-3', 'worker'] } } });
    assert.deepEqual(spec.connect, [{ network: 'shop_back', endpoint: { Aliases: ['shop-worker-3', 'worker', 'jobs'] } }]);
  });
});

function r(number: number, state: string, health?: ComposeReplica['health']): ComposeReplica {
  return { id: `id${number}`, name: `shop-worker-${number}`, number, state, ...(health ? { health } : {}) };
}
const numbers = (rs: ComposeReplica[]) => rs.map((x) => x.number);

describe('the scale plan', () => {
  it('scales up with the numbers after the highest, down newest first', () => {
    const up = planScale([r(1, 'running')], 3);
    assert.deepEqual(up.create, [2, 3]);
    assert.deepEqual([up.stop, up.remove, up.start], [[], [], []]);
    const down = planScale([r(1, 'running'), r(2, 'running'), r(3, 'running')], 1);
    assert.deepEqual(numbers(down.stop), [3, 2]);
    assert.deepEqual(down.create, []);
    assert.deepEqual(numbers(planScale([r(1, 'running'), r(2, 'running')], 0).stop), [2, 1]);
    assert.deepEqual(planScale([], 2).create, [1, 2]);
  });

  it('ensuring the same number changes nothing', () => {
    const plan = planScale([r(1, 'running'), r(2, 'running')], 2);
    assert.deepEqual(plan, { stop: [], remove: [], start: [], create: [] });
  });

  it('restarts stopped replicas before creating, and removes them first when scaling down', () => {
    const mixed = [r(1, 'running'), r(2, 'exited'), r(3, 'running'), r(4, 'created')];
    const same = planScale(mixed, 4);
    assert.deepEqual(numbers(same.start), [2, 4]);
    assert.deepEqual(same.create, []);
    const down = planScale(mixed, 2);
    assert.deepEqual(numbers(down.remove), [4, 2]);
    assert.deepEqual(down.stop, []);
    const up = planScale(mixed, 6);
    assert.deepEqual(numbers(up.start), [2, 4]);
    assert.deepEqual(up.create, [5, 6]);
  });

  it('removes dead containers, skips their numbers, ignores ones being removed', () => {
    const plan = planScale([r(1, 'running'), r(2, 'dead'), r(5, 'removing')], 2);
    assert.deepEqual(numbers(plan.remove), [2]);
    assert.deepEqual(plan.create, [6]);
  });

  it('reads replicas from the container list, leaving one-off containers out', () => {
    const list = [
      { Id: 'b', Names: ['/shop-worker-2'], State: 'running', Status: 'Up 3 seconds (health: starting)', Labels: { [COMPOSE_LABELS.number]: '2' } },
      { Id: 'a', Names: ['/shop-worker-1'], State: 'running', Status: 'Up 1 minute (healthy)', Labels: { [COMPOSE_LABELS.number]: '1', [COMPOSE_LABELS.oneoff]: 'False' } },
      { Id: 'c', Names: ['/shop-worker-run-x'], State: 'running', Status: 'Up', Labels: { [COMPOSE_LABELS.number]: '1', [COMPOSE_LABELS.oneoff]: 'True' } },
      { Id: 'd', Names: ['/shop-worker-3'], State: 'exited', Status: 'Exited (1) 2 seconds ago', Labels: { [COMPOSE_LABELS.number]: '3' } },
    ] as unknown as Dockerode.ContainerInfo[];
    const replicas = replicasFromList(list);
    assert.deepEqual(
      replicas.map((x) => [x.name, x.number, x.state, x.health]),
      [
        ['shop-worker-1', 1, 'running', 'healthy'],
        ['shop-worker-2', 2, 'running', 'starting'],
        ['shop-worker-3', 3, 'exited', undefined],
      ],
    );
    assert.deepEqual(replicas.map(isReady), [true, false, false]);
  });
});
