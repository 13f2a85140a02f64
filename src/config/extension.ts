// Extension points in a service's config: `custom:` (a strategy module) and `policies:` (modules
// run before and/or after the strategy). Paths are relative to the config file (src/config/load.ts)
// or, for `docktor decide`, to the working directory. The modules run in src/extend.
import { z } from 'zod';

/** A module's call must answer within this (seconds), else the check fails naming the module. */
export const DEFAULT_MODULE_TIMEOUT_SECONDS = 2;
/** A check is one local activity with a 30 s budget that collection shares (src/workflows). */
export const MAX_MODULE_TIMEOUT_SECONDS = 5;

const ModuleRefFields = {
  /** An ES module (.mjs, or .js under "type": "module") or a CommonJS file. */
  module: z.string().min(1, 'a path to a .mjs, .cjs or .js file, e.g. ./scale.mjs'),
  /** Handed to the module's functions as their last argument. */
  options: z.record(z.string(), z.unknown()).default({}),
  timeout_seconds: z.number().positive().max(MAX_MODULE_TIMEOUT_SECONDS).default(DEFAULT_MODULE_TIMEOUT_SECONDS),
};

/** `strategy: custom`: the module exports `decide(input, options)`. */
export const CustomStrategySchema = z.strictObject(ModuleRefFields);
export type CustomStrategyConfig = z.infer<typeof CustomStrategySchema>;

/** A policy exports `before(input, options)` and/or `after(input, decision, options)`. */
export const PolicySchema = z.strictObject(ModuleRefFields);
export type PolicyConfig = z.infer<typeof PolicySchema>;
