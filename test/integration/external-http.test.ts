// The http external source against a real local HTTP server: values, every failure named, tokens.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { HttpExternalSchema } from '../../src/config/external';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import { freePort } from '../../src/dev/free-port';
import { httpExternalSource } from '../../src/sources/external/http';

let server: http.Server;
let base = '';
const seenAuth: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    seenAuth.push(req.headers.authorization ?? '');
    const send = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (req.url === '/stats') return send(200, JSON.stringify({ queue: { pending: 17, name: 'jobs' } }));
    if (req.url === '/private') return req.headers.authorization === 'Bearer tok' ? send(200, '{"n": 5}') : send(401, '{}');
    if (req.url === '/html') return send(200, '<html>', 'text/html');
    if (req.url === '/boom') return send(503, 'overloaded', 'text/plain');
    // Unref'd: the client gives up after 0.3 s, and a pending answer must not keep the file's process alive 3 s.
    if (req.url === '/slow') return void setTimeout(() => send(200, '{"n":1}'), 3000).unref();
    send(404, '{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const cfg = (o: Record<string, unknown>) => HttpExternalSchema.parse({ name: 'pending', kind: 'http', ...o });

describe('http external source (real local server)', () => {
  test('reads the number at value_path', async () => {
    assert.equal(await httpExternalSource.read(cfg({ url: `${base}/stats`, value_path: 'queue.pending' })), 17);
  });

  test('a missing path or a non-number is a ConfigurationError naming the source and the path', async () => {
    await assert.rejects(httpExternalSource.read(cfg({ url: `${base}/stats`, value_path: 'queue.depth' })), (e: unknown) => {
      assert.ok(e instanceof ConfigurationError);
      assert.match(e.message, /^external source 'pending' \(GET http:\/\/127\.0\.0\.1:\d+\/stats\): 'queue\.depth' is missing \(keys there: pending, name\) \(external\.pending\.value_path\)$/);
      return true;
    });
    await assert.rejects(httpExternalSource.read(cfg({ url: `${base}/stats`, value_path: 'queue.name' })), /'queue\.name' is the string "jobs", not a number/);
    await assert.rejects(httpExternalSource.read(cfg({ url: `${base}/html` })), /did not answer JSON \(content-type text\/html\)/);
  });

  test('bearer tokens: inline or from the environment; a refused token is a ConfigurationError', async () => {
    assert.equal(await httpExternalSource.read(cfg({ url: `${base}/private`, value_path: 'n', bearer_token: 'tok' })), 5);
    process.env.DOCKTOR_TEST_HTTP_TOKEN = 'tok';
    assert.equal(await httpExternalSource.read(cfg({ url: `${base}/private`, value_path: 'n', bearer_token_env: 'DOCKTOR_TEST_HTTP_TOKEN' })), 5);
    assert.equal(seenAuth.at(-1), 'Bearer tok');
    await assert.rejects(httpExternalSource.read(cfg({ url: `${base}/private`, value_path: 'n', bearer_token: 'wrong' })), (e: unknown) => e instanceof ConfigurationError && /answered 401/.test(e.message));
    await assert.rejects(httpExternalSource.read(cfg({ url: `${base}/private`, bearer_token_env: 'DOCKTOR_TEST_UNSET_VAR' })), /external\.pending\.bearer_token_env: environment variable DOCKTOR_TEST_UNSET_VAR is not set/);
  });

  test('a server error, a timeout and a closed port are UnavailableError (retried by the next check)', async () => {
    await assert.rejects(httpExternalSource.read(cfg({ url: `${base}/boom` })), (e: unknown) => e instanceof UnavailableError && /answered 503/.test(e.message));
    await assert.rejects(httpExternalSource.read(cfg({ url: `${base}/slow`, timeout: 0.3 })), (e: unknown) => e instanceof UnavailableError && /did not answer within 0\.3 s/.test(e.message));
    const closed = await freePort();
    await assert.rejects(httpExternalSource.read(cfg({ url: `http://127.0.0.1:${closed}/x` })), (e: unknown) => e instanceof UnavailableError && /is unreachable: .*ECONNREFUSED/.test(e.message));
  });

  test('check: one ✓/✗ line, credentials in the URL masked', async () => {
    const ok = await httpExternalSource.check(cfg({ url: `${base}/stats`, value_path: 'queue.pending' }));
    assert.deepEqual(ok.map((r) => [r.ok, r.detail]), [[true, 'queue.pending = 17']]);
    const bad = await httpExternalSource.check(cfg({ url: `http://u:hunter2@127.0.0.1:1/x` }));
    assert.equal(bad[0]?.ok, false);
    assert.ok(!JSON.stringify(bad).includes('hunter2'), JSON.stringify(bad));
  });
});
