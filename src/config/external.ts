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
  timeout: z.number().positive().max(60).default(5),
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

export const EXTERNAL_KINDS = ['http'] as const;
export const ExternalSchema = z.discriminatedUnion('kind', [HttpExternalSchema], {
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
