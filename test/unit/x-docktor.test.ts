// Compose `x-docktor:`: services described beside their compose service are merged into the
// config; docktor.yaml's `services:` wins; errors name the compose file, the service and the field.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { InputError } from '../../src/errors';
import { runCli } from '../harness/cli';

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-x-docktor-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const COMPOSE = `services:
  worker:
    image: busybox
    x-docktor:
      max_replicas: \${WORKER_MAX:-8}
      rules: { scale_up_when: [{ metric: cpu.avg_pct, op: ">", value: 80 }], scale_down_when: [{ metric: cpu.avg_pct, op: "<", value: 20 }] }
  mailer:
    image: busybox
    x-docktor:
      min_replicas: 0
      max_replicas: 3
      rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 5 }], scale_down_when: [{ metric: queue.backlog, op: "==", value: 0 }] }
      queue: { kind: redis, url: "redis://:hunter2@cache:6379", format: list, queue: mail }
  db:
    image: postgres
`;

describe('compose x-docktor', () => {
  it('merges x-docktor services after services:, which wins by name; config show prints them, secrets masked', async () => {
    const dir = project({
      'docker-compose.yaml': COMPOSE,
      '.env': 'WORKER_MAX=6\n',
      'docktor.yaml': `compose_file: docker-compose.yaml
project: shop
services:
  - name: mailer
    max_replicas: 1
    rules: { scale_up_when: [{ metric: cpu.avg_pct, op: ">", value: 90 }], scale_down_when: [{ metric: cpu.avg_pct, op: "<", value: 10 }] }
`,
    });
    const c = loadConfig(undefined, dir, {});
    assert.deepEqual(c.services.map((s) => [s.name, s.max_replicas, s.runtime.kind]), [['mailer', 1, 'compose'], ['worker', 6, 'compose']]);
    assert.equal(loadConfig(undefined, dir, { WORKER_MAX: '7' }).services[1]!.max_replicas, 7, 'the environment wins over .env, as in compose');

    const shown = await runCli(['config', 'show', '--json'], { cwd: dir, env: {} });
    assert.equal(shown.code, 0, shown.err);
    const json = JSON.parse(shown.out) as { services: Array<{ name: string; min_replicas: number; check_interval: number }> };
    assert.deepEqual(json.services.map((s) => [s.name, s.min_replicas, s.check_interval]), [['mailer', 1, 10], ['worker', 1, 10]]);

    // Without a services: entry of its own, the compose file's mailer (and its masked secret) shows.
    fs.writeFileSync(path.join(dir, 'docktor.yaml'), 'compose_file: docker-compose.yaml\nproject: shop\n');
    const yaml = await runCli(['config', 'show'], { cwd: dir, env: {} });
    assert.equal(yaml.code, 0, yaml.err);
    const doc = parse(yaml.out) as { services: Array<{ name: string; queue?: { url: string } }> };
    assert.deepEqual(doc.services.map((s) => s.name), ['worker', 'mailer']);
    assert.equal(doc.services[1]!.queue!.url, 'redis://:***@cache:6379');
    assert.ok(!yaml.out.includes('hunter2'));
  });

  it('rejects bad x-docktor settings naming the compose file, service and field (exit 2)', async () => {
    const dir = project({
      'docker-compose.yaml': COMPOSE.replace('max_replicas: 3', 'max_replicas: lots').replace('image: postgres', 'image: postgres\n    x-docktor: { name: db, max_replicas: 2 }'),
      'docktor.yaml': 'compose_file: docker-compose.yaml\n',
    });
    const compose = path.join(dir, 'docker-compose.yaml');
    assert.throws(
      () => loadConfig(undefined, dir, {}),
      (e: unknown) =>
        e instanceof InputError &&
        e.source === compose &&
        JSON.stringify(e.issues) ===
          JSON.stringify([
            { path: 'services.mailer.x-docktor.max_replicas', message: 'must be a number, got the string "lots"' },
            { path: 'services.db.x-docktor.name', message: 'leave it out: the service is the compose service "db"' },
          ]),
    );
    const run = await runCli(['config', 'show'], { cwd: dir, env: {} });
    assert.equal(run.code, 2);
    assert.match(run.err, /docker-compose\.yaml: services\.mailer\.x-docktor\.max_replicas: must be a number/);
  });

  it('a compose file without x-docktor and no services: is an error naming both', () => {
    const dir = project({ 'docker-compose.yaml': 'services:\n  web: { image: busybox }\n', 'docktor.yaml': 'compose_file: docker-compose.yaml\n' });
    assert.throws(() => loadConfig(undefined, dir, {}), /services: required: a list of services to scale \(none here nor as x-docktor: in .*docker-compose\.yaml\)/);
    fs.writeFileSync(path.join(dir, 'docktor.yaml'), 'compose_file: docker-compose.yaml\nservices: []\n');
    assert.throws(() => loadConfig(undefined, dir, {}), /services: must list at least one service \(none here nor as x-docktor: in .*docker-compose\.yaml\)/);
  });

  it('services: [] beside x-docktor services is valid: the list is checked after merging', async () => {
    const dir = project({ 'docker-compose.yaml': COMPOSE, 'docktor.yaml': 'compose_file: docker-compose.yaml\nproject: shop\nservices: []\n' });
    assert.deepEqual(loadConfig(undefined, dir, {}).services.map((s) => s.name), ['worker', 'mailer']);
    const run = await runCli(['config', 'show', '--json'], { cwd: dir, env: {} });
    assert.equal(run.code, 0, run.err);
    assert.deepEqual((JSON.parse(run.out) as { services: Array<{ name: string }> }).services.map((s) => s.name), ['worker', 'mailer']);
  });
});
