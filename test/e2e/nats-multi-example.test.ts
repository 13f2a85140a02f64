// The NATS example's files agree with each other and with docktor: both docktor configs load, the
// queue they read is the one the consumer consumes by default, the compose services docktor scales
// use only keys docktor applies to new replicas, the process variant runs the compiled consumer,
// and the producer's schedule publishes what it says. (The scenario itself: nats-multi-*.test.ts.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load';
import { loadComposeService } from '../../src/runtimes/compose-load';
import { queueNames } from '../../examples/nats-multi/queue';
import { dueBetween, planFromEnv, rateAt } from '../../examples/nats-multi/schedule';

const DIR = path.join(process.cwd(), 'examples', 'nats-multi');

describe('examples/nats-multi', () => {
  const compose = loadConfig(path.join(DIR, 'docktor.yaml'));
  const local = loadConfig(path.join(DIR, 'docktor.process.yaml'));

  it('scales the consumer on the queue (backlog and oldest age) and web on CPU', () => {
    const consumer = compose.services.find((s) => s.name === 'consumer');
    const web = compose.services.find((s) => s.name === 'web');
    assert.ok(consumer && web);
    const upMetrics = consumer.rules?.scale_up_when.map((c) => c.metric) ?? [];
    assert.deepEqual(upMetrics.sort(), ['queue.backlog', 'queue.oldest_age_s']);
    assert.equal(web.strategy, 'target');
    assert.deepEqual(web.target?.metrics.map((m) => m.metric), ['cpu.avg_pct']);
    assert.equal(compose.project, 'nats-multi');
    assert.equal(compose.compose_file, path.join(DIR, 'docker-compose.yaml'));
  });

  it('the compose services docktor scales load as docktor reads them, with the queue docktor watches', async () => {
    const file = compose.compose_file as string;
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /^name: nats-multi$/m, 'the compose project name is the docktor project');
    const consumer = await loadComposeService(file, compose.project, 'consumer', {});
    assert.deepEqual(consumer.unsupported, [], 'keys docktor would not apply to a replica it creates');
    assert.deepEqual((await loadComposeService(file, compose.project, 'web', {})).unsupported, []);
    assert.ok(consumer.services.includes('nats') && consumer.services.includes('producer'));
    assert.equal(consumer.definition.image, 'nats-multi-consumer', 'the image docker compose builds for the service');
    const env = consumer.definition.environment;
    const q = compose.services.find((s) => s.name === 'consumer')?.queue;
    assert.equal(q?.kind, 'nats');
    if (q?.kind !== 'nats') return;
    assert.equal(env.STREAM, q?.stream);
    assert.equal(env.CONSUMER, q?.consumer);
    assert.equal(env.PROCESS_TIME_MS, '200');
    assert.equal(consumer.definition.stop_grace_period_s, 30);
  });

  it('the process variant runs the compiled consumer on the same queue, with the consumer\'s defaults', () => {
    const [consumer] = local.services;
    assert.equal(consumer.runtime.kind, 'process');
    if (consumer.runtime.kind !== 'process') return;
    const script = path.resolve(consumer.runtime.cwd ?? DIR, consumer.runtime.command[1] ?? '');
    assert.equal(script, path.join(process.cwd(), 'dist', 'examples', 'nats-multi', 'consumer.js'));
    assert.ok(fs.existsSync(path.join(DIR, 'consumer.ts')));
    const defaults = queueNames({});
    const q = consumer.queue;
    assert.equal(q?.kind, 'nats');
    if (q?.kind !== 'nats') return;
    assert.deepEqual([q.url, q.stream, q.consumer], [defaults.url, defaults.stream, defaults.consumer]);
    assert.notEqual(local.project, compose.project, 'the two variants are separate scalers');
    const composeConsumer = compose.services.find((s) => s.name === 'consumer');
    assert.deepEqual(consumer.rules, composeConsumer?.rules, 'both variants decide alike');
  });

  it('the producer publishes its rate, bursts, and a fixed count', () => {
    const plan = planFromEnv({ RATE: '4', BURST_RATE: '40', BURST_SECONDS: '30', BURST_EVERY: '120' });
    assert.equal(plan.kind, 'rate');
    if (plan.kind !== 'rate') return;
    const s = plan.schedule;
    assert.equal(rateAt(s, 0), 40);
    assert.equal(rateAt(s, 29.9), 40);
    assert.equal(rateAt(s, 30), 4);
    assert.equal(rateAt(s, 125), 40);
    // Two minutes, in 100 ms ticks with the carry: 30 s × 40 + 90 s × 4 messages.
    let carry = 0;
    let total = 0;
    for (let t = 0; t < 120; t += 0.1) {
      const due = dueBetween(s, t, t + 0.1, carry);
      carry = due.carry;
      total += due.count;
    }
    assert.ok(Math.abs(total - (30 * 40 + 90 * 4)) <= 2, `published ${total}`);
    assert.deepEqual(planFromEnv({ COUNT: '500' }), { kind: 'count', count: 500 });
    assert.throws(() => planFromEnv({ RATE: 'fast' }), /RATE must be a number >= 0/);
  });
});
