// docker-compose.temporal.yaml, the production stack (Temporal on PostgreSQL, the UI, docktor
// workers): parsed and checked for what `docker compose up` would trip on or silently get wrong,
// without pulling an image. Variables all have defaults, used consistently; depends_on names
// services that can meet the condition; named volumes, networks and configs are declared; the
// database, credentials, frontend address and namespace agree between services; the docktor
// services run the CLI with a config file the mounts provide. Then, live, `docktor worker` starts
// with exactly the environment the file gives it and polls the real dev server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { parse, stringify } from 'yaml';
import { buildProgram } from '../../src/cli/main';
import { TemporalSchema } from '../../src/config/file';
import { loadConfig } from '../../src/config/load';
import { interpolateTree } from '../../src/config/compose-interpolation';
import { docktorArgv, startBackground } from '../e2e/cli';
import { stopTestServices, testTemporal } from '../harness/services';

after(stopTestServices);

const FILE = path.join(process.cwd(), 'docker-compose.temporal.yaml');
const TEXT = fs.readFileSync(FILE, 'utf8');
const RAW = parse(TEXT, { merge: true }) as Record<string, unknown>;

type Env = Record<string, string>;
interface Service {
  image?: string;
  build?: { context?: string; dockerfile_inline?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Env | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: string[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  ports?: string[];
  configs?: Array<string | { source: string; target?: string }>;
  healthcheck?: { test?: unknown };
  restart?: string;
  [key: string]: unknown;
}
interface ComposeDoc {
  name?: string;
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  networks?: Record<string, unknown>;
  configs?: Record<string, { content?: string; file?: string }>;
}

/** The file as `docker compose` reads it with these variables set (PWD as a shell exports it). */
function resolved(vars: Env = { PWD: process.cwd() }): ComposeDoc {
  return interpolateTree(RAW, vars) as ComposeDoc;
}

function envOf(s: Service): Env {
  const e = s.environment ?? {};
  if (!Array.isArray(e)) return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)]));
  return Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

function dependsOn(s: Service): Record<string, string> {
  const d = s.depends_on ?? {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, v?.condition ?? 'service_started']));
}

/** Every `${NAME...}` in the raw text with what follows the name (its default or message), `$$` skipped. */
function variableUses(text: string): Array<{ name: string; rest: string }> {
  const uses: Array<{ name: string; rest: string }> = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') continue;
    if (text[i + 1] === '$') {
      i++;
      continue;
    }
    if (text[i + 1] !== '{') continue;
    let depth = 1;
    let j = i + 2;
    for (; j < text.length && depth > 0; j++) {
      if (text[j] === '$' && text[j + 1] === '{') {
        depth++;
        j++;
      } else if (text[j] === '}') depth--;
    }
    const body = text.slice(i + 2, j - 1);
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body)?.[0] ?? body;
    uses.push({ name, rest: body.slice(name.length) });
  }
  return uses;
}

/** `host:container[/proto]` of a ports entry: the published host port and the container port. */
function portMapping(p: string): { host: string; container: string } {
  const parts = p.replace(/\/(tcp|udp)$/, '').split(':');
  return { host: parts.length >= 2 ? parts[parts.length - 2] : '', container: parts[parts.length - 1] };
}

const SERVICE_KEYS = new Set([
  'image', 'build', 'command', 'entrypoint', 'environment', 'depends_on', 'volumes', 'networks', 'network_mode', 'ports',
  'configs', 'healthcheck', 'restart', 'stop_grace_period', 'labels', 'user', 'working_dir',
]);
const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

describe('docker-compose.temporal.yaml', () => {
  const doc = resolved();
  const services = doc.services;
  const names = Object.keys(services);
  const docktorServices = names.filter((n) => n.startsWith('docktor-'));

  it('defines PostgreSQL, the Temporal server, its UI and a docktor worker', () => {
    for (const n of ['postgresql', 'temporal', 'temporal-ui', 'docktor-worker']) assert.ok(n in services, `service ${n} is missing`);
    assert.match(services.temporal.image ?? '', /^temporalio\/server:/);
    assert.match(services['temporal-ui'].image ?? '', /^temporalio\/ui:/);
    assert.match(services.postgresql.image ?? '', /^postgres:/);
    assert.equal(envOf(services.temporal).DB, 'postgres12', 'Temporal persists to PostgreSQL');
  });

  it('gives every variable a default, the same one wherever it is used', () => {
    assert.doesNotThrow(() => interpolateTree(RAW, {}), 'a variable without a default would stop `docker compose up`');
    const defaults = new Map<string, Set<string>>();
    for (const { name, rest } of variableUses(TEXT)) {
      if (name === 'PWD' && rest === '') continue; // the shell's working directory: always set
      assert.ok(/^:-./.test(rest), `\${${name}${rest}} has no default (write \${${name}:-value})`);
      (defaults.get(name) ?? defaults.set(name, new Set()).get(name))?.add(rest);
    }
    for (const [name, seen] of defaults) assert.equal(seen.size, 1, `${name} has different defaults: ${[...seen].join(', ')}`);
    assert.ok(defaults.has('TEMPORAL_VERSION') && defaults.has('POSTGRES_PASSWORD'), 'versions and credentials are variables');
  });

  it('uses only service keys it means, and pins every image', () => {
    for (const [n, s] of Object.entries(services)) {
      for (const key of Object.keys(s)) assert.ok(SERVICE_KEYS.has(key), `services.${n}.${key} is not a key this file is checked for`);
      assert.ok(s.image || s.build, `services.${n} needs an image or a build`);
      if (s.image && !s.build) assert.match(s.image, /^[^:]+:(?!latest$)[\w.-]+$/, `services.${n}.image should be pinned: ${s.image}`);
    }
  });

  it('depends only on services that exist and can meet the condition', () => {
    for (const [n, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        assert.ok(dep in services, `services.${n}.depends_on names ${dep}, which is not defined`);
        assert.ok(CONDITIONS.has(condition), `services.${n}.depends_on.${dep}: unknown condition ${condition}`);
        if (condition === 'service_healthy') assert.ok(services[dep].healthcheck?.test, `${n} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
        if (condition === 'service_completed_successfully') {
          assert.ok(!['always', 'unless-stopped'].includes(services[dep].restart ?? 'no'), `${n} waits for ${dep} to complete, but ${dep} restarts forever`);
        }
      }
    }
    // No cycles: every service can start.
    const started = new Set<string>();
    while (started.size < names.length) {
      const next = names.filter((n) => !started.has(n) && Object.keys(dependsOn(services[n])).every((d) => started.has(d)));
      assert.ok(next.length > 0, `depends_on has a cycle among ${names.filter((n) => !started.has(n)).join(', ')}`);
      for (const n of next) started.add(n);
    }
  });

  it('declares the named volumes, networks and configs it uses, and uses those it declares', () => {
    const used = { volumes: new Set<string>(), networks: new Set<string>(), configs: new Set<string>() };
    for (const [n, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('/') || source.startsWith('.') || source.startsWith('~')) continue; // a bind mount
        assert.ok(source in (doc.volumes ?? {}), `services.${n}.volumes: ${source} is not declared under volumes:`);
        used.volumes.add(source);
      }
      const networks = Array.isArray(s.networks) ? s.networks : Object.keys(s.networks ?? {});
      for (const net of networks) {
        assert.ok(net in (doc.networks ?? {}), `services.${n}.networks: ${net} is not declared under networks:`);
        used.networks.add(net);
      }
      if (s.network_mode) {
        assert.equal(s.network_mode, 'host', `services.${n}.network_mode`);
        assert.ok(!s.networks && !s.ports, `services.${n} uses the host network: it can neither join networks nor publish ports`);
      }
      for (const c of s.configs ?? []) {
        const source = typeof c === 'string' ? c : c.source;
        const def = doc.configs?.[source];
        assert.ok(def && (def.content !== undefined || def.file !== undefined), `services.${n}.configs: ${source} is not declared with content or a file`);
        used.configs.add(source);
      }
    }
    for (const [kind, declared] of [['volumes', doc.volumes], ['networks', doc.networks], ['configs', doc.configs]] as const) {
      for (const name of Object.keys(declared ?? {})) assert.ok(used[kind].has(name), `${kind}.${name} is declared but no service uses it`);
    }
    const dynamic = parse(doc.configs?.['temporal-dynamic-config']?.content ?? '') as Record<string, unknown>;
    assert.ok(dynamic && typeof dynamic === 'object', 'the dynamic config is YAML');
    const mounted = (services.temporal.configs ?? []).map((c) => (typeof c === 'string' ? `/${c}` : c.target ?? `/${c.source}`));
    assert.ok(mounted.some((t) => t.endsWith(envOf(services.temporal).DYNAMIC_CONFIG_FILE_PATH)), 'DYNAMIC_CONFIG_FILE_PATH names the mounted config');
  });

  it('gives Temporal, its schema job and PostgreSQL the same database and credentials', () => {
    const pg = envOf(services.postgresql);
    const postgresService = Object.keys(services).find((n) => /^postgres:/.test(services[n].image ?? ''));
    for (const n of names.filter((x) => 'DB' in envOf(services[x]))) {
      const e = envOf(services[n]);
      assert.equal(e.DB, 'postgres12', `${n}: DB`);
      assert.equal(e.POSTGRES_SEEDS, postgresService, `${n}: POSTGRES_SEEDS names the PostgreSQL service`);
      assert.equal(e.DB_PORT, '5432', `${n}: DB_PORT`);
      assert.equal(e.POSTGRES_USER, pg.POSTGRES_USER, `${n}: POSTGRES_USER`);
      assert.equal(e.POSTGRES_PWD, pg.POSTGRES_PASSWORD, `${n}: POSTGRES_PWD`);
      assert.ok(dependsOn(services[n])[postgresService ?? ''] || dependsOn(services[n])['temporal-schema'], `${n} starts after the database is ready`);
      const networks = new Set(Array.isArray(services[n].networks) ? services[n].networks : []);
      assert.ok([...networks].some((x) => (services.postgresql.networks as string[]).includes(x)), `${n} shares a network with PostgreSQL`);
    }
    assert.equal(envOf(services['temporal-schema']).SQL_PASSWORD, pg.POSTGRES_PASSWORD, 'temporal-schema: SQL_PASSWORD');
    // With different credentials set, they still agree (they come from the same variables).
    const other = resolved({ PWD: '/x', POSTGRES_USER: 'u1', POSTGRES_PASSWORD: 'p1' }).services;
    assert.deepEqual(
      [envOf(other.temporal).POSTGRES_USER, envOf(other.temporal).POSTGRES_PWD, envOf(other.postgresql).POSTGRES_USER, envOf(other.postgresql).POSTGRES_PASSWORD],
      ['u1', 'p1', 'u1', 'p1'],
    );
  });

  it('points the UI, the namespace job and docktor at the Temporal frontend, in one namespace', () => {
    const frontend = (services.temporal.ports ?? []).map(portMapping).find((p) => p.container === '7233');
    assert.ok(frontend, 'temporal publishes its frontend port 7233');
    for (const n of ['temporal-ui', 'temporal-namespace']) {
      assert.equal(envOf(services[n]).TEMPORAL_ADDRESS, 'temporal:7233', `${n}: TEMPORAL_ADDRESS`);
      assert.ok(dependsOn(services[n]).temporal, `${n} starts after temporal`);
    }
    const docktorNamespace = TemporalSchema.parse({}).namespace;
    assert.equal(envOf(services['temporal-namespace']).NAMESPACE, docktorNamespace, 'the namespace job creates the namespace docktor uses by default');
    assert.equal(envOf(services['temporal-ui']).TEMPORAL_DEFAULT_NAMESPACE, docktorNamespace);
    const script = String((services['temporal-namespace'].command as string[]).join('\n'));
    for (const sa of ['DocktorService:Keyword', 'DocktorProject:Keyword', 'DocktorReplicas:Int', 'DocktorPaused:Bool']) {
      assert.ok(script.includes(sa), `the namespace job registers ${sa}`);
    }
    for (const n of docktorServices) {
      assert.equal(services[n].network_mode, 'host', `${n} uses the host network (queue URLs as on the host)`);
      assert.equal(envOf(services[n]).DOCKTOR_TEMPORAL_ADDRESS, `127.0.0.1:${frontend.host}`, `${n}: DOCKTOR_TEMPORAL_ADDRESS is the published frontend`);
      assert.equal(dependsOn(services[n])['temporal-namespace'], 'service_completed_successfully', `${n} starts once the namespace exists`);
    }
    const moved = resolved({ PWD: '/x', TEMPORAL_PORT: '17233' }).services;
    assert.equal(envOf(moved['docktor-worker']).DOCKTOR_TEMPORAL_ADDRESS, '127.0.0.1:17233');
    assert.equal(portMapping((moved.temporal.ports ?? [])[0]).host, '17233');
  });

  it('runs the docktor CLI (worker, up) with a config file its mounts provide', () => {
    const known = buildProgram({ out: () => undefined, err: () => undefined, readStdin: async () => '', env: {}, cwd: '/' }, () => undefined).commands.map((c) => c.name());
    assert.deepEqual(services['docktor-worker'].command, ['worker']);
    assert.ok(docktorServices.includes('docktor-up'), 'a one-shot `docktor up` starts the scalers');
    for (const n of docktorServices) {
      const s = services[n];
      const command = Array.isArray(s.command) ? s.command : [];
      assert.ok(known.includes(command[0] ?? ''), `${n}: ${command[0]} is not a docktor command (${known.join(', ')})`);
      const dockerfile = s.build?.dockerfile_inline ?? '';
      assert.match(dockerfile, /ENTRYPOINT \["node", "\/app\/bin\/docktor\.js"\]/, `${n}: the image's entrypoint is the CLI`);
      for (const dir of ['bin', 'src']) {
        assert.match(dockerfile, new RegExp(`COPY ${dir} ${dir}`));
        assert.ok(fs.existsSync(path.join(process.cwd(), s.build?.context ?? '.', dir)), `${n}: the build context has ${dir}/`);
      }
      const env = envOf(s);
      const mounts = (s.volumes ?? []).map((v) => v.split(':'));
      const holder = mounts.find(([, target]) => env.DOCKTOR_CONFIG.startsWith(`${target}/`));
      assert.ok(holder, `${n}: DOCKTOR_CONFIG ${env.DOCKTOR_CONFIG} is not inside a mounted folder`);
      assert.equal(holder[0], holder[1], `${n}: the project folder is mounted at its own path, so paths in its files mean the same inside`);
      assert.ok(mounts.some(([source, target]) => source === '/var/run/docker.sock' && target === '/var/run/docker.sock'), `${n}: the Docker socket is mounted`);
      assert.ok(mounts.some(([, target]) => target === env.DOCKTOR_STATE_DIR), `${n}: DOCKTOR_STATE_DIR is on a volume`);
    }
    // The default project is the NATS example, whose config loads and names its compose file inside the mount.
    const config = loadConfig(envOf(services['docktor-worker']).DOCKTOR_CONFIG);
    assert.ok(config.compose_file?.startsWith(path.dirname(config.file)), 'the example config names a compose file inside the mounted folder');
  });

  it('starts `docktor worker` with the environment it gives the worker service', { timeout: 60_000 }, async () => {
    const t = await testTemporal();
    // A project of our own (a unique task queue), given as the file expects: DOCKTOR_PROJECT_DIR.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-compose-temporal-'));
    const taskQueue = `compose-temporal-${process.pid}-${Date.now()}`;
    const example = parse(fs.readFileSync(path.join(process.cwd(), 'examples', 'nats-multi', 'docktor.yaml'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(dir, 'docktor.yaml'), stringify({ ...example, temporal: { task_queue: taskQueue } }));
    fs.copyFileSync(path.join(process.cwd(), 'examples', 'nats-multi', 'docker-compose.yaml'), path.join(dir, 'docker-compose.yaml'));
    const env = envOf(resolved({ PWD: '/nowhere', DOCKTOR_PROJECT_DIR: dir }).services['docktor-worker']);
    assert.equal(env.DOCKTOR_CONFIG, path.join(dir, 'docktor.yaml'));
    // The frontend is the test server rather than the published port; everything else as given.
    const worker = startBackground(docktorArgv(['worker']), {
      ...process.env,
      ...env,
      DOCKTOR_TEMPORAL_ADDRESS: t.address,
      DOCKTOR_STATE_DIR: path.join(dir, 'state'),
    });
    const connection = await Connection.connect({ address: t.address });
    try {
      const deadline = Date.now() + 45_000;
      let pollers = 0;
      while (Date.now() < deadline && pollers === 0 && worker.child.exitCode === null) {
        const res = await connection.workflowService.describeTaskQueue({
          namespace: t.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
        });
        pollers = res.pollers?.length ?? 0;
        if (pollers === 0) await sleep(250);
      }
      assert.ok(pollers > 0, `no worker polls task queue ${taskQueue}; worker output:\n${worker.output()}`);
      assert.match(worker.output(), new RegExp(`docktor worker: ${t.address.replace(/\./g, '\\.')}, namespace ${t.namespace}, task queue ${taskQueue}`));
      await worker.stop(20_000);
      const exit = await worker.exited;
      assert.equal(exit.code, 0, `the worker should stop cleanly on SIGTERM (as \`docker compose stop\` sends it):\n${worker.output()}`);
      assert.match(worker.output(), /docktor worker: stopped/);
    } finally {
      await worker.stop(5000);
      await connection.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
