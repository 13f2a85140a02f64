// The strategy registry: one implementation per `strategy` name in the config.
import type { StrategyName } from '../../config/service';
import type { Strategy } from '../types';
import { predictiveStrategy } from './predictive';
import { rulesStrategy } from './rules';
import { targetStrategy } from './target';

export const STRATEGY_REGISTRY: Record<StrategyName, Strategy> = {
  rules: rulesStrategy,
  target: targetStrategy,
  predictive: predictiveStrategy,
};
