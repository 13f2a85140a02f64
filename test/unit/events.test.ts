// Events (CONTRACT §2 "Events and metrics"): which CloudEvents a decision makes, their ids, the
// SLA breach episodes, the CloudEvents encoding, the sinks' config and how their secrets are masked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/config/load';
import { decide } from '../../src/decide/index';
import { structuredBody } from '../../src/events/cloud-event';
import { initialEventsState, MAX_PENDING_PER_SINK, noteDelivered, noteFailed, eventsStatus, overflowing, type PendingDelivery } from '../../src/model/events-state';
import { eventsForDecision, type EventContext } from '../../src/events/scaling-events';
import { EVENT_TYPES } from '../../src/model/event-spec';
import { predictSlaBreach } from '../../src/events/sla-breach';
import { MASK, redactSecrets, restoreSecrets, SecretStore } from '../../src/sources/secrets';
import type { HistoryEntry } from '../../src/model/scaler-state';
import { input, NOW, service } from './decide-fixtures';
import { InputError } from '../../src/errors';

const rules = service({ rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 100 }], scale_down_when: [], step: { up: 2, down: 1 } } });
const ctx = (s = rules): EventContext => ({ project: 'shop', service: s, workflowId: 'docktor/shop/worker' });

function entry(o: Partial<HistoryEntry> = {}): HistoryEntry {
  return { at: NOW + 0.25, action: 'scale_up', from: 2, to: 4, reason: 'queue.backlog 500 > 100', limited_by: null, observations: { 'queue.backlog': 500 }, details: {}, applied: true, ...o };
}

describe('eventsForDecision', () => {
  it('a scale-up that was applied: ScalingDecisionMade and WorkersScaled, source and ids as the contract says', () => {
    const { events } = eventsForDecision(ctx(), entry(), null);
    assert.deepEqual(events.map((e) => e.type), [EVENT_TYPES.decision, EVENT_TYPES.scaled]);
    for (const e of events) {
      assert.equal(e.source, 'docktor/shop/worker');
      assert.equal(e.subject, 'worker');
      assert.equal(e.time, new Date((NOW + 0.25) * 1000).toISOString());
      assert.equal(e.id, `docktor/shop/worker/${(NOW + 0.25) * 1000}/${e.type}`);
    }
    const scaled = events[1]!.data;
    assert.deepEqual([scaled.from, scaled.to, scaled.reason, scaled.direction, scaled.limited_by], [2, 4, 'queue.backlog 500 > 100', 'up', null]);
    assert.deepEqual(scaled.observations, { 'queue.backlog': 500 });
  });

  it('the same decision gives the same ids (a retry or a new run sends the same event)', () => {
    assert.deepEqual(eventsForDecision(ctx(), entry(), null), eventsForDecision(ctx(), entry(), null));
    const other = eventsForDecision(ctx(), entry({ at: NOW + 10 }), null).events.map((e) => e.id);
    assert.notDeepEqual(other, eventsForDecision(ctx(), entry(), null).events.map((e) => e.id));
  });

  it('a decision not applied (paused, dry run, failed) is made, not scaled; hold makes none', () => {
    assert.deepEqual(eventsForDecision(ctx(), entry({ applied: false, limited_by: 'paused' }), null).events.map((e) => e.type), [EVENT_TYPES.decision]);
    assert.deepEqual(eventsForDecision(ctx(), entry({ action: 'hold', to: 2, applied: false }), null).events, []);
    const down = eventsForDecision(ctx(), entry({ action: 'scale_down', from: 4, to: 3 }), null).events;
    assert.equal(down[1]!.data.direction, 'down');
  });
});

describe('SlaBreachPredicted', () => {
  const predictive = service({ strategy: 'predictive', max_replicas: 10, sla: { max_pickup_seconds: 30, startup_seconds: 10, service_time_seconds: 1 } });

  it('from the predictive strategy\'s own details: the oldest message + start-up passes the SLA', () => {
    // 600 waiting, the oldest 25 s old: a new replica serves in 10 s, at 35 s > 30 s.
    const d = decide(input({ service: predictive, current: 2, observations: { 'queue.backlog': 600, 'queue.oldest_age_s': 25, 'queue.rate_in': 5, 'queue.rate_out': 2, 'replicas.current': 2 } }));
    const e = entry({ action: d.action, from: 2, to: d.target_replicas, limited_by: d.limited_by, details: d.details, observations: { 'queue.oldest_age_s': 25 } });
    const b = predictSlaBreach(predictive, e);
    assert.ok(b, `a breach is predicted from details ${JSON.stringify(d.details)}`);
    assert.equal(b.cause, (d.details.proposal as { raw_need: number }).raw_need > 10 ? 'max_replicas' : 'capacity_late');
  });

  it('causes: capacity late, capped by max_replicas, capped by host capacity; none when in time', () => {
    const at = (age: number, need: number, o: Partial<HistoryEntry> = {}) => entry({ observations: { 'queue.oldest_age_s': age }, details: { proposal: { raw_need: need } }, ...o });
    assert.equal(predictSlaBreach(predictive, at(25, 4))?.cause, 'capacity_late');
    assert.equal(predictSlaBreach(predictive, at(25, 4))?.forecast_pickup_seconds, 35);
    assert.equal(predictSlaBreach(predictive, at(15, 4)), null, '15 s + 10 s start-up is within 30 s');
    assert.equal(predictSlaBreach(predictive, at(25, 2)), null, 'no more replicas needed: the ones running serve it');
    assert.equal(predictSlaBreach(predictive, at(1, 12))?.cause, 'max_replicas');
    assert.equal(predictSlaBreach(predictive, at(1, 6, { details: { proposal: { raw_need: 6, capacity: { replicas: 5 } } } }))?.cause, 'capacity');
    assert.equal(predictSlaBreach(rules, at(25, 12)), null, 'only the predictive strategy predicts');
  });

  it('once per episode: fires on entering, not while it lasts; a new episode after a check without', () => {
    const c = ctx(predictive);
    const breach = (at: number) => entry({ at, action: 'hold', from: 10, to: 10, applied: false, details: { proposal: { raw_need: 12 } } });
    const calm = (at: number) => entry({ at, action: 'hold', from: 10, to: 10, applied: false, details: { proposal: { raw_need: 8 } } });
    const first = eventsForDecision(c, breach(NOW), null);
    assert.deepEqual(first.events.map((e) => e.type), [EVENT_TYPES.slaBreach]);
    assert.equal(first.events[0]!.data.cause, 'max_replicas');
    assert.deepEqual(first.episode, { since: NOW });
    const again = eventsForDecision(c, breach(NOW + 5), first.episode);
    assert.deepEqual([again.events, again.episode], [[], { since: NOW }]);
    // A check that decided nothing says nothing about the SLA: the episode goes on.
    const blind = eventsForDecision(c, entry({ at: NOW + 7, action: 'hold', limited_by: 'missing_metrics', applied: false }), again.episode);
    assert.deepEqual(blind.episode, { since: NOW });
    const over = eventsForDecision(c, calm(NOW + 10), blind.episode);
    assert.equal(over.episode, null);
    assert.equal(eventsForDecision(c, breach(NOW + 15), over.episode).events.length, 1);
  });
});

describe('CloudEvents encoding', () => {
  it('structured JSON with specversion 1.0 and the data as an object', () => {
    const [e] = eventsForDecision(ctx(), entry(), null).events;
    const body = JSON.parse(structuredBody(e!)) as Record<string, unknown>;
    assert.equal(body.specversion, '1.0');
    assert.deepEqual([body.id, body.type, body.source, body.time, body.datacontenttype], [e!.id, e!.type, e!.source, e!.time, 'application/json']);
    assert.equal((body.data as { to: number }).to, 4);
  });
});

describe('delivery state', () => {
  const batch: PendingDelivery = { sink: 'hook', config: { kind: 'webhook', url: 'http://x/', headers: {}, timeout: 5 }, events: eventsForDecision(ctx(), entry(), null).events, deadline: NOW + 600 };

  it('counts deliveries, failures and drops; the last error says when it happened and when it cleared', () => {
    let s = { ...initialEventsState(), pending: [batch] };
    s = noteFailed(s, batch, '503 Service Unavailable', NOW + 1, false);
    assert.equal(s.pending.length, 1, 'a failed round keeps the batch');
    s = noteDelivered(s, batch, NOW + 4);
    const st = eventsStatus(s);
    assert.equal(st.pending, 0);
    assert.deepEqual(st.sinks.hook, {
      delivered: 2,
      failures: 1,
      dropped: 0,
      last_error: { message: '503 Service Unavailable', at: NOW + 1, cleared_at: NOW + 4, at_iso: new Date((NOW + 1) * 1000).toISOString(), cleared_at_iso: new Date((NOW + 4) * 1000).toISOString() },
    });
    const dropped = noteFailed({ ...s, pending: [batch] }, batch, 'refused', NOW + 700, true);
    assert.deepEqual([dropped.pending.length, dropped.sinks.hook!.dropped, dropped.sinks.hook!.last_error!.cleared_at], [0, 2, null]);
  });
});

describe('pending batches are bounded per sink', () => {
  it('beyond MAX_PENDING_PER_SINK, the oldest batch of the same sink is the one to drop', () => {
    const mk = (sink: string, n: number): PendingDelivery => ({ sink, config: { kind: 'nats', url: 'nats://x', subject: 's' }, events: [], deadline: n });
    const full = Array.from({ length: MAX_PENDING_PER_SINK }, (_, i) => mk('a', i));
    const state = { ...initialEventsState(), pending: [mk('b', -1), ...full] };
    assert.deepEqual(overflowing(state, mk('a', 99)), [full[0]]);
    assert.deepEqual(overflowing(state, mk('b', 99)), [], 'another sink has room');
    assert.deepEqual(overflowing({ ...state, pending: full.slice(1) }, mk('a', 99)), []);
  });
});

describe('events config', () => {
  const FILE = '/tmp/docktor-events-test/docktor.yaml';
  const base = (events: string, serviceExtra = '') =>
    `project: shop\n${events}\nservices:\n  - name: a\n    max_replicas: 3\n    rules: { scale_up_when: [], scale_down_when: [] }\n${serviceExtra}  - name: b\n    max_replicas: 3\n    rules: { scale_up_when: [], scale_down_when: [] }\n`;

  it('the top-level sinks go to every service without its own; paths are taken from the config file', () => {
    const c = parseConfig(
      base(
        'events: { sinks: [{ kind: webhook, url: "https://hooks.example/T1/B2/secret", headers: { Authorization: "Bearer t0k" }, tls: { ca_file: ca.pem } }, { kind: nats, subject: docktor.events }] }',
        '    events: { sinks: [{ kind: nats, name: own, subject: a.events }] }\n',
      ),
      FILE,
    );
    assert.deepEqual(c.services.find((s) => s.name === 'a')!.events!.sinks.map((k) => k.name), ['own']);
    const b = c.services.find((s) => s.name === 'b')!.events!;
    assert.deepEqual(b.sinks.map((k) => k.kind), ['webhook', 'nats']);
    assert.equal(b.retry_seconds, 600);
    assert.equal(b.sinks[0]!.tls?.ca_file, '/tmp/docktor-events-test/ca.pem');
    assert.equal(b.sinks[1]!.kind === 'nats' && b.sinks[1]!.url, 'nats://127.0.0.1:4222');
  });

  it('bad sinks name the field', () => {
    assert.throws(() => parseConfig(base('events: { sinks: [{ kind: smtp }] }'), FILE), (e: unknown) => e instanceof InputError && /events\.sinks\[0\]\.kind: kind must be one of: webhook, nats/.test(e.message));
    assert.throws(() => parseConfig(base('events: { sinks: [{ kind: nats, subject: "a.*" }] }'), FILE), (e: unknown) => e instanceof InputError && /events\.sinks\[0\]\.subject/.test(e.message));
    assert.throws(
      () => parseConfig(base('events: { sinks: [{ kind: nats, subject: x }, { kind: nats, name: nats-0, subject: y }] }'), FILE),
      (e: unknown) => e instanceof InputError && /events\.sinks\[1\]\.name: duplicate/.test(e.message),
    );
  });

  it('webhook URLs (secrets in the path, as Slack\'s) and credential headers are masked, and restored on the worker', () => {
    const c = parseConfig(base('events: { sinks: [{ kind: webhook, url: "https://hooks.example/T1/B2/secret?x=1", headers: { Authorization: "Bearer t0k", X-Team: ops } }, { kind: nats, url: "nats://u:pw@127.0.0.1:4222", subject: d.e }] }'), FILE);
    const original = c.services[1]!;
    const masked = redactSecrets(original);
    const text = JSON.stringify(masked);
    for (const secret of ['T1', 'secret', 't0k', 'pw']) assert.ok(!text.includes(secret), `${secret} is masked: ${text}`);
    assert.equal(masked.events!.sinks[0]!.kind === 'webhook' && masked.events!.sinks[0]!.url, `https://hooks.example/${MASK}`);
    assert.equal(masked.events!.sinks[0]!.kind === 'webhook' && masked.events!.sinks[0]!.headers['X-Team'], 'ops');
    assert.deepEqual(restoreSecrets(masked, original, 'test'), original);
    const store = SecretStore.of('shop', c.services, 'test');
    const sink = store.restoreWithin('shop', { name: 'b' }, masked.events!.sinks[0]!, (s) => (s as typeof original).events!.sinks[0], 'events.sinks[webhook-0]');
    assert.deepEqual(sink, original.events!.sinks[0]);
    assert.throws(() => new SecretStore().restoreWithin('shop', { name: 'b' }, masked.events!.sinks[0]!, () => undefined, 'events.sinks[webhook-0]'), /events\.sinks\[webhook-0\]\.url: the scaler holds a masked secret/);
  });
});
