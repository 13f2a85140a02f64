// `events:` where docktor sends its CloudEvents (docs/operations.md, "Events"). Set at the top of
// docktor.yaml for every service; a service may set its own `events:` instead. The loader copies
// the top-level block into each service that has none, so a scaler carries its sinks in its
// config: `docktor up` masks their secrets and pushes changes like any other setting, and the
// worker restores the secrets (src/sources/secrets.ts).
import { z } from 'zod';
import { sinkName } from './sink-name';
import { NatsAuthSchema, TlsSchema } from './queue';

/** Sink names appear in status and as the `sink` label of metrics. */
const SINK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const common = {
  /** How status and metrics name the sink; default `<kind>-<index>` (e.g. `webhook-0`). */
  name: z.string().regex(SINK_NAME, 'letters, digits, "_", "." and "-"').optional(),
};

export const WebhookSinkSchema = z.strictObject({
  ...common,
  kind: z.literal('webhook'),
  /** Receives each event as an HTTP POST (CloudEvents structured mode, application/cloudevents+json). */
  url: z.string().url('an http:// or https:// URL').refine((u) => /^https?:\/\//i.test(u), 'an http:// or https:// URL'),
  /** Sent with every POST; values of credential-like names (authorization, token, ...) are masked in output. */
  headers: z.record(z.string(), z.string()).default({}),
  tls: TlsSchema.optional(),
  /** Seconds one POST may take. */
  timeout: z.number().positive().max(30).default(5),
});
export type WebhookSinkConfig = z.infer<typeof WebhookSinkSchema>;

export const NatsSinkSchema = z.strictObject({
  ...common,
  kind: z.literal('nats'),
  url: z.string().min(1).default('nats://127.0.0.1:4222'),
  /** Published to this subject; through JetStream (acknowledged) when a stream captures it. */
  subject: z.string().min(1).regex(/^[^\s*>]+$/, 'a subject without wildcards or spaces, e.g. docktor.events'),
  auth: NatsAuthSchema.optional(),
  tls: TlsSchema.optional(),
});
export type NatsSinkConfig = z.infer<typeof NatsSinkSchema>;

export const SINK_KINDS = ['webhook', 'nats'] as const;
export const SinkSchema = z.discriminatedUnion('kind', [WebhookSinkSchema, NatsSinkSchema], {
  error: (iss) => (iss.code === 'invalid_union' ? `kind must be one of: ${SINK_KINDS.join(', ')}` : undefined),
});
export type SinkConfig = z.infer<typeof SinkSchema>;

/** Default bound on retrying one event's delivery, seconds (after it, the event is dropped). */
export const DEFAULT_EVENTS_RETRY_SECONDS = 600;

export const EventsSchema = z
  .strictObject({
    sinks: z.array(SinkSchema).default([]),
    /** Seconds delivery of an event is retried (with back-off) before it is dropped. */
    retry_seconds: z.number().min(1).max(86_400).default(DEFAULT_EVENTS_RETRY_SECONDS),
  })
  .superRefine((e, ctx) => {
    const seen = new Map<string, number>();
    e.sinks.forEach((s, i) => {
      const name = sinkName(s, i);
      const first = seen.get(name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['sinks', i, 'name'], message: `duplicate of sinks[${first}]'s name "${name}"; give each sink its own name` });
      else seen.set(name, i);
    });
  });
export type EventsConfig = z.infer<typeof EventsSchema>;
