// The compose runtime against the real dockerd of the harness: replicas made like `docker compose up`
// makes them (labels, names, numbers), scaled 1 -> 3 -> 1 -> 0 -> 2, copied from a running replica or
// created from the compose file, graceful stop observed through the Engine's `die` events (exit 0 for
// a replica that handles SIGTERM, 137 for one that ignores it, killed after the grace), restart of a
// stopped replica, concurrent ensures, and CPU of a busy replica above that of an idle one.
// Containers run the host's Node from read-only binds of the host's /usr, /lib... (host network).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Dockerode from 'dockerode';
import { stringify } from 'yaml';
import { ServiceSchema } from '../../src/config/service';
import type { ComposeRuntimeConfig } from '../../src/config/runtime';
import { ConfigurationError } from '../../src/errors';
import { ComposeRuntime } from '../../src/runtimes/compose';
import { COMPOSE_LABELS } from '../../src/runtimes/compose-spec';
import type { RuntimeTarget } from '../../src/runtimes/runtime';
import { closeRuntimes, runtimeFor } from '../../src/runtimes/registry';
import { dockerHarness, followEngineEvents, nodeContainerBinds, nodeInContainer, secondDockerHarness, TEST_LABEL, type DockerHarness } from '../harness/docker';

// A tiny worker: exits 0 on SIGTERM, or ignores it (STOP_MODE=ignore); BUSY=<s> keeps ~80 % of a
// core busy for that long (then idles), so no loop outlives the test.
const WORKER_JS = `
const mode = process.env.STOP_MODE || 'graceful';
process.on('SIGTERM', () => { if (mode === 'graceful') process.exit(0); });
const busyUntil = Date.now() + Number(process.env.BUSY || 0) * 1000;
function tick() {
  if (Date.now() < busyUntil) { const end = Date.now() + 80; while (Date.now() < end); setTimeout(tick, 20); }
  else setTimeout(tick, 1000);
}
tick();
`;

const project = `dt${Date.now().toString(36)}${process.pid}`;
let h: DockerHarness;
let runtime: ComposeRuntime;
let dir: string;
let composeFile: string;

function target(service: string, runtimeConfig: Partial<ComposeRuntimeConfig> = {}, withFile = true): RuntimeTarget<ComposeRuntimeConfig> {
  const svc = ServiceSchema.parse({ name: service, min_replicas: 0, max_replicas: 10, rules: {}, runtime: { kind: 'compose', ...runtimeConfig } });
  if (svc.runtime.kind !== 'compose') throw new Error('unreachable: a compose runtime was given');
  return { project, service: svc, runtime: svc.runtime, ...(withFile ? { compose_file: composeFile } : {}) };
}

/** The service's containers, by number: name, state, labels. */
async function containers(service: string): Promise<Dockerode.ContainerInfo[]> {
  const list = await h.docker.listContainers({
    all: true,
    filters: { label: [`${COMPOSE_LABELS.project}=${project}`, `${COMPOSE_LABELS.service}=${service}`] },
  });
  return list.sort((a, b) => Number(a.Labels[COMPOSE_LABELS.number]) - Number(b.Labels[COMPOSE_LABELS.number]));
}
const names = (cs: Dockerode.ContainerInfo[]) => cs.map((c) => c.Names[0].replace(/^\//, ''));

/** Containers of this project that died, with their exit codes, from the Engine's event stream. */
interface Death {
  name: string;
  exitCode: number;
}
async function watchDeaths(): Promise<{ deaths: Death[]; stop: () => void }> {
  const deaths: Death[] = [];
  const filters = { type: ['container'], event: ['die'], label: [`${COMPOSE_LABELS.project}=${project}`] };
  const stop = await followEngineEvents(h.docker, filters, (ev) => {
    const attrs = ev.Actor?.Attributes ?? {};
    deaths.push({ name: attrs['name'] ?? '?', exitCode: Number(attrs['exitCode']) });
  });
  return { deaths, stop };
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The first replica, made as `docker compose up` makes it. */
async function composeUpFirstReplica(service: string, env: string[]): Promise<void> {
  const c = await h.docker.createContainer({
    name: `${project}-${service}-1`,
    Image: h.baseImage,
    Cmd: [nodeInContainer(), '/app/worker.js'],
    Env: env,
    Labels: {
      [COMPOSE_LABELS.project]: project,
      [COMPOSE_LABELS.service]: service,
      [COMPOSE_LABELS.number]: '1',
      [COMPOSE_LABELS.oneoff]: 'False',
      'com.docker.compose.config-hash': 'test-hash',
      [TEST_LABEL]: 'true',
      team: 'payments',
    },
    WorkingDir: '/app',
    StopSignal: 'SIGTERM',
    HostConfig: { NetworkMode: 'host', Binds: [...nodeContainerBinds(), `${dir}/app:/app:ro`] },
  });
  await c.start();
}

before(async () => {
  h = await dockerHarness();
  runtime = new ComposeRuntime({ docker: h.docker, env: {} });
  dir = mkdtempSync(path.join(os.tmpdir(), 'docktor-compose-it-'));
  mkdirSync(path.join(dir, 'app'));
  writeFileSync(path.join(dir, 'app', 'worker.js'), WORKER_JS);
  composeFile = path.join(dir, 'docker-compose.yaml');
  const nodeVolumes = nodeContainerBinds();
  writeFileSync(
    composeFile,
    stringify({
      services: {
        worker: {
          image: h.baseImage,
          command: [nodeInContainer(), '/app/worker.js'],
          working_dir: '/app',
          network_mode: 'host',
          volumes: [...nodeVolumes, './app:/app:ro'],
          environment: { STOP_MODE: 'ignore', FROM_FILE: 'yes' },
          labels: { [TEST_LABEL]: 'true' },
          stop_grace_period: '1s',
        },
        cpu: { image: h.baseImage, command: [nodeInContainer(), '/app/worker.js'], network_mode: 'host', volumes: [...nodeVolumes, './app:/app:ro'], labels: { [TEST_LABEL]: 'true' } },
        odd: { image: h.baseImage, network_mode: 'host', ports: ['8080:80'], healthcheck: { test: ['NONE'] } },
        // On the project's default network (a bridge docktor creates as compose would), with an alias.
        net: {
          image: h.baseImage,
          command: [nodeInContainer(), '/app/worker.js'],
          volumes: [...nodeVolumes, './app:/app:ro'],
          networks: { default: { aliases: ['jobs'] } },
          labels: { [TEST_LABEL]: 'true' },
        },
      },
    }),
  );
});

after(async () => {
  if (h) {
    const left = await h.docker.listContainers({ all: true, filters: { label: [`${COMPOSE_LABELS.project}=${project}`] } });
    await Promise.all(left.map((c) => h.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
  }
  if (h) await h.docker.getNetwork(`${project}_default`).remove().catch(() => undefined);
  await runtime?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('compose runtime', () => {
  it('scales 1 -> 3 -> 1 -> 0 -> 2: names, labels, numbers, graceful stops, from the file at zero', async () => {
    const events = await watchDeaths();
    try {
      await composeUpFirstReplica('worker', ['STOP_MODE=graceful', 'QUEUE=jobs']);
      const t = target('worker', { grace_period: 1 });
      assert.deepEqual(await runtime.observe(t).then((o) => [o['replicas.current'], o['replicas.ready']]), [1, 1]);

      // 1 -> 3: copies of replica 1
      const up = await runtime.ensure(t, 3);
      assert.deepEqual([up.before, up.after], [1, 3]);
      assert.match(up.detail, new RegExp(`started ${project}-worker-2, ${project}-worker-3$`));
      let cs = await containers('worker');
      assert.deepEqual(names(cs), [1, 2, 3].map((n) => `${project}-worker-${n}`));
      assert.deepEqual(cs.map((c) => c.Labels[COMPOSE_LABELS.number]), ['1', '2', '3']);
      assert.deepEqual(cs.map((c) => c.State), ['running', 'running', 'running']);
      for (const c of cs) {
        assert.equal(c.Labels[COMPOSE_LABELS.oneoff], 'False');
        assert.equal(c.Labels['com.docker.compose.config-hash'], 'test-hash');
        assert.equal(c.Labels.team, 'payments');
      }
      const copy = await h.docker.getContainer(cs[2].Id).inspect();
      assert.deepEqual(copy.Config.Env.filter((e) => !e.startsWith('PATH=')), ['STOP_MODE=graceful', 'QUEUE=jobs']);
      assert.deepEqual(copy.Config.Cmd, [nodeInContainer(), '/app/worker.js']);
      assert.equal(copy.Config.WorkingDir, '/app');
      assert.equal(copy.HostConfig.NetworkMode, 'host');
      assert.deepEqual(copy.HostConfig.Binds, [...nodeContainerBinds(), `${dir}/app:/app:ro`]);
      const o3 = await runtime.observe(t);
      assert.equal(o3['replicas.current'], 3);
      assert.equal(o3['replicas.ready'], 3);
      assert.ok(o3['mem.avg_mb'] > 1, `a running Node uses some memory: ${JSON.stringify(o3)}`);

      // Ensuring 3 again changes nothing.
      const again = await runtime.ensure(t, 3);
      assert.deepEqual([again.before, again.after], [3, 3]);
      assert.deepEqual((await containers('worker')).map((c) => c.Id), cs.map((c) => c.Id));

      // 3 -> 1: newest first, SIGTERM handled: exit 0, well before the grace ends.
      const down = await runtime.ensure(t, 1);
      assert.deepEqual([down.before, down.after], [3, 1]);
      assert.match(down.detail, new RegExp(`stopped ${project}-worker-3 \\(exit 0 after [\\d.]+ s\\), ${project}-worker-2 \\(exit 0`));
      cs = await containers('worker');
      assert.deepEqual(names(cs), [`${project}-worker-1`]);
      await waitFor('two die events', async () => (events.deaths.length >= 2 ? true : undefined));
      assert.deepEqual(
        events.deaths.map((d) => [d.name, d.exitCode]).sort(),
        [
          [`${project}-worker-2`, 0],
          [`${project}-worker-3`, 0],
        ],
      );

      // 1 -> 0
      const zero = await runtime.ensure(t, 0);
      assert.deepEqual([zero.before, zero.after], [1, 0]);
      assert.deepEqual(await containers('worker'), []);
      assert.deepEqual(await runtime.observe(t), { 'replicas.current': 0, 'replicas.ready': 0 });

      // 0 -> 2: from the compose file (its STOP_MODE=ignore, stop_grace_period 1s).
      const fromFile = await runtime.ensure(target('worker'), 2);
      assert.deepEqual([fromFile.before, fromFile.after], [0, 2]);
      assert.match(fromFile.detail, /\(from the compose file\)/);
      cs = await containers('worker');
      assert.deepEqual(names(cs), [`${project}-worker-1`, `${project}-worker-2`]);
      for (const c of cs) {
        assert.equal(c.State, 'running');
        assert.equal(c.Labels[COMPOSE_LABELS.oneoff], 'False');
        assert.equal(c.Labels[COMPOSE_LABELS.configFiles], composeFile);
        assert.equal(c.Labels[COMPOSE_LABELS.workingDir], dir);
        assert.equal(c.Labels[TEST_LABEL], 'true');
      }
      const made = await h.docker.getContainer(cs[0].Id).inspect();
      assert.ok(made.Config.Env.includes('FROM_FILE=yes'));
      assert.ok(made.HostConfig.Binds?.includes(`${dir}/app:/app:ro`), 'the relative ./app is resolved against the compose file');
      assert.equal((made.Config as { StopTimeout?: number }).StopTimeout, 1);
      await waitFor('2 ready', async () => ((await runtime.observe(target('worker')))['replicas.ready'] === 2 ? true : undefined));

      // 2 -> 0 with replicas that ignore SIGTERM: SIGKILL after the file's 1 s grace, exit 137.
      events.deaths.length = 0;
      const started = Date.now();
      await runtime.ensure(target('worker'), 0);
      const took = Date.now() - started;
      assert.ok(took >= 1000, `the grace period was honoured (${took} ms)`);
      await waitFor('two die events', async () => (events.deaths.length >= 2 ? true : undefined));
      assert.deepEqual(events.deaths.map((d) => d.exitCode), [137, 137]);
    } finally {
      events.stop();
    }
  });

  it('restarts a stopped replica (counted, not ready) before creating; serializes concurrent ensures', async () => {
    const t = target('worker', { grace_period: 1 });
    await composeUpFirstReplica('worker', ['STOP_MODE=graceful']);
    await runtime.ensure(t, 2);
    const [first] = await containers('worker');
    await h.docker.getContainer(first.Id).kill();
    await waitFor('replica 1 exited', async () => ((await containers('worker'))[0].State === 'exited' ? true : undefined));
    const seen = await runtime.observe(t);
    assert.deepEqual([seen['replicas.current'], seen['replicas.ready']], [2, 1]);

    const [a, b] = await Promise.all([runtime.ensure(t, 3), runtime.ensure(t, 3)]);
    assert.match(a.detail, new RegExp(`restarted ${project}-worker-1; started ${project}-worker-3`));
    assert.deepEqual([b.before, b.after], [3, 3], 'the second call saw the first one done');
    const cs = await containers('worker');
    assert.deepEqual(names(cs), [1, 2, 3].map((n) => `${project}-worker-${n}`));
    assert.equal(cs[0].Id, first.Id, 'the stopped replica was started, not replaced');
    assert.ok(cs.every((c) => c.State === 'running'));
    await runtime.ensure(t, 0);
    assert.deepEqual(await containers('worker'), []);
  });

  it('measures CPU: a busy replica above an idle one', async () => {
    const busy = target('cpu');
    const idle = target('worker', { grace_period: 1 });
    await composeUpFirstReplica('cpu', ['BUSY=8']);
    await composeUpFirstReplica('worker', ['STOP_MODE=graceful']);
    await new Promise((r) => setTimeout(r, 1000));
    const [b, i] = await Promise.all([runtime.observe(busy), runtime.observe(idle)]);
    assert.ok(b['cpu.avg_pct'] > 30, `busy: ${JSON.stringify(b)}`);
    assert.ok(i['cpu.avg_pct'] < 10, `idle: ${JSON.stringify(i)}`);
    assert.ok(b['cpu.avg_pct'] > i['cpu.avg_pct'] + 20);
    assert.equal(b['cpu.max_pct'], b['cpu.avg_pct'], 'one replica: max is the average');
    for (const o of [b, i]) {
      assert.ok(o['mem.avg_mb'] > 1 && o['mem.avg_mb'] < 500, JSON.stringify(o));
      assert.ok(o['mem.avg_pct'] > 0 && o['mem.avg_pct'] < 100, JSON.stringify(o));
    }
    await runtime.ensure(busy, 0);
    await runtime.ensure(idle, 0);
  });

  it('creates the project network from the file, and copies keep its aliases under their own name', async () => {
    const t = target('net', { grace_period: 1 });
    await runtime.ensure(t, 1);
    const network = (await h.docker.getNetwork(`${project}_default`).inspect()) as { Labels: Record<string, string> };
    assert.deepEqual(network.Labels, { [COMPOSE_LABELS.project]: project, [COMPOSE_LABELS.network]: 'default' });
    await runtime.ensure(t, 2);
    const cs = await containers('net');
    assert.deepEqual(names(cs), [`${project}-net-1`, `${project}-net-2`]);
    const aliases = await Promise.all(
      cs.map(async (c) => {
        const info = await h.docker.getContainer(c.Id).inspect();
        assert.equal(info.HostConfig.NetworkMode, `${project}_default`);
        const ep = info.NetworkSettings.Networks[`${project}_default`] as { Aliases?: string[] };
        return (ep.Aliases ?? []).filter((a) => a.length !== 12 || !info.Id.startsWith(a)).sort();
      }),
    );
    assert.deepEqual(aliases, [
      [`${project}-net-1`, 'jobs', 'net'],
      [`${project}-net-2`, 'jobs', 'net'],
    ]);
    await runtime.ensure(t, 0);
  });

  it('finds the Engine through DOCKER_HOST, as the docker CLI does', async () => {
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = h.dockerHost;
    try {
      const fromEnv = new ComposeRuntime({ env: {} });
      const [reach] = await fromEnv.check(target('worker'));
      assert.equal(reach.ok, true, reach.detail);
      assert.ok(reach.detail?.endsWith(`at ${h.dockerHost}`), reach.detail);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });

  it('checks Docker, the compose file, the service and its keys', async () => {
    const ok = await runtime.check(target('worker'));
    assert.deepEqual(
      ok.map((r) => [r.label, r.ok]),
      [
        ['Docker reachable', true],
        [`Compose file defines service 'worker'`, true],
        [`Compose service 'worker' uses only keys docktor applies`, true],
        [`Containers of compose service 'worker' (project '${project}')`, true],
      ],
    );
    assert.match(ok[0].detail ?? '', /^Engine \S+ \(API [\d.]+/);

    const odd = await runtime.check(target('odd'));
    assert.equal(odd[2].ok, false);
    assert.match(odd[2].detail ?? '', /unsupported: ports, healthcheck/);

    const missing = await runtime.check(target('nope'));
    assert.equal(missing[1].ok, false);
    assert.match(missing[1].detail ?? '', /services\.nope: not defined \(services: worker, cpu, odd, net\)/);

    const noFile = await runtime.check(target('worker', {}, false));
    assert.equal(noFile.at(-1)?.ok, false);
    assert.match(noFile.at(-1)?.detail ?? '', /none found .* and no compose_file/);
    await assert.rejects(runtime.ensure(target('worker', {}, false), 1), ConfigurationError);

    const unreachable = new ComposeRuntime({ docker: new (h.docker.constructor as typeof Dockerode)({ socketPath: path.join(dir, 'no.sock') }) });
    const down = await unreachable.check(target('worker'));
    assert.equal(down[0].ok, false);
    assert.match(down[0].detail ?? '', /cannot reach the Docker Engine at unix:\/\/.*no\.sock/);
  });

  it('runtime.docker_host: the replicas are made on that Engine, never on the default one (issue: machines)', async () => {
    const other = await secondDockerHarness();
    const t = target('worker', { docker_host: other.dockerHost });
    const onOther = (docker: Dockerode) =>
      docker.listContainers({ all: true, filters: { label: [`${COMPOSE_LABELS.project}=${project}`, `${COMPOSE_LABELS.service}=worker`] } });
    try {
      // The registry's lookup, as the activities do it: a runtime bound to the named Engine.
      const rt = runtimeFor(t);
      const before = (await onOther(h.docker)).length;
      assert.deepEqual(await rt.ensure(t, 2).then((r) => r.after), 2);
      assert.equal((await onOther(other.docker)).length, 2, 'two replicas on the named Engine');
      assert.equal((await onOther(h.docker)).length, before, 'none added on the default Engine');
      assert.equal((await rt.observe(t))['replicas.current'], 2);
      const [reachable] = await rt.check(t);
      assert.match(reachable?.detail ?? '', new RegExp(`at ${other.dockerHost.replace(/[/.]/g, '\\$&')}`));
      await rt.ensure(t, 0);
      assert.equal((await onOther(other.docker)).filter((c) => c.State === 'running').length, 0);
    } finally {
      const left = await onOther(other.docker);
      await Promise.all(left.map((c) => other.docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined)));
      await closeRuntimes();
    }
  });
});
