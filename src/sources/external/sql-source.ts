// What the `postgres` and `mysql` kinds share: a pool of connections per server and credentials,
// kept across checks; the query run read-only (each driver says how); its first cell as the
// value; and the server's errors by SQLSTATE (both servers report one) mapped to docktor's typed
// errors. Each kind gives only its driver (src/sources/external/postgres.ts, mysql.ts).
import type { MysqlExternalConfig, PostgresExternalConfig } from '../../config/external';
import { ConfigurationError, UnavailableError } from '../../errors';
import type { CheckResult } from '../../observations';
import { ConnectionPool } from '../connection-pool';
import { messageOf, sourceError } from '../failures';
import { redactUrl, resolveSecret } from '../secrets';
import type { ExternalSource } from './external-source';
import { firstCellNumber } from './first-cell';

export type SqlExternalConfig = PostgresExternalConfig | MysqlExternalConfig;

/** A driver: opens a client-side pool (connecting lazily) and runs one read-only query on it. */
export interface SqlDriver<C extends SqlExternalConfig, P> {
  /** As operators name the server, e.g. `PostgreSQL`. */
  readonly server: string;
  open(config: C, password: string | undefined): P;
  /** The query's rows, each an array of columns, read-only and within config.timeout. */
  rows(pool: P, config: C): Promise<unknown[][]>;
  close(pool: P): Promise<void>;
}

/** A driver error's SQLSTATE (`code` for pg, `sqlState` for mysql2), when the server sent one. */
export function sqlStateOf(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const e = err as { sqlState?: unknown; code?: unknown };
  if (typeof e.sqlState === 'string' && /^[0-9A-Z]{5}$/.test(e.sqlState)) return e.sqlState;
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  return undefined;
}

/** SQLSTATE classes that mean the query (or the database named) is wrong, not the server down. */
const QUERY_PROBLEM_CLASSES = new Set(['0A', '21', '22', '25', '2B', '3F', '42', '44', 'P0']);

/** Why a server error is the config's fault, or undefined when it may pass (then: unavailable). */
export function sqlConfigurationProblem(err: unknown, config: SqlExternalConfig): string | undefined {
  const state = sqlStateOf(err);
  if (state === undefined) return undefined;
  const msg = messageOf(err);
  // MySQL reports a user without rights on the database as 42000: the credentials' problem.
  if (/access denied/i.test(msg)) return undefined;
  if (state === '25006') return `the query tried to write (${msg}); an external source only reads: fix external.${config.name}.query`;
  if (state.startsWith('3D') || (state === '42000' && /unknown database/i.test(msg))) return `the database does not exist (${msg}): fix external.${config.name}.url`;
  if (QUERY_PROBLEM_CLASSES.has(state.slice(0, 2))) return `the query failed: ${msg} (SQLSTATE ${state}); fix external.${config.name}.query`;
  return undefined;
}

export class SqlExternalSource<C extends SqlExternalConfig, P> implements ExternalSource<C> {
  private readonly pools: ConnectionPool<P>;

  constructor(
    readonly kind: C['kind'],
    private readonly driver: SqlDriver<C, P>,
  ) {
    this.pools = new ConnectionPool<P>({ close: (p) => driver.close(p) });
  }

  async read(config: C): Promise<number> {
    const what = this.describe(config);
    const password = resolveSecret(config, 'password', `external.${config.name}`);
    // One pool per server and credentials (and timeout, which the pool's connections carry).
    const key = JSON.stringify([config.url, password ?? null, config.timeout]);
    const pool = await this.pools.get(key, async () => this.driver.open(config, password));
    let rows: unknown[][];
    try {
      rows = await this.driver.rows(pool, config);
    } catch (e) {
      throw this.failure(config, what, e);
    }
    const found = firstCellNumber(rows);
    if (!found.ok) throw new ConfigurationError(`${what}: ${found.problem}; fix external.${config.name}.query`, `external.${config.name}.query`);
    return found.value;
  }

  async check(config: C): Promise<CheckResult[]> {
    const label = `External '${config.name}' (${config.kind} ${redactUrl(config.url)}) gives a number`;
    try {
      const value = await this.read(config);
      return [{ ok: true, label, detail: `${oneLine(config.query)} = ${value}` }];
    } catch (e) {
      return [{ ok: false, label, detail: messageOf(e) }];
    }
  }

  async close(): Promise<void> {
    await this.pools.close();
  }

  private describe(config: C): string {
    return `external source '${config.name}' (${this.driver.server} at ${redactUrl(config.url)})`;
  }

  private failure(config: C, what: string, err: unknown): Error {
    if (err instanceof QueryTimeout || sqlStateOf(err) === '57014') {
      return new UnavailableError(`${what}: the query did not finish within ${config.timeout} s (external.${config.name}.timeout)`, { cause: err });
    }
    return sourceError(
      {
        what,
        field: `external.${config.name}.url`,
        isAuthError: (e) => sqlStateOf(e)?.startsWith('28') === true || /access denied|authentication failed|password/i.test(messageOf(e)),
        configurationProblem: (e) => sqlConfigurationProblem(e, config),
      },
      err,
    );
  }
}

/** Thrown by a driver whose client-side timeout ended the query. */
export class QueryTimeout extends Error {
  override name = 'QueryTimeout';
}

function oneLine(query: string): string {
  const flat = query.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 60)}…` : flat;
}
