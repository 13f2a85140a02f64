// Config fields for a secret given inline, by environment variable or by file. Deterministic (the
// service schema is used in workflow code); the values are read on the worker by
// src/sources/secrets.ts `resolveSecret`.
import { z } from 'zod';

/**
 * Schema fields for one secret given inline, by environment variable or by file:
 * `{name}`, `{name}_env`, `{name}_file`. At most one may be set (checked by `oneSecretSource`).
 */
export function secretFields<N extends string>(name: N) {
  return {
    [name]: z.string().min(1).optional(),
    [`${name}_env`]: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    [`${name}_file`]: z.string().min(1).optional(),
  } as { [K in N | `${N}_env` | `${N}_file`]: z.ZodOptional<z.ZodString> };
}

/** A superRefine check: at most one of `{name}`, `{name}_env`, `{name}_file`. */
export function oneSecretSource(names: string[]) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    for (const name of names) {
      const set = [name, `${name}_env`, `${name}_file`].filter((k) => value[k] !== undefined);
      if (set.length > 1) ctx.addIssue({ code: 'custom', path: [set[1]!], message: `give the secret one way: ${set.join(' and ')} are both set` });
    }
  };
}
