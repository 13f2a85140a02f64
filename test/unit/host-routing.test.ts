// Host-aware routing (issue: machines), its pure parts: `runtime.host` and `runtime.docker_host`
// in the config, the host's task queue, a held check's history entry, the worker's `--host`
// names, and how `docktor status` shows a host. The routing itself runs against real workers in
// test/integration/host-routing.test.ts; `docker_host` against a second dockerd in compose.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { workerHosts } from '../../src/cli/commands/worker';
import { renderStatus, type StatusRow } from '../../src/cli/status-view';
import { parseDockerHost } from '../../src/config/docker-host';
import { parseConfig } from '../../src/config/load';
import { InputError, UsageError } from '../../src/errors';
import { checkEntry } from '../../src/model/history-fold';
import { hostMissingError, hostTaskQueue } from '../../src/model/host-routing';
import { runtimeFor } from '../../src/runtimes/registry';
import { dockerEndpoint } from '../../src/runtimes/docker-client';
import { runCli } from '../harness/cli';

function issuesOf(runtime: string): string[] {
  try {
    parseConfig(`services: [{ name: a, max_replicas: 2, rules: {}, runtime: ${runtime} }]`, 'docktor.yaml', {});
  } catch (e) {
    assert.ok(e instanceof InputError, String(e));
    return e.describe().split('\n');
  }
  return [];
}

describe('host routing: config, names and views', () => {
  it('takes runtime.host on every kind and docker_host on compose and swarm, naming the field when wrong', () => {
    assert.deepEqual(issuesOf('{ kind: process, command: [w], host: alpha }'), []);
    assert.deepEqual(issuesOf('{ kind: compose, host: web-1.example, docker_host: "ssh://deploy@web-1.example" }'), []);
    assert.deepEqual(issuesOf('{ kind: swarm, docker_host: "tcp://10.0.0.5:2376" }'), []);
    assert.match(issuesOf('{ kind: process, command: [w], host: "two words" }')[0] ?? '', /^docktor\.yaml: services\[0\]\.runtime\.host: a host name: letters, digits/);
    assert.match(issuesOf('{ kind: compose, docker_host: "http://x:2375" }')[0] ?? '', /^docktor\.yaml: services\[0\]\.runtime\.docker_host: "http:\/\/x:2375": unknown scheme http: use unix:\/\/\/var\/run\/docker\.sock, tcp:\/\/HOST:2376 or ssh:\/\/USER@HOST/);
    // A process pool has no Engine.
    assert.deepEqual(issuesOf('{ kind: process, command: [w], docker_host: "unix:///x.sock" }'), ['docktor.yaml: services[0].runtime.docker_host: unknown field (check the spelling; see `docktor config schema`)']);
  });

  it('parses the DOCKER_HOST forms', () => {
    assert.deepEqual(parseDockerHost('unix:///run/user/1000/docker.sock'), { protocol: 'unix', socketPath: '/run/user/1000/docker.sock' });
    assert.deepEqual(parseDockerHost('tcp://10.0.0.5:2376'), { protocol: 'tcp', host: '10.0.0.5', port: 2376 });
    assert.deepEqual(parseDockerHost('tcp://[::1]'), { protocol: 'tcp', host: '::1', port: 2375 });
    assert.deepEqual(parseDockerHost('ssh://deploy@web-1:2222'), { protocol: 'ssh', host: 'web-1', port: 2222, username: 'deploy' });
    assert.match(String(parseDockerHost('web-1:2375')), /unknown scheme web-1/);
    assert.match(String(parseDockerHost('unix://')), /is not a Docker Engine address|names the socket/);
  });

  it('binds compose and swarm runtimes to their docker_host, one client per Engine', () => {
    const target = (docker_host: string) => {
      const [service] = parseConfig(`services: [{ name: w, max_replicas: 2, rules: {}, runtime: { kind: compose, docker_host: "${docker_host}" } }]`, 'x.yaml', {}).services;
      return { project: 'p', service: service!, runtime: service!.runtime };
    };
    const a = runtimeFor(target('unix:///tmp/a.sock'));
    assert.equal(runtimeFor(target('unix:///tmp/a.sock')), a, 'the same Engine, the same runtime');
    assert.notEqual(runtimeFor(target('tcp://10.0.0.5:2375')), a);
    const client = (a as unknown as { client: Parameters<typeof dockerEndpoint>[0] }).client;
    assert.equal(dockerEndpoint(client), 'unix:///tmp/a.sock');
  });

  it("names each host's task queue, and says what to do when none of its workers took a check", () => {
    assert.equal(hostTaskQueue('docktor', 'alpha'), 'docktor/host/alpha');
    const failure = { source: 'host' as const, error: hostMissingError('alpha', 15, 'check'), configuration: false };
    const entry = checkEntry(100, { observations: {}, queue_state: null, failures: [failure], replicas: 3, decision: null, metric_failures: 0, finished_at: 100 }, 3);
    assert.deepEqual(
      { action: entry.action, from: entry.from, to: entry.to, limited_by: entry.limited_by, reason: entry.reason },
      { action: 'hold', from: 3, to: 3, limited_by: 'host', reason: 'host alpha: no worker serves it (none took the check within 15 s); run `docktor worker --host alpha` on that machine' },
    );
  });

  it('checks --host names (exit 2 naming --host), defaulting to the hostname', async () => {
    assert.deepEqual(workerHosts(undefined), [os.hostname()]);
    assert.deepEqual(workerHosts(['a', 'b', 'a']), ['a', 'b']);
    assert.throws(() => workerHosts(['bad name']), (e) => e instanceof UsageError && /^--host: "bad name" is not a host name/.test(e.message));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-host-cli-'));
    fs.writeFileSync(path.join(dir, 'docktor.yaml'), 'services: [{ name: a, max_replicas: 2, rules: {} }]\n');
    const run = await runCli(['worker', '--host', 'no/slash'], { cwd: dir, env: {} });
    assert.equal(run.code, 2);
    assert.match(run.err, /--host: "no\/slash" is not a host name/);
  });

  it('shows in `docktor status` where the replicas live and whether a worker serves that host', () => {
    const row = (host: NonNullable<Extract<StatusRow, { running: true }>['host']>): StatusRow => ({
      service: 'a', running: true, replicas: 3, min_replicas: 1, max_replicas: 4, strategy: 'rules', dry_run: false, next_check_at: null,
      pause: null, override: null, last_decision: null, failures: { consecutive: 0 }, host,
    });
    assert.match(renderStatus([row({ name: 'alpha', missing_since: null, workers: 2 })], [], 0), /\n {2}host alpha: 2 worker\(s\) polled it in the last 90 s\n/);
    const missing = renderStatus([row({ name: 'alpha', missing_since: 1_700_000_000, workers: 0 })], [], 1_700_000_100);
    assert.match(missing, /host alpha: NOT SERVED since 2023-11-14T22:13:20Z, holding \(no live worker polls it\)\n/);
  });
});
