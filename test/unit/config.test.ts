import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { FileSchema } from '../../src/config/file';
import { findConfigFile, loadConfig, parseConfig } from '../../src/config/load';
import { ServiceSchema } from '../../src/config/service';
import { InputError, UsageError } from '../../src/errors';

const FILE = '/srv/shop/docktor.yaml';

function issuesOf(text: string): string[] {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    return e.describe().split('\n');
  }
  assert.fail('expected the config to be rejected');
}

const CONTRACT_EXAMPLE = `
version: "1"
temporal: { address: localhost:7233, namespace: default, task_queue: docktor }
compose_file: ./docker-compose.yaml
project: shop
services:
  - name: worker
    min_replicas: 1
    max_replicas: 10
    check_interval: 10
    metrics_window: 30
    strategy: rules
    rules:
      scale_up_when:   [{ metric: queue.backlog, op: ">",  value: 1000 }]
      scale_down_when: [{ metric: queue.backlog, op: "<=", value: 50 }]
      step: { up: 2, down: 1 }
    target:
      metrics: [{ metric: queue.backlog, type: average, value: 100 }]
      tolerance: 0.1
    sla: { max_pickup_seconds: 30, breach_threshold: 0.8 }
    cooldown: { up: 0, down: 60 }
    behavior: { scale_up: { stabilization_window_seconds: 0 }, scale_down: { stabilization_window_seconds: 300, policies: [{ type: percent, value: 50, period_seconds: 60 }] } }
    queue: { kind: nats, url: nats://127.0.0.1:4222, stream: EVENTS, consumer: WORKERS }
    runtime: { kind: compose }
  - name: web
    max_replicas: 4
    runtime: { kind: process, command: [node, web.js], cwd: ./web }
    rules: { scale_up_when: [{ metric: cpu.avg_pct, op: ">", value: 75 }] }
`;

describe('config: valid files', () => {
  it('accepts the contract example and resolves paths relative to the file', () => {
    const c = parseConfig(CONTRACT_EXAMPLE, FILE);
    assert.equal(c.project, 'shop');
    assert.equal(c.compose_file, '/srv/shop/docker-compose.yaml');
    assert.equal(c.temporal.address, 'localhost:7233');
    assert.equal(c.services.length, 2);
    const [worker, web] = c.services;
    assert.deepEqual(worker?.queue, { kind: 'nats', url: 'nats://127.0.0.1:4222', stream: 'EVENTS', consumer: 'WORKERS' });
    assert.deepEqual(worker?.target?.tolerance, { up: 0.1, down: 0.1 });
    assert.equal(worker?.behavior?.scale_down?.stabilization_window_seconds, 300);
    assert.equal(worker?.behavior?.scale_down?.select_policy, 'max');
    assert.deepEqual(web?.runtime, { kind: 'process', command: ['node', 'web.js'], cwd: '/srv/shop/web', env: {}, grace_period: 30 });
  });

  it('applies the documented defaults', () => {
    const c = parseConfig('services: [{ name: w, max_replicas: 3, rules: {} }]', FILE);
    const s = c.services[0];
    assert.ok(s);
    assert.equal(c.version, '1');
    assert.deepEqual(c.temporal, { namespace: 'default', task_queue: 'docktor' });
    assert.equal(c.project, 'shop', 'project defaults to the folder name');
    assert.equal(s.min_replicas, 1);
    assert.equal(s.check_interval, 10);
    assert.equal(s.metrics_window, 30);
    assert.equal(s.strategy, 'rules');
    assert.deepEqual(s.rules, { scale_up_when: [], scale_down_when: [], step: { up: 2, down: 1 } });
    assert.deepEqual(s.cooldown, { up: 0, down: 60 });
    assert.deepEqual(s.runtime, { kind: 'compose' });
    assert.equal(s.dry_run, false);
  });

  it('resolves credential and TLS files relative to the config file', () => {
    const c = parseConfig(
      'temporal: { tls: { ca_file: certs/ca.pem, cert_file: /abs/c.pem, key_file: k.pem } }\nservices: [{ name: w, max_replicas: 3, rules: {}, queue: { kind: nats, stream: S, consumer: C, auth: { creds_file: nats.creds }, tls: { ca_file: ../ca.pem } } }]',
      FILE,
    );
    assert.deepEqual(c.temporal.tls, { ca_file: '/srv/shop/certs/ca.pem', cert_file: '/abs/c.pem', key_file: '/srv/shop/k.pem' });
    const q = c.services[0]?.queue;
    assert.equal(q?.kind, 'nats');
    if (q?.kind !== 'nats') return;
    assert.equal(q.auth?.creds_file, '/srv/shop/nats.creds');
    assert.equal(q.tls?.ca_file, '/srv/ca.pem');
  });

  it("derives the project from the compose file's folder as docker compose does", () => {
    const c = parseConfig('compose_file: ../My Stack/compose.yaml\nservices: [{ name: w, max_replicas: 3, rules: {} }]', FILE);
    assert.equal(c.project, 'mystack');
  });

  it('normalizes the legacy single-service form into services', () => {
    const c = parseConfig('service: web\nscaling: { cpu_high: 80, cpu_low: 10, max_replicas: 6, scale_up_by: 3 }\nllm: { provider: dmr, model: ai/llama3.2 }', FILE);
    assert.equal(c.services.length, 1);
    const s = c.services[0];
    assert.equal(s?.name, 'web');
    assert.equal(s?.max_replicas, 6);
    assert.deepEqual(s?.rules?.scale_up_when, [{ metric: 'cpu.avg_pct', op: '>', value: 80 }]);
    assert.deepEqual(s?.rules?.scale_down_when, [{ metric: 'cpu.avg_pct', op: '<', value: 10 }]);
    assert.deepEqual(s?.rules?.step, { up: 3, down: 1 });
    assert.equal(c.llm?.provider, 'dmr');
  });

  it('accepts a separate up/down tolerance and every strategy', () => {
    const s = ServiceSchema.parse({ name: 'w', max_replicas: 5, strategy: 'target', target: { metrics: [{ metric: 'cpu.avg_pct', type: 'utilization', value: 60 }], tolerance: { up: 0.05, down: 0.2 } } });
    assert.deepEqual(s.target?.tolerance, { up: 0.05, down: 0.2 });
    const p = ServiceSchema.parse({ name: 'w', max_replicas: 5, strategy: 'predictive', sla: { max_pickup_seconds: 30 } });
    assert.equal(p.sla?.breach_threshold, 0.8);
  });

  it('cooldown.down defaults to 60 s, and to 0 for predictive (its own scale-down window spaces it)', () => {
    const sla = { max_pickup_seconds: 30 };
    assert.deepEqual(ServiceSchema.parse({ name: 'w', max_replicas: 5, strategy: 'predictive', sla }).cooldown, { up: 0, down: 0 });
    assert.deepEqual(ServiceSchema.parse({ name: 'w', max_replicas: 5, strategy: 'predictive', sla, cooldown: { up: 5 } }).cooldown, { up: 5, down: 0 });
    assert.deepEqual(ServiceSchema.parse({ name: 'w', max_replicas: 5, strategy: 'predictive', sla, cooldown: { down: 60 } }).cooldown, { up: 0, down: 60 });
    assert.deepEqual(ServiceSchema.parse({ name: 'w', max_replicas: 5, strategy: 'rules', rules: {}, cooldown: { up: 5 } }).cooldown, { up: 5, down: 60 });
  });
});

describe('config: invalid files name the field path', () => {
  it('max below min', () => {
    const lines = issuesOf('services:\n  - { name: a, max_replicas: 3, rules: {} }\n  - { name: b, min_replicas: 5, max_replicas: 2, rules: {} }');
    assert.deepEqual(lines, ['docktor.yaml: services[1].max_replicas: must be >= min_replicas (5)']);
  });

  it('reports several errors at once', () => {
    const lines = issuesOf(`services:
  - name: a
    max_replicas: -1
    check_interval: fast
    rules: { scale_up_when: [{ metric: queue.backlog, op: "=>", value: 1 }] }
    queue: { kind: nats, consumer: C }
    colour: blue`);
    assert.ok(lines.includes('docktor.yaml: services[0].max_replicas: must be >= 0'), lines.join('\n'));
    assert.ok(lines.includes('docktor.yaml: services[0].check_interval: must be a number, got the string "fast"'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('docktor.yaml: services[0].rules.scale_up_when[0].op: must be one of ">" ">="')), lines.join('\n'));
    assert.ok(lines.includes('docktor.yaml: services[0].queue.stream: required'), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('docktor.yaml: services[0].colour: unknown field')), lines.join('\n'));
  });

  it('requires the block its strategy needs', () => {
    assert.deepEqual(issuesOf('services: [{ name: a, max_replicas: 2, strategy: target }]'), ['docktor.yaml: services[0].target: required when strategy is target']);
    assert.deepEqual(issuesOf('services: [{ name: a, max_replicas: 2, strategy: predictive }]'), ['docktor.yaml: services[0].sla: required when strategy is predictive']);
  });

  it('rejects duplicates, a wrong version, unknown kinds and an empty list', () => {
    assert.deepEqual(issuesOf('services: [{ name: a, max_replicas: 2, rules: {} }, { name: a, max_replicas: 2, rules: {} }]'), ['docktor.yaml: services[1].name: duplicate of services[0].name "a"']);
    assert.deepEqual(issuesOf('version: 2\nservices: [{ name: a, max_replicas: 2, rules: {} }]'), ['docktor.yaml: version: must be "1" (quoted)']);
    assert.deepEqual(issuesOf('services: [{ name: a, max_replicas: 2, rules: {}, runtime: { kind: k8s } }]'), ['docktor.yaml: services[0].runtime.kind: kind must be one of: compose, swarm, process']);
    assert.deepEqual(issuesOf('services: []'), ['docktor.yaml: services: must list at least one service']);
    assert.deepEqual(issuesOf('project: shop'), ['docktor.yaml: services: required: a list of services to scale']);
  });

  it('gives line and column for YAML syntax errors', () => {
    const lines = issuesOf('services:\n  - name: a\n    max_replicas: [1, 2\n');
    assert.equal(lines.length >= 1, true);
    assert.match(lines[0] ?? '', /^docktor\.yaml: line \d+, column \d+: YAML syntax error: /);
  });

  it('names legacy fields as written', () => {
    assert.deepEqual(issuesOf('service: web\nscaling: { min_replicas: 4, max_replicas: 2 }'), ['docktor.yaml: scaling.max_replicas: must be >= min_replicas (4)']);
  });
});

describe('config: finding the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-cfg-'));
  const body = 'services: [{ name: a, max_replicas: 2, rules: {} }]\n';

  it('prefers -c, then DOCKTOR_CONFIG, then docktor.yaml, then docktor.yml', () => {
    fs.writeFileSync(path.join(dir, 'docktor.yml'), body);
    assert.equal(findConfigFile(undefined, dir, {}), path.join(dir, 'docktor.yml'));
    fs.writeFileSync(path.join(dir, 'docktor.yaml'), body);
    assert.equal(findConfigFile(undefined, dir, {}), path.join(dir, 'docktor.yaml'));
    fs.writeFileSync(path.join(dir, 'other.yaml'), body);
    assert.equal(findConfigFile(undefined, dir, { DOCKTOR_CONFIG: 'other.yaml' }), path.join(dir, 'other.yaml'));
    assert.equal(findConfigFile('docktor.yml', dir, { DOCKTOR_CONFIG: 'other.yaml' }), path.join(dir, 'docktor.yml'));
    assert.equal(loadConfig(undefined, dir, {}).project, path.basename(dir).toLowerCase().replace(/[^a-z0-9_-]/g, ''));
  });

  it('says where it looked when there is no file', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-none-'));
    assert.throws(() => findConfigFile(undefined, empty, {}), (e: unknown) => e instanceof UsageError && /docktor\.yaml and docktor\.yml/.test(e.message));
    assert.throws(() => findConfigFile('missing.yaml', empty, {}), (e: unknown) => e instanceof UsageError && /missing\.yaml/.test(e.message));
  });
});

describe('config: JSON Schema', () => {
  it('exports the file schema for editors', () => {
    const schema = z.toJSONSchema(FileSchema, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, unknown> };
    assert.ok(schema.properties.services);
    assert.ok(schema.properties.compose_file);
  });
});
