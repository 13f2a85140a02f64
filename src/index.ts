// The package's entry: the types module authors need (CONTRACT §2, §4) and the pure engine.
// `import type { CustomStrategy, DecisionInput } from 'docktor'`.
export type { DecisionInput, DecisionInputJson, EngineState } from './decide/input';
export type { Action, Decision, JsonObject, LimitedBy, StrategyResult } from './decide/types';
export type { ServiceConfig, ServiceInput } from './config/service';
export type { CustomStrategy, ModuleOptions, Policy } from './extend/module-api';
export { decide } from './decide/index';
export { parseDecisionInput } from './decide/input';
