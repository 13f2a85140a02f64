// Builders for decision-engine tests: a validated service and a decision input with defaults.
import { ServiceSchema, type ServiceConfig, type ServiceInput } from '../../src/config/service';
import type { DecisionInput, EngineStateInput } from '../../src/decide/input';
import { EngineStateSchema } from '../../src/decide/input';

export const NOW = 1_700_000_000;

export function service(fields: Partial<ServiceInput> = {}): ServiceConfig {
  return ServiceSchema.parse({ name: 'worker', min_replicas: 1, max_replicas: 10, cooldown: { up: 0, down: 0 }, ...fields });
}

export function input(fields: {
  service: ServiceConfig;
  current: number;
  observations?: Record<string, number>;
  now?: number;
  state?: EngineStateInput;
  paused?: boolean;
  override?: DecisionInput['override'];
  metric_failures?: number;
}): DecisionInput {
  const out: DecisionInput = {
    now: fields.now ?? NOW,
    service: fields.service,
    current_replicas: fields.current,
    observations: fields.observations ?? {},
  };
  if (fields.state !== undefined) out.state = EngineStateSchema.parse(fields.state);
  if (fields.paused !== undefined) out.paused = fields.paused;
  if (fields.override !== undefined) out.override = fields.override;
  if (fields.metric_failures !== undefined) out.metric_failures = fields.metric_failures;
  return out;
}
