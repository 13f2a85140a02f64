// Discovery's pure parts: globs, service names and templates, the `discover:` schema and its
// errors, secrets restored for discovered services, and when a gone queue's scaler stops.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDiscoveryActivities } from '../../src/activities/discovery-activities';
import { parseConfig } from '../../src/config/load';
import { ServiceNameSchema, ServiceSchema } from '../../src/config/service';
import { InputError } from '../../src/errors';
import { discoveredServiceInput, discoveredServiceName, matchesGlob, substituteQueue } from '../../src/config/discovered-service';
import { queueKey } from '../../src/discovery/queue-key';
import { MASK, SecretStore, redactSecrets } from '../../src/sources/secrets';
import { reconcile, type DiscoveredScaler } from '../../src/model/discovery';

const FILE = '/srv/app/docktor.yaml';

function issuesOf(yaml: string): string[] {
  try {
    parseConfig(yaml, FILE, {});
  } catch (e) {
    if (e instanceof InputError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
  assert.fail('expected an InputError');
}

const ENTRY = `discover:
  - queue: { kind: redis, url: "redis://:s3cret@127.0.0.1:6379/3", format: laravel }
    match: "mail*"
    interval: 2
    grace_period: 5
    template:
      max_replicas: 4
      rules: { scale_up_when: [{ metric: queue.backlog, op: ">", value: 10 }], scale_down_when: [{ metric: queue.backlog, op: "==", value: 0 }] }
      runtime: { kind: process, command: [php, artisan, "queue:work", "--queue={queue}"], env: { QUEUE: "{queue}" } }
`;

describe('globs', () => {
  it('* ? and classes, anchored, everything else literal', () => {
    assert.ok(matchesGlob('*', 'anything:at all'));
    assert.ok(matchesGlob('mail*', 'mail.high'));
    assert.ok(!matchesGlob('mail*', 'e-mail'));
    assert.ok(matchesGlob('q?', 'q1') && !matchesGlob('q?', 'q12'));
    assert.ok(matchesGlob('[ab]-*', 'b-x') && !matchesGlob('[ab]-*', 'c-x'));
    assert.ok(matchesGlob('[!ab]-*', 'c-x') && !matchesGlob('[!ab]-*', 'a-x'));
    assert.ok(matchesGlob('a.b(c)+', 'a.b(c)+') && !matchesGlob('a.b', 'axb'));
  });
});

describe('discovered service names', () => {
  it('keeps a valid name and derives a valid, distinct one from any other', () => {
    assert.equal(discoveredServiceName('{queue}', 'emails'), 'emails');
    assert.equal(discoveredServiceName('worker-{queue}', 'emails.high'), 'worker-emails.high');
    const a = discoveredServiceName('{queue}', 'jobs:high');
    const b = discoveredServiceName('{queue}', 'jobs/high');
    assert.match(a, /^jobs-high-[0-9a-f]{8}$/);
    assert.notEqual(a, b, 'two queues that differ only in replaced characters get two names');
    assert.equal(discoveredServiceName('{queue}', 'jobs:high'), a, 'deterministic');
    for (const q of ['_x', 'é', '', 'x'.repeat(300), '::']) assert.ok(ServiceNameSchema.safeParse(discoveredServiceName('{queue}', q)).success, q);
  });

  it('substitutes {queue} in every string of the template and sets the queue identity', () => {
    assert.deepEqual(substituteQueue({ a: ['--queue={queue}', 1], b: { c: '{queue}/{queue}' } }, 'q'), { a: ['--queue=q', 1], b: { c: 'q/q' } });
    const nats = discoveredServiceInput({ queue: { kind: 'nats', stream: 'S' }, template: { max_replicas: 2 } }, 'c1');
    assert.deepEqual(nats, { max_replicas: 2, name: 'c1', queue: { kind: 'nats', stream: 'S', consumer: 'c1' } });
  });
});

describe('discover: in docktor.yaml', () => {
  it('normalizes an entry: key, defaults, cwd resolved; no services: needed', () => {
    const c = parseConfig(`project: p\n${ENTRY}`, FILE, {});
    assert.deepEqual(c.services, []);
    const d = c.discover![0]!;
    assert.equal(d.key, '0');
    assert.equal(d.match, 'mail*');
    assert.deepEqual(d.template.runtime, { kind: 'process', command: ['php', 'artisan', 'queue:work', '--queue={queue}'], env: { QUEUE: '{queue}' }, cwd: '/srv/app' });
    const service = ServiceSchema.parse(discoveredServiceInput(d, 'mail.high'));
    assert.equal(service.name, 'mail.high');
    assert.deepEqual(service.queue, { kind: 'redis', url: 'redis://:s3cret@127.0.0.1:6379/3', format: 'laravel', queue: 'mail.high', cluster: false });
    assert.deepEqual(service.runtime.kind === 'process' && service.runtime.command, ['php', 'artisan', 'queue:work', '--queue=mail.high']);
  });

  it('names the field at fault', () => {
    const bad = (patch: (s: string) => string) => issuesOf(`project: p\n${patch(ENTRY)}`);
    assert.deepEqual(bad((s) => s.replace('format: laravel', 'format: laravel, queue: x')), ['discover[0].queue.queue: set by discovery (the name of each queue found); leave it out']);
    assert.deepEqual(bad((s) => s.replace('format: laravel', 'format: nope')), ['discover[0].queue.format: must be one of "list", "stream", "bullmq", "laravel", "celery", "sidekiq"']);
    assert.match(bad((s) => s.replace('kind: redis', 'kind: kafka')).join(), /^discover\[0\]\.queue\.kind: must be one of: nats, redis, rabbitmq/);
    assert.deepEqual(bad((s) => s.replace('max_replicas: 4', 'max_replicas: 4\n      queue: { kind: nats }')), [
      "discover[0].template.queue: the queue comes from the entry's `queue:` (with the name of each queue found); leave it out of the template",
    ]);
    assert.deepEqual(bad((s) => s.replace('max_replicas: 4', 'max_replicas: 4\n      name: fixed')), [
      'discover[0].template.name: must contain "{queue}", so that each queue gets a service of its own (e.g. "worker-{queue}")',
    ]);
    assert.deepEqual(bad((s) => s.replace('max_replicas: 4', 'max_replicaz: 4')), [
      'discover[0].template.max_replicas: required',
      'discover[0].template.max_replicaz: unknown field (check the spelling; see `docktor config schema`)',
    ]);
    assert.deepEqual(bad((s) => s.replace('grace_period: 5', 'grace_period: -1')), ['discover[0].grace_period: must be >= 0']);
    assert.deepEqual(bad((s) => `${s}${s.replace('discover:\n', '')}`), [
      'discover[1].template.name: same service names as discover[0] ("{queue}"): two queues of one name would share a scaler; set template.name, e.g. "1-{queue}"',
    ]);
  });

  it('applies the queue kind\'s defaults to the entry\'s queue, as each discovered service has them', () => {
    const c = parseConfig('project: p\ndiscover:\n  - { queue: { kind: nats, stream: S }, template: { max_replicas: 1, rules: {} } }\n', FILE, {});
    assert.deepEqual(c.discover![0]!.queue, { kind: 'nats', url: 'nats://127.0.0.1:4222', stream: 'S' });
  });

  it('requires services: when there is nothing to discover', () => {
    assert.deepEqual(issuesOf('project: p\n'), ['services: required: a list of services to scale']);
  });
});

describe('secrets of discovered scalers', () => {
  it('the worker restores them from its discover entry, for the listing and for each generated service', () => {
    const c = parseConfig(`project: p\n${ENTRY}`, FILE, {});
    const entry = c.discover![0]!;
    const store = SecretStore.of('p', c.services, FILE, c.discover);
    const masked = redactSecrets(entry);
    assert.equal(masked.queue.url, `redis://:${MASK}@127.0.0.1:6379/3`);
    assert.deepEqual(store.restoreDiscovery('p', masked), entry);
    const service = ServiceSchema.parse(discoveredServiceInput(masked, 'mail.low'));
    assert.ok(JSON.stringify(service).includes(MASK));
    const restored = store.restore('p', service);
    assert.equal(restored.queue?.kind === 'redis' && restored.queue.url, 'redis://:s3cret@127.0.0.1:6379/3');
    assert.throws(() => new SecretStore().restore('p', service), /masked secret/);
  });

  it('top-level event sinks reach discovered scalers, and their secrets are restored for delivery', () => {
    const c = parseConfig(`project: p\nevents: { sinks: [{ kind: webhook, url: "https://hooks.example/T1/xyz", headers: { Authorization: "Bearer t0ken" } }] }\n${ENTRY}`, FILE, {});
    const store = SecretStore.of('p', c.services, FILE, c.discover);
    const service = ServiceSchema.parse(discoveredServiceInput(redactSecrets(c.discover![0]!), 'mail.low'));
    const masked = service.events!.sinks[0]!;
    assert.ok(JSON.stringify(masked).includes(MASK));
    const sink = store.restoreWithin('p', service, masked, (s) => (s as typeof service).events!.sinks[0], 'events.sinks[webhook-0]');
    assert.equal(sink.kind === 'webhook' && sink.headers?.Authorization, 'Bearer t0ken');
    assert.equal(sink.kind === 'webhook' && sink.url, 'https://hooks.example/T1/xyz');
  });
});

describe('gone queues', () => {
  const s = (queue: string, missing_since: number | null = null): DiscoveredScaler => ({ queue, service: queue, workflow_id: `docktor/p/${queue}`, since: 0, missing_since });
  it('are marked when first missed, forgiven when back, stopped after the grace period', () => {
    const first = reconcile([s('a'), s('b'), s('c', 90)], new Set(['a', 'c']), 100, 10);
    assert.deepEqual(first.keep.map((x) => [x.queue, x.missing_since]), [['a', null], ['b', 100], ['c', null]]);
    assert.deepEqual(first.stop, []);
    const later = reconcile(first.keep, new Set(['a']), 110, 10);
    assert.deepEqual(later.stop.map((x) => x.queue), ['b']);
    assert.deepEqual(later.keep.map((x) => [x.queue, x.missing_since]), [['a', null], ['c', 110]]);
  });
});

describe('the listing activity', () => {
  const c = parseConfig(`project: p\n${ENTRY}`, FILE, {});
  const entry = redactSecrets(c.discover![0]!);
  const listed = ['mail.a', 'mail.b', 'mail.c', 'mail:x', 'other'];
  let asked: unknown;
  const activities = createDiscoveryActivities(
    {
      queueSourceFor: () => ({
        kind: 'redis',
        countsArrivals: () => false,
        read: () => Promise.reject(new Error('not here')),
        check: () => Promise.resolve([]),
        close: () => Promise.resolve(),
        listQueues: (config: unknown) => {
          asked = config;
          return Promise.resolve(listed);
        },
      }),
    },
    { secrets: SecretStore.of('p', [], FILE, c.discover) },
  );

  it('lists with the restored secret, generates services for new matching queues, and leaves services: queues alone', async () => {
    const reservedQueue = queueKey(redactSecrets(ServiceSchema.parse(discoveredServiceInput(c.discover![0]!, 'mail.b')).queue!));
    const r = await activities.listDiscoveredQueues({ project: 'p', entry, reserved: { names: ['mail.c'], queues: [reservedQueue] }, known: ['mail.a', 'mail.b', 'mail.c'] });
    assert.equal((asked as { url: string }).url, 'redis://:s3cret@127.0.0.1:6379/3');
    assert.deepEqual(r.queues, ['mail.a', 'mail:x']);
    assert.deepEqual(r.added.map((a) => [a.queue, a.service.name]), [['mail:x', discoveredServiceName('{queue}', 'mail:x')]]);
    assert.ok(JSON.stringify(r.added).includes(MASK) && !JSON.stringify(r.added).includes('s3cret'), 'generated services carry the mask');
    // mail.c: services: has its name, so the scaler is that service's now (forgotten, not stopped);
    // mail.b: another service reads it, so the discovered scaler must stop.
    assert.deepEqual(r.released, ['mail.c']);
    assert.deepEqual(r.retired, ['mail.b']);
    assert.deepEqual(r.skipped.map((s) => s.queue), ['mail.b', 'mail.c']);
  });
});
