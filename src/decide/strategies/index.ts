// The strategy registry: one implementation per built-in `strategy` name in the config
// (`custom` is a module the decide step runs: src/extend).
import type { BuiltinStrategyName } from '../../config/service';
import type { Strategy } from '../types';
import { predictiveStrategy } from './predictive/index';
import { rulesStrategy } from './rules';
import { targetStrategy } from './target';

export const STRATEGY_REGISTRY: Record<BuiltinStrategyName, Strategy> = {
  rules: rulesStrategy,
  target: targetStrategy,
  predictive: predictiveStrategy,
};
