// A sink's name in status and metrics. Apart from src/config/events.ts so that workflow code
// can use it without loading the config schemas (zod) into every workflow; it takes any sink
// (config/events.ts SinkConfig) by its shape, so the two files do not import each other.

/** `name`, else `<kind>-<index>` (e.g. `webhook-0`). */
export function sinkName(sink: { kind: string; name?: string | undefined }, index: number): string {
  return sink.name ?? `${sink.kind}-${index}`;
}
