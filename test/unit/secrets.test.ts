// Secrets: recognised, masked in every output and in what goes to Temporal, restored on the worker.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceSchema } from '../../src/config/service';
import { ConfigurationError } from '../../src/errors';
import { MASK, SecretStore, redactSecrets, redactUrl, resolveSecret, restoreSecrets } from '../../src/sources/secrets';
import { messageOf } from '../../src/sources/failures';

const service = ServiceSchema.parse({
  name: 'worker',
  max_replicas: 4,
  rules: {},
  queue: { kind: 'nats', url: 'nats://alice:pw-in-url@127.0.0.1:4222', stream: 'S', consumer: 'C', auth: { token: 'tok-1' } },
  external: [
    { name: 'pending', kind: 'http', url: 'http://u:pw2@stats:8080/q?token=tok-3&x=1', headers: { Authorization: 'Basic abc', 'X-Trace': 'keep' }, bearer_token: 'bt-4' },
  ],
  runtime: { kind: 'process', command: ['node', 'w.js'], env: { API_TOKEN: 'env-5', LOG_LEVEL: 'debug' } },
});
const SECRETS = ['pw-in-url', 'tok-1', 'pw2', 'tok-3', 'Basic abc', 'bt-4', 'env-5'];

describe('masking', () => {
  test('URLs: the password, a NATS bare token and credential parameters are masked; users and hosts stay', () => {
    assert.equal(redactUrl('amqp://guest:guest@127.0.0.1:5672/vh'), 'amqp://guest:***@127.0.0.1:5672/vh');
    assert.equal(redactUrl('redis://:s3cret@h:6379/0'), 'redis://:***@h:6379/0');
    assert.equal(redactUrl('postgres://app@db/app?sslmode=require&password=x'), 'postgres://app@db/app?sslmode=require&password=***');
    assert.equal(redactUrl('nats://tok@a:4222,nats://b:4222'), 'nats://***@a:4222,nats://b:4222');
    assert.equal(redactUrl('not a url'), 'not a url');
  });

  test('a service: every secret masked, nothing else changed', () => {
    const masked = redactSecrets(service);
    const text = JSON.stringify(masked);
    for (const s of SECRETS) assert.ok(!text.includes(s), `${s} is masked`);
    assert.equal(masked.queue?.kind === 'nats' && masked.queue.auth?.token, MASK);
    const http = masked.external?.[0];
    assert.equal(http?.kind === 'http' && http.headers['X-Trace'], 'keep');
    assert.equal(masked.runtime.kind === 'process' && masked.runtime.env.LOG_LEVEL, 'debug');
    assert.equal(masked.max_replicas, 4);
    assert.notDeepEqual(redactSecrets(service), service, 'the service holds secrets in clear');
    assert.deepEqual(redactSecrets(masked), masked, 'masking a masked config changes nothing');
  });

  test('references (*_env, *_file) are not secrets', () => {
    const r = redactSecrets({ token_env: 'NATS_TOKEN', password_file: '/run/secrets/pw', creds_file: '/x.creds' });
    assert.deepEqual(r, { token_env: 'NATS_TOKEN', password_file: '/run/secrets/pw', creds_file: '/x.creds' });
  });

  test('error messages quote URLs masked', () => {
    assert.equal(messageOf(new Error('connect to amqp://u:hunter2@h failed')), 'connect to amqp://u:***@h failed');
  });
});

describe('restoring on the worker', () => {
  test('the worker restores each secret from its own copy; non-secret fields come from the scaler', () => {
    const masked = { ...redactSecrets(service), max_replicas: 9 };
    const restored = restoreSecrets(masked, service, '(test)');
    assert.deepEqual(restored, { ...service, max_replicas: 9 });
  });

  test('SecretStore: by project and service; unmasked configs pass through', () => {
    const store = SecretStore.of('shop', [service], 'docktor.yaml');
    assert.deepEqual(store.restore('shop', redactSecrets(service)), service);
    const plain = { ...service, queue: undefined, external: undefined, runtime: { kind: 'compose' as const } };
    assert.equal(store.restore('other', plain), plain);
  });

  test('a worker without the secret fails naming the field and the fix', () => {
    const store = new SecretStore();
    assert.throws(
      () => store.restore('shop', redactSecrets(service)),
      (e: unknown) => e instanceof ConfigurationError && /^queue\.url: the scaler holds a masked secret/.test(e.message) && /-c FILE/.test(e.message),
    );
  });

  test('a secret that moved (another host) is not restored into the new place', () => {
    const masked = redactSecrets({ url: 'amqp://u:p@new-host/' });
    assert.throws(() => restoreSecrets(masked, { url: 'amqp://u:p@old-host/' }, '(test)'), /url: the scaler holds a masked secret/);
  });
});

describe('resolveSecret', () => {
  const reader = { env: { PW: 'from-env', EMPTY: '' }, readFile: (p: string) => (p === '/pw' ? 'from-file\n' : (() => { throw new Error('ENOENT'); })()) };
  test('inline, env, file (one trailing newline dropped), none', () => {
    assert.equal(resolveSecret({ password: 'inline' }, 'password', 'queue', reader), 'inline');
    assert.equal(resolveSecret({ password_env: 'PW' }, 'password', 'queue', reader), 'from-env');
    assert.equal(resolveSecret({ password_file: '/pw' }, 'password', 'queue', reader), 'from-file');
    assert.equal(resolveSecret({}, 'password', 'queue', reader), undefined);
  });
  test('an unset variable or unreadable file names the field', () => {
    assert.throws(() => resolveSecret({ password_env: 'EMPTY' }, 'password', 'queue', reader), /^ConfigurationError: queue\.password_env: environment variable EMPTY is not set/);
    assert.throws(() => resolveSecret({ password_file: '/nope' }, 'password', 'queue', reader), /queue\.password_file: cannot read \/nope/);
  });
  test('the schema takes one source per secret', () => {
    const r = ServiceSchema.safeParse({ name: 'w', max_replicas: 1, rules: {}, external: [{ name: 'x', kind: 'http', url: 'http://h/', bearer_token: 'a', bearer_token_env: 'B' }] });
    assert.equal(r.success, false);
    assert.match(JSON.stringify(r.error?.issues), /bearer_token and bearer_token_env are both set/);
  });
});
