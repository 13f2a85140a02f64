// `kind: mysql` (MySQL and MariaDB): the first column of the first row of a query (KEDA's mysql
// scaler), with the `mysql2` driver. Each connection is made read-only for its session (a
// read-only transaction would not do: DDL commits it implicitly and runs anyway); several
// statements in one query string are refused (mysql2's default). The timeout is the driver's: a
// query still running then fails the read and its connection is closed.
import mysql from 'mysql2/promise';
import type { MysqlExternalConfig } from '../../config/external';
import { QueryTimeout, SqlExternalSource, sqlStateOf, type SqlDriver } from './sql-source';

/** Connections per url and credentials: a check runs one query at a time. */
const POOL_SIZE = 2;
/** Longer than most check intervals, so checks reuse connections. */
const IDLE_MS = 60_000;

/** Connections already set read-only (the driver's own connection objects, kept across checks). */
const readOnly = new WeakSet<object>();

export const mysqlDriver: SqlDriver<MysqlExternalConfig, mysql.Pool> = {
  server: 'MySQL',
  open(config, password) {
    return mysql.createPool({
      uri: config.url,
      ...(password !== undefined ? { password } : {}),
      connectionLimit: POOL_SIZE,
      maxIdle: POOL_SIZE,
      idleTimeout: IDLE_MS,
      connectTimeout: config.timeout * 1000,
    });
  },
  async rows(pool, config) {
    const conn = await pool.getConnection();
    let usable = true;
    try {
      if (!readOnly.has(conn.connection)) {
        await conn.query('SET SESSION TRANSACTION READ ONLY');
        readOnly.add(conn.connection);
      }
      const [rows] = await conn.query({ sql: config.query, rowsAsArray: true, timeout: config.timeout * 1000 });
      // A statement that returns no result set (e.g. SET) gives a result header, not rows.
      return Array.isArray(rows) ? (rows as unknown[][]) : [];
    } catch (e) {
      if ((e as { code?: unknown }).code === 'PROTOCOL_SEQUENCE_TIMEOUT') {
        usable = false;
        throw new QueryTimeout((e as Error).message, { cause: e });
      }
      // A server error leaves the connection usable; anything else (a dropped connection) discards it.
      if (sqlStateOf(e) === undefined) usable = false;
      throw e;
    } finally {
      if (usable) conn.release();
      else conn.destroy();
    }
  },
  async close(pool) {
    await pool.end();
  },
};

export const mysqlExternalSource = new SqlExternalSource<MysqlExternalConfig, mysql.Pool>('mysql', mysqlDriver);
