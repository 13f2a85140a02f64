// Checks what modules hand back before the engine uses it: a strategy's (or an `after` policy's)
// result, and the decision input a `before` policy returns. Garbage is a failed module, never a
// number the engine scales on.
import { z } from 'zod';
import { toFieldIssues } from '../config/issues';
import { DecisionInputSchema, type DecisionInput } from '../decide/input';
import { MAX_PROPOSAL } from '../decide/safety/bounds';
import type { JsonObject, StrategyResult } from '../decide/types';
import { formatIssue } from '../errors';
import { REASON_MAX_LENGTH } from '../model/scaler-state';

const StrategyResultSchema = z.object({
  target_replicas: z.number().int().min(0).max(MAX_PROPOSAL),
  reason: z.string().min(1),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** The result, or a message naming each bad field. */
export function checkStrategyResult(value: unknown): StrategyResult | string {
  const parsed = StrategyResultSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) return `returned ${preview(value)}, not { target_replicas: whole number >= 0, reason: text, details?: object } (${issues(parsed.error)})`;
  const { target_replicas, reason, details } = parsed.data;
  return {
    target_replicas,
    reason: reason.length > REASON_MAX_LENGTH ? `${reason.slice(0, REASON_MAX_LENGTH - 1)}…` : reason,
    // Details go into the history as JSON: keep only what JSON keeps.
    ...(details ? { details: JSON.parse(JSON.stringify(details)) as JsonObject } : {}),
  };
}

/**
 * A `before` policy's input, validated like `docktor decide`'s. It may change anything but which
 * modules run: `strategy`, `custom` and `policies` stay as configured.
 */
export function checkPolicyInput(value: unknown, original: DecisionInput): DecisionInput | string {
  const parsed = DecisionInputSchema.safeParse(value, { reportInput: true });
  if (!parsed.success) return `returned an invalid decision input (${issues(parsed.error)})`;
  const s = parsed.data.service;
  for (const key of ['strategy', 'custom', 'policies'] as const) {
    if (JSON.stringify(s[key]) !== JSON.stringify(original.service[key])) return `changed service.${key}: a policy may not change which modules run`;
  }
  return parsed.data;
}

function issues(error: z.ZodError): string {
  return toFieldIssues(error).map(formatIssue).join('; ');
}

function preview(v: unknown): string {
  if (v === undefined) return 'undefined';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}
