// The `service` argument of decide_scale_multi and simulate: a configured service's name, or a whole
// service config as in docktor.yaml. A plain union of the two reports only "Invalid input" when
// both fail (zod cannot tell which one was meant), so the config is checked first and its issues
// named by field path in the CLI's wording; the union stays for the JSON Schema agents read.
import { z } from 'zod';
import { forwardIssues } from '../config/issues';
import { ServiceSchema } from '../config/service';

export function serviceOrConfigSchema(names: [string, ...string[]], project: string) {
  const check = (value: unknown, ctx: z.RefinementCtx): unknown => {
    if (typeof value === 'string' && !names.includes(value)) {
      ctx.addIssue({ code: 'custom', path: [], message: `no service "${value}" in project '${project}' (one of: ${names.join(', ')}), nor a service config` });
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const parsed = ServiceSchema.safeParse(value, { reportInput: true });
      if (!parsed.success) forwardIssues(parsed.error, ctx, []);
    }
    return value;
  };
  return z
    .preprocess(check, z.union([z.enum(names), ServiceSchema]))
    .describe(`The name of a configured service (${names.join(', ')}) to use its policy, or a full service config as in docktor.yaml to try another one`);
}
