// Turns zod issues into field-path messages that say what is wrong and how to fix it.
import type { z } from 'zod';
import type { FieldIssue } from '../errors';

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

export function toFieldIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: 'unknown field (check the spelling; see `docktor config schema`)' });
      continue;
    }
    out.push({ path: formatPath(path), message: describe(issue) });
  }
  return out;
}

/** zod's own wording; anything else is a message the schema chose and is kept as it is. */
const GENERIC = /^(Invalid|Too (small|big)|Expected)/;

function describe(issue: z.core.$ZodIssue): string {
  if (!GENERIC.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `must be ${article(issue.expected)}, got ${kindOf(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    default:
      return issue.message;
  }
}

function article(expected: string): string {
  if (expected === 'int') return 'a whole number';
  if (expected === 'array') return 'a list';
  if (expected === 'object') return 'a mapping';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return `${typeof v} ${String(v)}`;
}

/**
 * Re-reports the issues of a nested parse (e.g. a template checked as a service) on the outer
 * schema, under `prefix`, with docktor's wording; `skip` leaves out issues the caller reports itself.
 */
export function forwardIssues(error: z.ZodError, ctx: z.RefinementCtx, prefix: readonly PropertyKey[], skip: (path: readonly PropertyKey[]) => boolean = () => false): void {
  for (const issue of error.issues) {
    if (skip(issue.path)) continue;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) ctx.addIssue({ code: 'custom', path: [...prefix, ...issue.path, key], message: 'unknown field (check the spelling; see `docktor config schema`)' });
      continue;
    }
    ctx.addIssue({ code: 'custom', path: [...prefix, ...issue.path], message: describe(issue) });
  }
}
