// The decide step with extension modules (CONTRACT §2): `before` policies on the input → the
// strategy (a custom module, or a built-in) → `after` policies on its result → the pure engine's
// safety steps (bounds and schedule, behavior, cooldown, pause, override: decideFrom). The
// impure shell around src/decide: modules run in threads (module-host.ts) with a timeout, and
// what they return is validated (results.ts). A module that fails leaves a hold, and the failure
// names the module's path: the scaler holds as on a failed source, and `docktor decide` exits 1.
import path from 'node:path';
import type { DecisionInput } from '../decide/input';
import { builtinProposal, decideFrom, type Decision, type Proposal } from '../decide/index';
import { saneProposal } from '../decide/safety/bounds';
import type { JsonObject, StrategyResult } from '../decide/types';
import type { Json } from '../observations';
import { ModuleCallError, type ModuleHost } from './module-host';
import type { ModuleFunction } from './module-protocol';
import { checkPolicyInput, checkStrategyResult } from './results';

export type ModuleRole = 'custom strategy' | 'policy';

export interface ModuleFailure {
  role: ModuleRole;
  /** Absolute path of the module. */
  module: string;
  error: string;
}

export interface DecideStepResult {
  decision: Decision;
  /** Set when a module failed: the decision is then a hold saying so. */
  failure: ModuleFailure | null;
}

/** Whether the service needs the module host (else the pure engine alone decides). */
export function usesModules(service: DecisionInput['service']): boolean {
  return service.strategy === 'custom' || (service.policies?.length ?? 0) > 0;
}

class ModuleFailed extends Error {
  constructor(readonly failure: ModuleFailure) {
    super(`${failure.role} ${failure.module}: ${failure.error}`);
  }
}

/**
 * One decision. `baseDir` anchors relative module paths (the config loader already made the
 * config's paths absolute; `docktor decide` passes its working directory).
 */
export async function decideStep(input: DecisionInput, host: ModuleHost, baseDir: string): Promise<DecideStepResult> {
  const service = input.service;
  if (!usesModules(service)) return { decision: decideFrom(input, builtinProposal(input)), failure: null };

  const call = async (role: ModuleRole, ref: { module: string; timeout_seconds: number }, fn: ModuleFunction, args: unknown[], required: boolean) => {
    const module = path.resolve(baseDir, ref.module);
    const fail = (error: string) => new ModuleFailed({ role, module, error });
    try {
      const outcome = await host.call(module, fn, args, ref.timeout_seconds * 1000);
      if (outcome.kind !== 'value') {
        if (!required) return { module, value: undefined, exported: false, exports: outcome.exports };
        throw fail(`exports no ${fn}() function (functions: ${exportList(outcome.exports)})`);
      }
      return { module, value: outcome.value, exported: true, exports: [] };
    } catch (e) {
      if (e instanceof ModuleCallError) throw fail(e.duringLoad ? e.message : `${fn}() ${e.message}`);
      throw e;
    }
  };

  try {
    const policies = service.policies ?? [];
    const policyDetails: JsonObject[] = policies.map((p) => ({ module: path.resolve(baseDir, p.module) }));
    const notes: string[] = [];

    // before: each policy may rewrite the input the next one and the strategy see.
    let current = input;
    const withoutBefore = new Map<number, string[]>();
    for (const [i, p] of policies.entries()) {
      const r = await call('policy', p, 'before', [current, p.options], false);
      if (!r.exported) {
        withoutBefore.set(i, r.exports);
        continue;
      }
      const checked = checkPolicyInput(r.value, current);
      if (typeof checked === 'string') throw new ModuleFailed({ role: 'policy', module: r.module, error: `before() ${checked}` });
      const changed = changedKeys(current, checked);
      policyDetails[i]!.before_changed = changed;
      if (changed.length > 0) notes.push(`policy ${path.basename(r.module)} changed the input (${changed.join(', ')})`);
      current = checked;
    }

    // The strategy.
    let proposal: Proposal;
    if (service.strategy === 'custom' && service.custom) {
      const r = await call('custom strategy', service.custom, 'decide', [current, service.custom.options], true);
      const result = checkStrategyResult(r.value);
      if (typeof result === 'string') throw new ModuleFailed({ role: 'custom strategy', module: r.module, error: `decide() ${result}` });
      proposal = { replicas: result.target_replicas, reason: result.reason, details: { ...result.details, module: r.module } };
    } else proposal = builtinProposal(current);

    // after: each policy may change the strategy's result; the engine's safety steps come next.
    for (const [i, p] of policies.entries()) {
      const before: StrategyResult = { target_replicas: saneProposal(proposal.replicas, current.current_replicas), reason: proposal.reason, details: proposal.details };
      const r = await call('policy', p, 'after', [current, before, p.options], false);
      if (!r.exported) {
        const exports = withoutBefore.get(i);
        if (exports) throw new ModuleFailed({ role: 'policy', module: r.module, error: `exports neither before() nor after() (functions: ${exportList(exports)})` });
        continue;
      }
      const result = checkStrategyResult(r.value);
      if (typeof result === 'string') throw new ModuleFailed({ role: 'policy', module: r.module, error: `after() ${result}` });
      const name = path.basename(r.module);
      policyDetails[i]!.after = { from: before.target_replicas, to: result.target_replicas, reason: result.reason };
      const details = result.details ?? proposal.details;
      if (result.target_replicas !== before.target_replicas) {
        const why = result.reason !== before.reason ? `: ${result.reason}` : '';
        proposal = { ...proposal, replicas: result.target_replicas, reason: `${before.reason}; policy ${name} changed ${before.target_replicas} → ${result.target_replicas}${why}`, details, limited_by: 'policy' };
      } else proposal = { ...proposal, reason: result.reason, details };
    }
    if (policies.length === 0) return { decision: decideFrom(current, proposal), failure: null };
    const reason = notes.length > 0 ? `${proposal.reason}; ${notes.join('; ')}` : proposal.reason;
    return { decision: decideFrom(current, { ...proposal, reason, details: { ...proposal.details, policies: policyDetails } }), failure: null };
  } catch (e) {
    if (!(e instanceof ModuleFailed)) throw e;
    const f = e.failure;
    const hold: Proposal = {
      replicas: input.current_replicas,
      reason: `${f.role} ${f.module} failed: ${f.error}`,
      details: { module_error: { role: f.role, module: f.module, error: f.error } },
      limited_by: 'module_error',
      // What the predictive strategy keeps is kept through a failed policy, not dropped.
      ...(input.state?.predictive ? { predictive: input.state.predictive } : {}),
    };
    return { decision: decideFrom(input, hold), failure: f };
  }
}

function exportList(names: string[]): string {
  return names.length > 0 ? names.join(', ') : 'none';
}

/** Top-level input fields (and observation names) a policy changed. */
function changedKeys(a: DecisionInput, b: DecisionInput): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof DecisionInput)[]);
  for (const k of keys) {
    if (k === 'observations') {
      const names = new Set([...Object.keys(a.observations), ...Object.keys(b.observations)]);
      for (const n of names) if (a.observations[n] !== b.observations[n]) out.push(`observations.${n}`);
    } else if (JSON.stringify(a[k] as Json | undefined) !== JSON.stringify(b[k] as Json | undefined)) out.push(k);
  }
  return out;
}
