// The `postgres` and `mysql` external sources against the real servers (the machine's PostgreSQL
// and MariaDB): the value, each way a query can fail to give one, the timeout, a server that is
// down, refused credentials, the read-only guard, connections kept across reads, and
// `docktor config validate`'s ✓/✗ lines.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ExternalSchema, type MysqlExternalConfig, type PostgresExternalConfig } from '../../src/config/external';
import type { SqlExternalConfig } from '../../src/sources/external/sql-source';
import { freePort } from '../../src/dev/free-port';
import { ConfigurationError, UnavailableError } from '../../src/errors';
import { mysqlExternalSource } from '../../src/sources/external/mysql';
import { postgresExternalSource } from '../../src/sources/external/postgres';
import { MYSQL_URL, POSTGRES_URL, mysqlAdmin, postgresAdmin } from '../harness/sql';
import { validateExternal } from './external-validate';

const suffix = `${process.pid}_${Date.now().toString(36)}`;
const TABLE = `docktor_jobs_${suffix}`;

interface Kind {
  kind: 'postgres' | 'mysql';
  url: string;
  source: { read(c: SqlExternalConfig): Promise<number> };
  exec(sql: string): Promise<void>;
  end(): Promise<void>;
  /** Blocks for 3 s; the server's session id; a numeric (decimal) value. */
  sleep: string;
  sessionId: string;
  decimal: string;
}

async function kinds(): Promise<Kind[]> {
  const pgc = await postgresAdmin();
  const my = await mysqlAdmin();
  return [
    {
      kind: 'postgres',
      url: POSTGRES_URL,
      source: { read: (c) => postgresExternalSource.read(c as PostgresExternalConfig) },
      exec: async (sql) => void (await pgc.query(sql)),
      end: () => pgc.end(),
      sleep: 'SELECT pg_sleep(3)',
      sessionId: 'SELECT pg_backend_pid()',
      decimal: 'SELECT 12.50::numeric',
    },
    {
      kind: 'mysql',
      url: MYSQL_URL,
      source: { read: (c) => mysqlExternalSource.read(c as MysqlExternalConfig) },
      exec: async (sql) => void (await my.query(sql)),
      end: () => my.end(),
      sleep: 'SELECT SLEEP(3)',
      sessionId: 'SELECT CONNECTION_ID()',
      decimal: 'SELECT CAST(12.50 AS DECIMAL(6,2))',
    },
  ];
}

function config(k: Kind, query: string, extra: Record<string, unknown> = {}): SqlExternalConfig {
  return ExternalSchema.parse({ name: 'jobs', kind: k.kind, url: k.url, query, timeout: 1, ...extra }) as SqlExternalConfig;
}

async function failure(k: Kind, c: SqlExternalConfig): Promise<Error> {
  try {
    const value = await k.source.read(c);
    assert.fail(`expected ${c.kind} '${c.query}' to fail, got ${value}`);
  } catch (e) {
    assert.ok(e instanceof Error);
    return e;
  }
}

const all: Kind[] = [];

before(async () => {
  all.push(...(await kinds()));
  for (const k of all) {
    await k.exec(`CREATE TABLE ${TABLE} (id INT PRIMARY KEY, state VARCHAR(10))`);
    await k.exec(`INSERT INTO ${TABLE} VALUES (1, 'pending'), (2, 'pending'), (3, 'pending'), (4, 'done')`);
  }
});

after(async () => {
  for (const k of all) {
    await k.exec(`DROP TABLE IF EXISTS ${TABLE}`).catch(() => undefined);
    await k.exec(`DROP TABLE IF EXISTS ${TABLE}_w`).catch(() => undefined);
    await k.end();
  }
  await Promise.all([postgresExternalSource.close(), mysqlExternalSource.close()]);
});

for (const kind of ['postgres', 'mysql'] as const) {
  describe(`external source kind: ${kind} (real server)`, () => {
    const k = () => all.find((x) => x.kind === kind) as Kind;

    it('gives the first column of the first row: a count (BIGINT), a DECIMAL, a float', async () => {
      assert.equal(await k().source.read(config(k(), `SELECT count(*) FROM ${TABLE} WHERE state = 'pending'`)), 3);
      assert.equal(await k().source.read(config(k(), k().decimal)), 12.5);
      assert.equal(await k().source.read(config(k(), 'SELECT 0.25, 99')), 0.25);
    });

    it('NULL, no rows and a non-number are configuration errors naming the source and what came back', async () => {
      const cases: Array<[string, RegExp]> = [
        [`SELECT max(id) FROM ${TABLE} WHERE state = 'nope'`, /the first column of the first row is NULL, not a number/],
        [`SELECT id FROM ${TABLE} WHERE id < 0`, /the query returned no rows/],
        [`SELECT state FROM ${TABLE} WHERE id = 1`, /the first column of the first row is the string "pending", not a number/],
      ];
      for (const [query, problem] of cases) {
        const e = await failure(k(), config(k(), query));
        assert.ok(e instanceof ConfigurationError, `${query}: ${e.name}: ${e.message}`);
        assert.match(e.message, /external source 'jobs'/);
        assert.match(e.message, problem);
        assert.match(e.message, /external\.jobs\.query/);
      }
    });

    it('a syntax error or a missing table is a configuration error with the server\'s message', async () => {
      const syntax = await failure(k(), config(k(), 'SELEC 1'));
      assert.ok(syntax instanceof ConfigurationError, syntax.message);
      assert.match(syntax.message, /the query failed: .*syntax.*SQLSTATE (42601|42000).*fix external\.jobs\.query/);
      const missing = await failure(k(), config(k(), 'SELECT count(*) FROM no_such_table_docktor'));
      assert.ok(missing instanceof ConfigurationError, missing.message);
      assert.match(missing.message, /no_such_table_docktor/);
    });

    it('reads only: a write, DDL or a second statement is refused and nothing changes', async () => {
      const write = await failure(k(), config(k(), `UPDATE ${TABLE} SET state = 'done'`));
      assert.ok(write instanceof ConfigurationError, write.message);
      assert.match(write.message, /tried to write/);
      const ddl = await failure(k(), config(k(), `CREATE TABLE ${TABLE}_w (a INT)`));
      assert.match(ddl.message, /tried to write/);
      const two = await failure(k(), config(k(), `SELECT 1; DELETE FROM ${TABLE}`));
      assert.ok(two instanceof ConfigurationError, two.message);
      assert.equal(await k().source.read(config(k(), `SELECT count(*) FROM ${TABLE} WHERE state = 'pending'`)), 3);
      const exists = await k().source.read(config(k(), kind === 'postgres' ? `SELECT count(*) FROM pg_tables WHERE tablename = '${TABLE}_w'` : `SELECT count(*) FROM information_schema.tables WHERE table_name = '${TABLE}_w'`));
      assert.equal(exists, 0, 'the DDL should not have run');
    });

    it('a query past the timeout fails as unavailable within it, and the next read works', async () => {
      const t0 = Date.now();
      const e = await failure(k(), config(k(), k().sleep));
      const took = Date.now() - t0;
      assert.ok(e instanceof UnavailableError, `${e.name}: ${e.message}`);
      assert.match(e.message, /did not finish within 1 s \(external\.jobs\.timeout\)/);
      assert.ok(took < 2500, `the read should end at its 1 s timeout, took ${took} ms`);
      assert.equal(await k().source.read(config(k(), 'SELECT 5')), 5);
    });

    it('keeps its connection across reads', async () => {
      const c = config(k(), k().sessionId);
      const first = await k().source.read(c);
      for (let i = 0; i < 3; i++) assert.equal(await k().source.read(c), first, 'each read should use the same server session');
    });

    it('a server that is down is unavailable, its URL\'s password masked', async () => {
      const port = await freePort();
      const url = kind === 'postgres' ? `postgres://postgres:s3cret@127.0.0.1:${port}/test` : `mysql://root:s3cret@127.0.0.1:${port}/test`;
      const e = await failure(k(), config(k(), 'SELECT 1', { url }));
      assert.ok(e instanceof UnavailableError, `${e.name}: ${e.message}`);
      assert.match(e.message, /is unreachable: .*ECONNREFUSED.*external\.jobs\.url/);
      assert.doesNotMatch(e.message, /s3cret/);
      assert.match(e.message, /:\*\*\*@/);
    });

    it('refused credentials are a configuration error', async () => {
      const url = kind === 'postgres' ? POSTGRES_URL.replace(/\/\/[^@/]*@/, '//docktor_nobody@') : MYSQL_URL.replace(/\/\/[^@/]*@/, '//docktor_nobody@');
      const e = await failure(k(), config(k(), 'SELECT 1', { url }));
      assert.ok(e instanceof ConfigurationError, `${e.name}: ${e.message}`);
      assert.match(e.message, /refused the credentials .*docktor_nobody/);
    });

    it('docktor config validate: ✓ with the value, ✗ with the problem', async () => {
      const r = await validateExternal([
        `{ name: pending, kind: ${kind}, url: "${k().url}", query: "SELECT count(*) FROM ${TABLE} WHERE state = 'pending'" }`,
        `{ name: broken, kind: ${kind}, url: "${k().url}", query: "SELECT NULL" }`,
      ]);
      assert.equal(r.code, 1, r.out + r.err);
      assert.match(r.out, new RegExp(`^✓ External 'pending' \\(${kind} ${k().url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) gives a number: SELECT count\\(\\*\\) FROM ${TABLE} .* = 3$`, 'm'));
      assert.match(r.out, new RegExp(`^✗ External 'broken' \\(${kind} .*\\) gives a number: .*NULL, not a number`, 'm'));
      assert.match(r.out, /^1 check\(s\) failed\.$/m);
    });
  });
}

describe('external source kind: mysql with a password by environment variable (a read-only user)', () => {
  const user = `docktor_ro_${process.pid}`;
  const my = () => all.find((x) => x.kind === 'mysql') as Kind;

  before(async () => {
    await my().exec(`CREATE USER '${user}'@'%' IDENTIFIED BY 'r3ad-only'`);
    await my().exec(`CREATE USER '${user}'@'localhost' IDENTIFIED BY 'r3ad-only'`);
    await my().exec(`GRANT SELECT ON test.* TO '${user}'@'%'`);
    await my().exec(`GRANT SELECT ON test.* TO '${user}'@'localhost'`);
  });
  after(async () => {
    await my().exec(`DROP USER IF EXISTS '${user}'@'%'`);
    await my().exec(`DROP USER IF EXISTS '${user}'@'localhost'`);
  });

  it('reads with the password from password_env; a wrong one is refused', async () => {
    const url = MYSQL_URL.replace(/\/\/[^@/]*@/, `//${user}@`);
    process.env.DOCKTOR_TEST_MYSQL_PASSWORD = 'r3ad-only';
    const query = `SELECT count(*) FROM ${TABLE}`;
    assert.equal(await my().source.read(config(my(), query, { url, password_env: 'DOCKTOR_TEST_MYSQL_PASSWORD' })), 4);
    const e = await failure(my(), config(my(), query, { url, password: 'wrong' }));
    assert.ok(e instanceof ConfigurationError, `${e.name}: ${e.message}`);
    assert.match(e.message, /refused the credentials/);
    assert.doesNotMatch(e.message, /wrong|r3ad-only/);
  });
});
