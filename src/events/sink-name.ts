// A sink's name in status and metrics. Apart from src/config/events.ts so that workflow code
// can use it without loading the config schemas (zod) into every workflow.
import type { SinkConfig } from '../config/events';

/** `name`, else `<kind>-<index>` (e.g. `webhook-0`). */
export function sinkName(sink: Pick<SinkConfig, 'kind' | 'name'>, index: number): string {
  return sink.name ?? `${sink.kind}-${index}`;
}
