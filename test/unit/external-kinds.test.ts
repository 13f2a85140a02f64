// Pure parts of the postgres, mysql and prometheus external sources: the first cell as a number,
// a Prometheus answer as a number, and their config schemas.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExternalSchema } from '../../src/config/external';
import { firstCellNumber } from '../../src/sources/external/first-cell';
import { prometheusValue } from '../../src/sources/external/prometheus-result';
import { sqlConfigurationProblem, sqlStateOf } from '../../src/sources/external/sql-source';

describe('firstCellNumber', () => {
  it('takes numbers, bigints and numeric strings (BIGINT, NUMERIC, DECIMAL come as strings)', () => {
    assert.deepEqual(firstCellNumber([[42, 'x']]), { ok: true, value: 42 });
    assert.deepEqual(firstCellNumber([['12345678901234'], ['9']]), { ok: true, value: 12345678901234 });
    assert.deepEqual(firstCellNumber([['-0.50']]), { ok: true, value: -0.5 });
    assert.deepEqual(firstCellNumber([[7n]]), { ok: true, value: 7 });
  });

  it('says what came back otherwise', () => {
    const problem = (rows: unknown[][]) => {
      const r = firstCellNumber(rows);
      assert.ok(!r.ok);
      return r.problem;
    };
    assert.equal(problem([]), 'the query returned no rows');
    assert.equal(problem([[]]), 'the query returned a row without columns');
    assert.equal(problem([[null]]), 'the first column of the first row is NULL, not a number');
    assert.equal(problem([['abc']]), 'the first column of the first row is the string "abc", not a number');
    assert.equal(problem([['NaN']]), 'the first column of the first row is the string "NaN", not a number');
    assert.equal(problem([['']]), 'the first column of the first row is the string "", not a number');
    assert.equal(problem([[true]]), 'the first column of the first row is the boolean true, not a number');
    assert.equal(problem([[new Date(0)]]), 'the first column of the first row is the date 1970-01-01T00:00:00.000Z, not a number');
    assert.equal(problem([[Buffer.from('ab')]]), 'the first column of the first row is 2 byte(s) of binary data, not a number');
    assert.equal(problem([[Infinity]]), 'the first column of the first row is Infinity, not a number');
  });
});

describe('SQL errors by SQLSTATE', () => {
  const c = { name: 'jobs', kind: 'postgres' as const, url: 'postgres://x@h/db', query: 'SELECT 1', timeout: 5 };
  const err = (code: string, message: string, field: 'code' | 'sqlState' = 'code') => Object.assign(new Error(message), { [field]: code });

  it('reads pg\'s code and mysql2\'s sqlState, not network codes', () => {
    assert.equal(sqlStateOf(err('42601', 'syntax')), '42601');
    assert.equal(sqlStateOf(Object.assign(err('42000', 'x', 'sqlState'), { code: 'ER_PARSE_ERROR' })), '42000');
    assert.equal(sqlStateOf(err('ECONNREFUSED', 'refused')), undefined);
  });

  it('names the query, the database or a write; leaves credentials and server trouble alone', () => {
    assert.match(sqlConfigurationProblem(err('42P01', 'relation "t" does not exist'), c) ?? '', /^the query failed: relation "t" does not exist \(SQLSTATE 42P01\); fix external\.jobs\.query$/);
    assert.match(sqlConfigurationProblem(err('3D000', 'database "x" does not exist'), c) ?? '', /the database does not exist .*external\.jobs\.url/);
    assert.match(sqlConfigurationProblem(err('42000', "Unknown database 'x'", 'sqlState'), c) ?? '', /the database does not exist/);
    assert.match(sqlConfigurationProblem(err('25006', 'cannot execute UPDATE in a read-only transaction'), c) ?? '', /tried to write/);
    assert.equal(sqlConfigurationProblem(err('42000', "Access denied for user 'u'@'h' to database 'd'", 'sqlState'), c), undefined);
    assert.equal(sqlConfigurationProblem(err('28P01', 'password authentication failed'), c), undefined);
    assert.equal(sqlConfigurationProblem(err('57P03', 'the database system is starting up'), c), undefined);
  });
});

describe('prometheusValue', () => {
  const ok = (resultType: string, result: unknown) => ({ status: 'success', data: { resultType, result } });

  it('takes a scalar or a one-sample vector', () => {
    assert.deepEqual(prometheusValue(ok('scalar', [1700000000, '42'])), { ok: true, value: 42 });
    assert.deepEqual(prometheusValue(ok('vector', [{ metric: {}, value: [1700000000, '0.25'] }])), { ok: true, value: 0.25 });
  });

  it('says how many samples came back, or what else', () => {
    const problem = (body: unknown) => {
      const r = prometheusValue(body);
      assert.ok(!r.ok);
      return r.problem;
    };
    const sample = (q: string) => ({ metric: { __name__: 'jobs', queue: q }, value: [1, '1'] });
    assert.match(problem(ok('vector', [])), /^the query returned 0 samples \(an empty vector\)/);
    assert.match(problem(ok('vector', [sample('a'), sample('b')])), /^the query returned 2 samples \(\{__name__="jobs", queue="a"\}, \{__name__="jobs", queue="b"\}\); it must return one/);
    assert.match(problem(ok('vector', ['a', 'b', 'c', 'd'].map(sample))), /returned 4 samples \(.*queue="c"\}, …\)/);
    assert.match(problem(ok('matrix', [{ metric: {}, values: [] }])), /a range vector of 1 series/);
    assert.equal(problem(ok('string', [1, 'x'])), 'the query returned a string, not a number');
    assert.equal(problem(ok('vector', [{ metric: { q: 'a' }, value: [1, 'NaN'] }])), 'the sample {q="a"} is NaN, not a finite number');
    assert.equal(problem(ok('scalar', [1, '+Inf'])), 'the scalar is +Inf, not a finite number');
    assert.match(problem({ status: 'error', error: 'x' }), /not a Prometheus query result/);
    assert.match(problem(null), /not a Prometheus query result/);
  });
});

describe('schemas of the postgres, mysql and prometheus kinds', () => {
  const issues = (input: Record<string, unknown>) => {
    const r = ExternalSchema.safeParse(input);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the documented forms, with timeout 5 s by default', () => {
    const pg = ExternalSchema.parse({ name: 'jobs', kind: 'postgres', url: 'postgresql://reader@db/app', query: 'SELECT count(*) FROM jobs', password_env: 'PGPASSWORD' });
    assert.equal(pg.timeout, 5);
    ExternalSchema.parse({ name: 'jobs', kind: 'mysql', url: 'mysql://reader@db:3306/app', query: 'SELECT 1', password_file: '/run/secrets/db' });
    ExternalSchema.parse({ name: 'rps', kind: 'prometheus', url: 'http://prometheus:9090', query: 'sum(rate(x[1m]))', username: 'u', password_env: 'P' });
    ExternalSchema.parse({ name: 'rps', kind: 'prometheus', url: 'http://prometheus:9090', query: 'up', bearer_token_env: 'T' });
  });

  it('names the field and the fix', () => {
    assert.deepEqual(issues({ name: 'j', kind: 'postgres', url: 'mysql://x@h/d', query: 'SELECT 1' }), ['url: a postgres:// or postgresql:// URL, e.g. postgres://reader@db:5432/app']);
    assert.deepEqual(issues({ name: 'j', kind: 'mysql', url: 'mysql://x@h/d', query: '  ' }), ['query: a query whose first column of the first row is a number, e.g. SELECT count(*) FROM jobs']);
    assert.deepEqual(issues({ name: 'j', kind: 'mysql', url: 'mysql://x@h/d', query: 'SELECT 1', password: 'a', password_env: 'B' }), ['password_env: give the secret one way: password and password_env are both set']);
    assert.deepEqual(issues({ name: 'p', kind: 'prometheus', url: 'http://p:9090', query: 'up', password: 'x' }), ['username: basic auth needs a username with the password']);
    assert.deepEqual(issues({ name: 'p', kind: 'prometheus', url: 'http://p:9090', query: 'up', username: 'u', bearer_token: 't' }), ['bearer_token: give either basic auth (username, password) or a bearer token, not both']);
    assert.deepEqual(issues({ name: 'p', kind: 'prometheus', url: 'http://p:9090', query: 'up', headers: {} }).length, 1);
    assert.match(issues({ name: 'p', kind: 'redis-list', url: 'x' })[0] ?? '', /kind must be one of: http, postgres, mysql, prometheus/);
  });
});
