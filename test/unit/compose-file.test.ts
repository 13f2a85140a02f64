// Reading one service of a compose file the way `docker compose` reads it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseComposeService, parseDuration, splitShellWords } from '../../src/runtimes/compose-file';
import { ComposeFileError, type ComposeContext } from '../../src/runtimes/compose-values';
import { interpolate, InterpolationError, parseEnvFile } from '../../src/config/compose-interpolation';
import { loadComposeService } from '../../src/runtimes/compose-load';

const ctx: ComposeContext = { project: 'shop', dir: '/srv/shop', env: { HOME: '/home/ann', FROM_HOST: 'h' } };

function service(yamlText: string, name = 'worker', c: ComposeContext = ctx) {
  return parseComposeService(parse(yamlText, { merge: true }), name, c);
}

describe('compose durations', () => {
  it('parses Go durations and plain seconds', () => {
    assert.equal(parseDuration('10s'), 10);
    assert.equal(parseDuration('1m30s'), 90);
    assert.equal(parseDuration('1.5s'), 1.5);
    assert.equal(parseDuration('500ms'), 0.5);
    assert.equal(parseDuration('1h2m3s'), 3723);
    assert.equal(parseDuration(15), 15);
    assert.equal(parseDuration('20'), 20);
    assert.throws(() => parseDuration('10 seconds', 'services.w.stop_grace_period'), /services\.w\.stop_grace_period: "10 seconds" is not a duration/);
    assert.throws(() => parseDuration('s'), ComposeFileError);
  });
});

describe('command words', () => {
  it('splits like a shell without running one', () => {
    assert.deepEqual(splitShellWords('node worker.js --queue "a b" \'c d\' e\\ f'), ['node', 'worker.js', '--queue', 'a b', 'c d', 'e f']);
    assert.deepEqual(splitShellWords('  sh -c "echo \\"hi\\""  '), ['sh', '-c', 'echo "hi"']);
    assert.deepEqual(splitShellWords('x ""'), ['x', '']);
    assert.throws(() => splitShellWords('echo "oops'), /unterminated/);
  });
});

describe('interpolation and env files', () => {
  const vars = { A: 'alpha', EMPTY: '' };
  it('substitutes like compose', () => {
    assert.equal(interpolate('$A-${A}-$$A-${MISSING}', vars), 'alpha-alpha-$A-');
    assert.equal(interpolate('${MISSING:-dflt} ${EMPTY:-e} ${EMPTY-keep} ${A:+set} ${MISSING+no}', vars), 'dflt e  set ');
    assert.equal(interpolate('${MISSING:-${A}}', vars), 'alpha');
    assert.throws(() => interpolate('${MISSING:?give MISSING}', vars), (e: Error) => e instanceof InterpolationError && /MISSING: give MISSING/.test(e.message));
    assert.throws(() => interpolate('${A', vars), /unclosed/);
  });
  it('reads .env files', () => {
    const env = parseEnvFile('# comment\nA=1\nexport B = two \nC="x\\ny" \nD=\'$lit\'\nE=v # note\nF\n\n');
    assert.deepEqual(env, { A: '1', B: 'two', C: 'x\ny', D: '$lit', E: 'v', F: undefined });
  });
});

describe('a compose service definition', () => {
  it('reads every supported key in its long and short forms', () => {
    const { definition: d, unsupported } = service(`
services:
  worker:
    image: shop/worker:1.2
    command: node worker.js --fast
    entrypoint: ["/usr/bin/tini", "--"]
    environment: [ "A=1", "B=x=y", FROM_HOST, NOT_SET ]
    env_file: [ ./common.env, { path: ./opt.env, required: false } ]
    volumes:
      - ./data:/data:ro
      - cache:/cache
      - /scratch
      - ~/cfg:/cfg
      - { type: bind, source: ../shared, target: /shared, read_only: true }
      - { type: volume, source: cache, target: /c2, volume: { nocopy: true } }
      - { type: tmpfs, target: /tmp, tmpfs: { size: 64m } }
    networks: { back: { aliases: [jobs] }, default: }
    labels: { team: payments, tier: 2 }
    user: "1000:1000"
    working_dir: /app
    stop_grace_period: 1m30s
    stop_signal: SIGINT
    restart: on-failure:3
    init: true
    depends_on: [db]
    deploy: { replicas: 2 }
    x-note: ignored
volumes:
  cache: {}
networks:
  back: { name: shared-back, external: true }
`);
    assert.deepEqual(unsupported, []);
    assert.equal(d.image, 'shop/worker:1.2');
    assert.deepEqual(d.command, ['node', 'worker.js', '--fast']);
    assert.deepEqual(d.entrypoint, ['/usr/bin/tini', '--']);
    assert.deepEqual(d.environment, { A: '1', B: 'x=y', FROM_HOST: 'h' });
    assert.deepEqual(d.env_files, [
      { path: '/srv/shop/common.env', required: true },
      { path: '/srv/shop/opt.env', required: false },
    ]);
    assert.deepEqual(d.mounts, [
      { type: 'bind', source: '/srv/shop/data', target: '/data', read_only: true, create_host_path: true },
      { type: 'volume', source: 'shop_cache', target: '/cache', read_only: false },
      { type: 'volume', target: '/scratch', read_only: false },
      { type: 'bind', source: '/home/ann/cfg', target: '/cfg', read_only: false, create_host_path: true },
      { type: 'bind', source: '/srv/shared', target: '/shared', read_only: true, create_host_path: false },
      { type: 'volume', source: 'shop_cache', target: '/c2', read_only: false, nocopy: true },
      { type: 'tmpfs', target: '/tmp', read_only: false, tmpfs_size_bytes: 64 * 1024 * 1024 },
    ]);
    assert.deepEqual(d.networks, [
      { key: 'back', external: true, network: 'shared-back', aliases: ['jobs'] },
      { key: 'default', external: false, network: 'shop_default', aliases: [] },
    ]);
    assert.deepEqual(d.labels, { team: 'payments', tier: '2' });
    assert.equal(d.user, '1000:1000');
    assert.equal(d.working_dir, '/app');
    assert.equal(d.stop_grace_period_s, 90);
    assert.equal(d.stop_signal, 'SIGINT');
    assert.deepEqual(d.restart, { name: 'on-failure', max_retries: 3 });
    assert.equal(d.init, true);
  });

  it('defaults to the project network; network_mode replaces networks', () => {
    assert.deepEqual(service('services: { worker: { image: w } }').definition.networks, [
      { key: 'default', external: false, network: 'shop_default', aliases: [] },
    ]);
    const host = service('services: { worker: { image: w, network_mode: host } }').definition;
    assert.equal(host.network_mode, 'host');
    assert.deepEqual(host.networks, []);
    assert.equal(service('services: { worker: { image: w } }\nnetworks: { default: { name: custom } }').definition.networks[0].network, 'custom');
  });

  it('reports keys it does not apply', () => {
    const { unsupported } = service('services: { worker: { image: w, ports: ["8080:80"], healthcheck: { test: [CMD, x] }, deploy: { resources: {} }, mem_limit: 1g } }');
    assert.deepEqual(unsupported, ['ports', 'healthcheck', 'deploy', 'mem_limit']);
  });

  it('names a build-only service image as compose does', () => {
    assert.equal(service('services: { worker: { build: . } }').definition.image, 'shop-worker');
  });

  it('rejects what cannot work, naming the key', () => {
    assert.throws(() => service('services: { other: { image: w } }'), /services\.worker: not defined \(services: other\)/);
    assert.throws(() => service('services: { worker: { command: x } }'), /services\.worker\.image: required/);
    assert.throws(() => service('services: { worker: { image: w, volumes: [ "data:/d" ] } }'), /volumes\[0\]: refers to volume "data"/);
    assert.throws(() => service('services: { worker: { image: w, volumes: [ "./d:rel" ] } }'), /must be an absolute path inside the container/);
    assert.throws(() => service('services: { worker: { image: w, networks: [ back ] } }'), /networks\.back: refers to network "back"/);
    assert.throws(() => service('services: { worker: { image: w, network_mode: host, networks: [a] } }'), /cannot be used together with network_mode/);
    assert.throws(() => service('services: { worker: { image: w, restart: sometimes } }'), /restart: "sometimes"/);
    assert.throws(() => service('just text'), /not a mapping/);
  });
});

describe('loading a compose file from disk', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'docktor-compose-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('interpolates from .env and the environment, merges env_file under environment, follows YAML merges', async () => {
    writeFileSync(path.join(dir, '.env'), 'TAG=1.4\nLEVEL=debug\n');
    writeFileSync(path.join(dir, 'common.env'), 'LEVEL=info\nSHARED=yes\nONLY_FILE=f\n');
    writeFileSync(
      path.join(dir, 'compose.yaml'),
      `
x-base: &base
  image: shop/worker:\${TAG}
  stop_grace_period: 2s
services:
  worker:
    <<: *base
    env_file: common.env
    environment: { LEVEL: "\${LEVEL}", FROM_ENV: "\${FROM_ENV:-none}" }
  web: { image: web }
`,
    );
    const loaded = await loadComposeService(path.join(dir, 'compose.yaml'), 'shop', 'worker', { FROM_ENV: 'env' });
    assert.equal(loaded.definition.image, 'shop/worker:1.4');
    assert.equal(loaded.definition.stop_grace_period_s, 2);
    assert.deepEqual(loaded.environment, { LEVEL: 'debug', SHARED: 'yes', ONLY_FILE: 'f', FROM_ENV: 'env' });
    assert.deepEqual(loaded.services, ['worker', 'web']);
  });

  it('fails on a missing required env_file and a missing file', async () => {
    writeFileSync(path.join(dir, 'bad.yaml'), 'services: { worker: { image: w, env_file: nope.env } }');
    await assert.rejects(loadComposeService(path.join(dir, 'bad.yaml'), 'shop', 'worker', {}), /env_file: cannot read .*nope\.env/);
    await assert.rejects(loadComposeService(path.join(dir, 'absent.yaml'), 'shop', 'worker', {}), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });
});
