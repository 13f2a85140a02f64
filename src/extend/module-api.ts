// What a custom strategy or policy module implements (CONTRACT §2), for module authors: the
// package exports these types (src/index.ts). A function may return its result or a promise of it.
import type { DecisionInput } from '../decide/input';
import type { StrategyResult } from '../decide/types';

/** The `options` of the module's entry in docktor.yaml. */
export type ModuleOptions = Record<string, unknown>;

type MaybePromise<T> = T | Promise<T>;

/** `strategy: custom` → `custom: { module, options }`: the module exports `decide`. */
export interface CustomStrategy {
  decide(input: DecisionInput, options: ModuleOptions): MaybePromise<StrategyResult>;
}

/** `policies: [{ module, options }]`: the module exports `before`, `after`, or both. */
export interface Policy {
  /** Runs on the decision input before the strategy; returns the input the strategy sees. */
  before?(input: DecisionInput, options: ModuleOptions): MaybePromise<DecisionInput>;
  /** Runs on the strategy's result; bounds, schedule, behavior and cooldown apply after it. */
  after?(input: DecisionInput, decision: StrategyResult, options: ModuleOptions): MaybePromise<StrategyResult>;
}
