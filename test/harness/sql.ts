// The SQL servers the postgres and mysql external sources are tested against: the machine's
// PostgreSQL and MariaDB (127.0.0.1:5432 with trust auth, 127.0.0.1:3306 with root and no
// password, database `test` on both), or the servers the environment names. One that does not
// answer fails the test with how to get it.
import mysql from 'mysql2/promise';
import pg from 'pg';

export const POSTGRES_URL = process.env.DOCKTOR_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = process.env.DOCKTOR_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

/** Runs statements on the test PostgreSQL (as its admin user, not through docktor). */
export async function postgresAdmin(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(
      `no PostgreSQL at ${POSTGRES_URL} (${e instanceof Error ? e.message : String(e)}): install and start it ` +
        '(`apt-get install postgresql`, then `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, trust auth and a database `test`), ' +
        'or set DOCKTOR_TEST_POSTGRES_URL',
    );
  }
  return client;
}

/** A connection to the test MariaDB/MySQL (as its admin user, not through docktor). */
export async function mysqlAdmin(): Promise<mysql.Connection> {
  try {
    return await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 5000 });
  } catch (e) {
    throw new Error(
      `no MySQL/MariaDB at ${MYSQL_URL} (${e instanceof Error ? e.message : String(e)}): install and start it ` +
        '(`apt-get install mariadb-server`, then `start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd`, root without a password and a database `test`), ' +
        'or set DOCKTOR_TEST_MYSQL_URL',
    );
  }
}
