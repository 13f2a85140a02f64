// `kind: postgres`: the first column of the first row of a query (KEDA's postgresql scaler), with
// the `pg` driver. Each read runs in its own read-only transaction with a statement timeout set
// for that transaction only (SET LOCAL), so nothing leaks to a shared server session behind a
// transaction-pooling proxy such as PgBouncer; the query itself goes through the extended
// protocol, which refuses several statements in one string.
import pg from 'pg';
import type { PostgresExternalConfig } from '../../config/external';
import { QueryTimeout, SqlExternalSource, sqlStateOf, type SqlDriver } from './sql-source';

/** Connections per url and credentials: a check runs one query at a time. */
const POOL_SIZE = 2;
/** Longer than most check intervals, so checks reuse connections. */
const IDLE_MS = 60_000;

export const postgresDriver: SqlDriver<PostgresExternalConfig, pg.Pool> = {
  server: 'PostgreSQL',
  open(config, password) {
    const ms = config.timeout * 1000;
    const pool = new pg.Pool({
      connectionString: config.url,
      ...(password !== undefined ? { password } : {}),
      max: POOL_SIZE,
      idleTimeoutMillis: IDLE_MS,
      connectionTimeoutMillis: ms,
      // Client side, for a server that stops answering; the server's own limit is statement_timeout below.
      query_timeout: ms + 1000,
      application_name: 'docktor',
      allowExitOnIdle: true,
    });
    // An idle connection the server closes must not crash the worker: the pool drops it.
    pool.on('error', () => undefined);
    return pool;
  },
  async rows(pool, config) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${Math.round(config.timeout * 1000)}`);
      const query: pg.QueryArrayConfig & { queryMode: 'extended' } = { text: config.query, rowMode: 'array', queryMode: 'extended' };
      const result = await client.query(query);
      await client.query('ROLLBACK');
      return result.rows as unknown[][];
    } catch (e) {
      if (e instanceof Error && /query read timeout/i.test(e.message)) {
        broken = e;
        throw new QueryTimeout(e.message, { cause: e });
      }
      // A server error leaves the connection usable once the transaction is ended; anything else
      // (a dropped connection) discards it.
      if (sqlStateOf(e) !== undefined) await client.query('ROLLBACK').catch((r: unknown) => (broken = r instanceof Error ? r : new Error(String(r))));
      else broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      client.release(broken);
    }
  },
  async close(pool) {
    await pool.end();
  },
};

export const postgresExternalSource = new SqlExternalSource<PostgresExternalConfig, pg.Pool>('postgres', postgresDriver);
