// `external:` sources of a service: any number from HTTP, SQL or PromQL, each read at every check
// as the observation `external.<name>`. One variant per `kind`; the registry in
// src/sources/external/ maps each kind to its reader.
import { z } from 'zod';
import { oneSecretSource, secretFields } from './secret-fields';

const SOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Fields every external source has. */
const common = {
  /** The observation is `external.<name>`. */
  name: z.string().regex(SOURCE_NAME, 'letters, digits and "_", starting with a letter or "_" (it becomes the metric external.<name>)'),
  /** Seconds a read may take before it counts as a failed source. */
  /** At most 15: a check gives up on any source after 20 s (src/sources/collect.ts). */
  timeout: z.number().positive().max(15).default(5),
};

export const HttpExternalSchema = z
  .strictObject({
    ...common,
    kind: z.literal('http'),
    url: z.string().url('an http:// or https:// URL'),
    /** Dotted path into the JSON answer, e.g. `queue.pending` or `items.0.count`; empty: the answer itself. */
    value_path: z.string().default(''),
    headers: z.record(z.string(), z.string()).default({}),
    /** Sent as `Authorization: Bearer …`. */
    ...secretFields('bearer_token'),
  })
  .superRefine(oneSecretSource(['bearer_token']));
export type HttpExternalConfig = z.infer<typeof HttpExternalSchema>;

/** A SQL source: the first column of the first row of `query` is the value. */
function sqlSchema<K extends 'postgres' | 'mysql'>(kind: K, url: z.ZodString) {
  return z
    .strictObject({
      ...common,
      kind: z.literal(kind),
      url,
      query: z.string().trim().min(1, 'a query whose first column of the first row is a number, e.g. SELECT count(*) FROM jobs'),
      ...secretFields('password'),
    })
    .superRefine(oneSecretSource(['password']));
}

export const PostgresExternalSchema = sqlSchema('postgres', z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// or postgresql:// URL, e.g. postgres://reader@db:5432/app'));
export type PostgresExternalConfig = z.infer<typeof PostgresExternalSchema>;

export const MysqlExternalSchema = sqlSchema('mysql', z.string().regex(/^mysql:\/\//, 'a mysql:// URL, e.g. mysql://reader@db:3306/app'));
export type MysqlExternalConfig = z.infer<typeof MysqlExternalSchema>;

export const PrometheusExternalSchema = z
  .strictObject({
    ...common,
    kind: z.literal('prometheus'),
    /** The server's base URL, e.g. http://prometheus:9090 (the instant-query API is under it). */
    url: z.string().url('an http:// or https:// URL'),
    query: z.string().trim().min(1, 'a PromQL query that returns a scalar or one sample, e.g. sum(rate(http_requests_total[1m]))'),
    /** Basic auth: with password, password_env or password_file. */
    username: z.string().min(1).optional(),
    ...secretFields('password'),
    /** Sent as `Authorization: Bearer …` (e.g. to an auth proxy in front of Prometheus). */
    ...secretFields('bearer_token'),
  })
  .superRefine(oneSecretSource(['password', 'bearer_token']))
  .superRefine((v, ctx) => {
    const password = v.password ?? v.password_env ?? v.password_file;
    const token = v.bearer_token ?? v.bearer_token_env ?? v.bearer_token_file;
    if (password !== undefined && v.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'basic auth needs a username with the password' });
    if (v.username !== undefined && token !== undefined) ctx.addIssue({ code: 'custom', path: ['bearer_token'], message: 'give either basic auth (username, password) or a bearer token, not both' });
  });
export type PrometheusExternalConfig = z.infer<typeof PrometheusExternalSchema>;

export const EXTERNAL_KINDS = ['http', 'postgres', 'mysql', 'prometheus'] as const;
export const ExternalSchema = z.discriminatedUnion('kind', [HttpExternalSchema, PostgresExternalSchema, MysqlExternalSchema, PrometheusExternalSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of: ${EXTERNAL_KINDS.join(', ')}` : undefined),
});
export type ExternalConfig = z.infer<typeof ExternalSchema>;

/** The list, with names unique within a service. */
export const ExternalListSchema = z.array(ExternalSchema).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((e, i) => {
    const first = seen.get(e.name);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate of external[${first}].name "${e.name}"` });
    else seen.set(e.name, i);
  });
});
