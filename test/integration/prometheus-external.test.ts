// The `prometheus` external source against a real Prometheus (Debian's package, started privately
// by test/harness/prometheus.ts with basic auth), scraping a small exporter served here: scalars,
// one-sample vectors, each other answer shape as a failure saying what came back, PromQL errors,
// basic auth and a bearer token (through an auth proxy: Prometheus has no bearer auth of its own),
// a server that is down or silent, and `docktor config validate`'s ✓/✗ lines.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { ExternalSchema, type PrometheusExternalConfig } from '../../src/config/external';
import { freePort } from '../../src/dev/free-port';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import { prometheusExternalSource as source } from '../../src/sources/external/prometheus';
import { validateExternal } from './external-validate';
import { PROMETHEUS_PASSWORD, PROMETHEUS_USER, basicAuth, startPrometheus, type TestPrometheus } from '../harness/prometheus';

const TOKEN = 'b3arer-t0ken';
let prom: TestPrometheus;
let exporter: http.Server;
let proxy: http.Server;
let proxyUrl = '';
let silent: net.Server;
let silentUrl = '';
const sockets: net.Socket[] = [];

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

function config(query: string, extra: Record<string, unknown> = {}): PrometheusExternalConfig {
  return ExternalSchema.parse({ name: 'load', kind: 'prometheus', url: prom.url, query, timeout: 2, username: PROMETHEUS_USER, password: PROMETHEUS_PASSWORD, ...extra }) as PrometheusExternalConfig;
}

async function failure(c: PrometheusExternalConfig): Promise<Error> {
  try {
    const value = await source.read(c);
    assert.fail(`expected '${c.query}' to fail, got ${value}`);
  } catch (e) {
    assert.ok(e instanceof Error);
    return e;
  }
}

before(async () => {
  // The exporter Prometheus scrapes: two series of one metric.
  exporter = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end('# TYPE docktor_test_jobs gauge\ndocktor_test_jobs{queue="a"} 3\ndocktor_test_jobs{queue="b"} 4\n');
  });
  const exporterPort = await listen(exporter);
  prom = await startPrometheus([`127.0.0.1:${exporterPort}`]);
  // An auth proxy in front of it that wants a bearer token, as deployments put one.
  proxy = http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('Unauthorized');
      return;
    }
    fetch(`${prom.url}${req.url ?? '/'}`, { headers: { authorization: basicAuth() } }).then(
      async (r) => res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(await r.text()),
      () => res.writeHead(502).end(),
    );
  });
  proxyUrl = `http://127.0.0.1:${await listen(proxy)}`;
  // A server that takes connections and never answers.
  silent = net.createServer((s) => void sockets.push(s));
  silentUrl = `http://127.0.0.1:${await listen(silent)}`;
  // Wait for the first scrapes of both targets, the exporter and Prometheus itself.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const scraped = await source.read(config('count(docktor_test_jobs) + count(up == 1)')).catch(() => undefined);
    if (scraped === 4) break;
    if (Date.now() > deadline) assert.fail('Prometheus did not scrape itself and the test exporter within 30 s');
    await sleep(250);
  }
});

after(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([exporter, proxy, silent].map((s) => new Promise((r) => (s ? s.close(r) : r(undefined)))));
  await prom?.stop();
});

describe('external source kind: prometheus (real server)', () => {
  it('gives a one-sample vector\'s value or a scalar', async () => {
    assert.equal(await source.read(config('sum(docktor_test_jobs)')), 7);
    assert.equal(await source.read(config('docktor_test_jobs{queue="b"}')), 4);
    assert.equal(await source.read(config('up{job="prometheus"}')), 1);
    assert.equal(await source.read(config('scalar(sum(docktor_test_jobs)) / 2')), 3.5);
    assert.equal(await source.read(config('2 * 21')), 42);
  });

  it('any other answer is a configuration error saying what came back', async () => {
    const cases: Array<[string, RegExp]> = [
      ['docktor_test_jobs', /the query returned 2 samples \(\{.*queue="a".*\}, \{.*queue="b".*\}\); it must return one: aggregate it/],
      ['docktor_test_jobs{queue="none"}', /the query returned 0 samples \(an empty vector\); if no series means 0, add `or vector\(0\)`/],
      ['docktor_test_jobs[1m]', /the query returned a range vector of 2 series/],
      ['"text"', /the query returned a string, not a number/],
      ['0 / 0', /the scalar is NaN, not a finite number/],
    ];
    for (const [query, problem] of cases) {
      const e = await failure(config(query));
      assert.ok(e instanceof ConfigurationError, `${query}: ${e.name}: ${e.message}`);
      assert.match(e.message, /external source 'load' \(Prometheus at http:\/\/127\.0\.0\.1:\d+\)/);
      assert.match(e.message, problem, query);
      assert.match(e.message, /external\.load\.query/);
    }
  });

  it('a PromQL syntax error is a configuration error with Prometheus\'s message', async () => {
    const e = await failure(config('sum(docktor_test_jobs'));
    assert.ok(e instanceof ConfigurationError, `${e.name}: ${e.message}`);
    assert.match(e.message, /the query failed: .*parse error.*\(external\.load\.query\)/);
  });

  it('basic auth: a wrong or missing password is refused, a password_file is read', async () => {
    const wrong = await failure(config('sum(docktor_test_jobs)', { password: 'wrong' }));
    assert.ok(wrong instanceof ConfigurationError, `${wrong.name}: ${wrong.message}`);
    assert.match(wrong.message, /answered 401 Unauthorized: check external\.load\.username and password/);
    assert.doesNotMatch(wrong.message, /wrong/);
    const none = await failure(config('sum(docktor_test_jobs)', { username: undefined, password: undefined }));
    assert.match(none.message, /answered 401 Unauthorized: check external\.load: give username and password, or bearer_token/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-prom-'));
    try {
      fs.writeFileSync(path.join(dir, 'password'), `${PROMETHEUS_PASSWORD}\n`);
      assert.equal(await source.read(config('sum(docktor_test_jobs)', { password: undefined, password_file: path.join(dir, 'password') })), 7);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a bearer token (by environment variable) passes an auth proxy; a wrong one is refused', async () => {
    process.env.DOCKTOR_TEST_PROM_TOKEN = TOKEN;
    const viaProxy = { url: proxyUrl, username: undefined, password: undefined };
    assert.equal(await source.read(config('sum(docktor_test_jobs)', { ...viaProxy, bearer_token_env: 'DOCKTOR_TEST_PROM_TOKEN' })), 7);
    const e = await failure(config('sum(docktor_test_jobs)', { ...viaProxy, bearer_token: 'nope' }));
    assert.ok(e instanceof ConfigurationError, `${e.name}: ${e.message}`);
    assert.match(e.message, /answered 401 Unauthorized: check external\.load\.bearer_token/);
  });

  it('a server that is down or silent is unavailable; a silent one within the timeout', async () => {
    const down = await failure(config('1', { url: `http://127.0.0.1:${await freePort()}` }));
    assert.ok(down instanceof UnavailableError, `${down.name}: ${down.message}`);
    assert.match(down.message, /is unreachable: .*ECONNREFUSED/);
    const t0 = Date.now();
    const late = await failure(config('1', { url: silentUrl, timeout: 1 }));
    assert.ok(late instanceof UnavailableError, `${late.name}: ${late.message}`);
    assert.match(late.message, /did not answer within 1 s \(external\.load\.timeout\)/);
    assert.ok(Date.now() - t0 < 2500, `the read should end at its 1 s timeout, took ${Date.now() - t0} ms`);
  });

  it('docktor config validate: ✓ with the value, ✗ with the problem', async () => {
    process.env.DOCKTOR_TEST_PROM_PASSWORD = PROMETHEUS_PASSWORD;
    const auth = `username: ${PROMETHEUS_USER}, password_env: DOCKTOR_TEST_PROM_PASSWORD`;
    const r = await validateExternal([
      `{ name: jobs, kind: prometheus, url: "${prom.url}", query: "sum(docktor_test_jobs)", ${auth} }`,
      `{ name: series, kind: prometheus, url: "${prom.url}", query: "docktor_test_jobs", ${auth} }`,
    ]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.out, /^✓ External 'jobs' \(prometheus http:\/\/127\.0\.0\.1:\d+\) gives a number: sum\(docktor_test_jobs\) = 7$/m);
    assert.match(r.out, /^✗ External 'series' \(prometheus .*\) gives a number: .*returned 2 samples/m);
  });
});
