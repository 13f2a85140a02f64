// The swarm runtime against the harness's dockerd made a single-node swarm (initialised here when it
// is not a manager yet, and left so for other tests sharing the engine): a service of the base image
// running the host's Node (bind mounts, host network) scaled 1 -> 3 -> 0 -> 1 through the services
// API, with the running tasks counted as ready.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ServiceSchema } from '../../src/config/service';
import type { SwarmRuntimeConfig } from '../../src/config/runtime';
import { ConfigurationError } from '../../src/errors';
import type { RuntimeTarget } from '../../src/runtimes/runtime';
import { SwarmRuntime } from '../../src/runtimes/swarm';
import { dockerHarness, nodeContainerBinds, nodeInContainer, TEST_LABEL, type DockerHarness } from '../harness/docker';

const project = `dt${Date.now().toString(36)}${process.pid}`;
let h: DockerHarness;
let runtime: SwarmRuntime;
let dir: string;
let managerBefore: boolean;
const created: string[] = [];

function target(name: string, service?: string): RuntimeTarget<SwarmRuntimeConfig> {
  const svc = ServiceSchema.parse({ name, min_replicas: 0, max_replicas: 10, rules: {}, runtime: { kind: 'swarm', ...(service ? { service } : {}) } });
  if (svc.runtime.kind !== 'swarm') throw new Error('unreachable: a swarm runtime was given');
  return { project, service: svc, runtime: svc.runtime };
}

interface Info {
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean };
}
async function isManager(): Promise<boolean> {
  const info = (await h.docker.info()) as Info;
  return info.Swarm?.LocalNodeState === 'active' && info.Swarm.ControlAvailable === true;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function readyIs(t: RuntimeTarget<SwarmRuntimeConfig>, n: number): Promise<void> {
  await waitFor(`${n} running task(s)`, async () => ((await runtime.observe(t))['replicas.ready'] === n ? true : undefined));
}

before(async () => {
  h = await dockerHarness();
  runtime = new SwarmRuntime({ docker: h.docker });
  dir = mkdtempSync(path.join(os.tmpdir(), 'docktor-swarm-it-'));
  writeFileSync(path.join(dir, 'worker.js'), "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000);\n");
  managerBefore = await isManager();
});

after(async () => {
  if (h) {
    for (const name of created) await h.docker.getService(name).remove().catch(() => undefined);
    // The tasks' containers go with the service; wait so that no test leaves them behind.
    for (const name of created) {
      await waitFor(`task containers of ${name} removed`, async () => {
        const left = await h.docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } });
        return left.length === 0 ? true : undefined;
      }, 15_000);
    }
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('swarm runtime', () => {
  it('needs a manager: check says so, then `docker swarm init` makes one', async () => {
    if (!managerBefore) {
      const checks = await runtime.check(target('worker'));
      assert.deepEqual(checks.map((c) => [c.label, c.ok]), [
        ['Docker reachable', true],
        ['Docker node is a swarm manager', false],
      ]);
      assert.match(checks[1].detail ?? '', /docker swarm init/);
      await assert.rejects(runtime.observe(target('worker')), ConfigurationError);
      await h.docker.swarmInit({ ListenAddr: '127.0.0.1:2377', AdvertiseAddr: '127.0.0.1' });
    }
    assert.equal(await isManager(), true);
  });

  it('scales a service 1 -> 3 -> 0 -> 1 with the version index; counts running tasks as ready', async () => {
    const name = `${project}_worker`;
    await h.docker.createService({
      Name: name,
      Labels: { [TEST_LABEL]: 'true' },
      TaskTemplate: {
        ContainerSpec: {
          Image: h.baseImage,
          Command: [nodeInContainer(), '/app/worker.js'],
          Mounts: [...nodeContainerBinds(), `${dir}:/app:ro`].map((b) => {
            const [Source, Target] = b.split(':');
            return { Type: 'bind' as const, Source, Target, ReadOnly: true };
          }),
          StopGracePeriod: 2_000_000_000,
        },
        Networks: [{ Target: 'host' }],
        RestartPolicy: { Condition: 'on-failure' },
      },
      Mode: { Replicated: { Replicas: 1 } },
    });
    created.push(name);
    const t = target('worker');
    await readyIs(t, 1);
    assert.equal((await runtime.observe(t))['replicas.current'], 1);

    const up = await runtime.ensure(t, 3);
    assert.deepEqual(up, { before: 1, after: 3, detail: `${name}: replicas 1 -> 3` });
    assert.equal((await runtime.observe(t))['replicas.current'], 3, 'the spec says 3 at once');
    await readyIs(t, 3);
    const spec = (await h.docker.getService(name).inspect()) as { Spec: { Labels?: Record<string, string>; TaskTemplate?: { ContainerSpec?: { Command?: string[] } } } };
    assert.equal(spec.Spec.Labels?.[TEST_LABEL], 'true', 'the rest of the spec is kept');
    assert.deepEqual(spec.Spec.TaskTemplate?.ContainerSpec?.Command, [nodeInContainer(), '/app/worker.js']);

    const [a, b] = await Promise.all([runtime.ensure(t, 3), runtime.ensure(t, 3)]);
    assert.deepEqual([a.after, b.after], [3, 3]);
    assert.match(a.detail, /as wanted/);

    await runtime.ensure(t, 0);
    assert.equal((await runtime.observe(t))['replicas.current'], 0);
    await readyIs(t, 0);

    await runtime.ensure(t, 1);
    await readyIs(t, 1);
    const checks = await runtime.check(t);
    assert.deepEqual(checks.map((c) => [c.label, c.ok]), [
      ['Docker reachable', true],
      ['Docker node is a swarm manager', true],
      [`Swarm service '${name}' exists`, true],
    ]);
  });

  it('names a missing service and a global one as configuration errors', async () => {
    const missing = target('absent');
    await assert.rejects(runtime.ensure(missing, 1), (e: Error) => e instanceof ConfigurationError && /swarm service '.*_absent' does not exist/.test(e.message));
    assert.equal((await runtime.check(missing)).at(-1)?.ok, false);

    const name = `${project}_global`;
    await h.docker.createService({
      Name: name,
      Labels: { [TEST_LABEL]: 'true' },
      TaskTemplate: { ContainerSpec: { Image: h.baseImage, Command: ['/nonexistent'] }, RestartPolicy: { Condition: 'none' } },
      Mode: { Global: {} },
    });
    created.push(name);
    await assert.rejects(runtime.ensure(target('other', name), 2), /not in replicated mode/);
  });
});
