// `discover:` entries: list the queues a source has, keep those matching a glob, and run one
// scaler per queue from a service template (docs/discovery.md). Validated here as far as the
// file allows: the queue config as its kind's schema with the queue's name left out, and the
// template as a service for a sample queue.
import { z } from 'zod';
import { DISCOVERABLE_KINDS, DISCOVERY_IDENTITY, QUEUE_PLACEHOLDER, discoveredServiceInput } from './discovered-service';
import { forwardIssues } from './issues';
import { QueueSchema } from './queue';
import { ServiceSchema } from './service';

/** The sample queue name templates are checked with. */
const SAMPLE_QUEUE = 'queue';

export const DiscoverSchema = z
  .strictObject({
    /** Names the discovery workflow (`docktor-discovery/<project>/<name>`); default: the entry's index. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-", starting with a letter or digit').optional(),
    /** A queue config as under `services[].queue`, without the field that names one queue (NATS `consumer`, Redis/RabbitMQ `queue`). */
    queue: z.looseObject({
      kind: z.enum(DISCOVERABLE_KINDS, { error: `must be one of: ${DISCOVERABLE_KINDS.join(', ')} (the kinds that can list their queues)` }),
    }),
    /** Glob over queue names: `*`, `?`, `[abc]`, `[!abc]`. */
    match: z.string().min(1).default('*'),
    /** Service fields for each queue found; `{queue}` in any string is replaced by the queue's name; `name` defaults to "{queue}". */
    template: z.record(z.string(), z.unknown()),
    /** Seconds between listings. */
    interval: z.number().positive().default(60),
    /** Seconds a queue must stay gone before its scaler is stopped (its replicas are left as they are). */
    grace_period: z.number().min(0).default(300),
  })
  .superRefine((d, ctx) => {
    const field = DISCOVERY_IDENTITY[d.queue.kind];
    if (d.queue[field] !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['queue', field], message: `set by discovery (the name of each queue found); leave it out` });
    } else {
      const queue = QueueSchema.safeParse({ ...d.queue, [field]: SAMPLE_QUEUE }, { reportInput: true });
      if (!queue.success) forwardIssues(queue.error, ctx, ['queue']);
    }
    if (d.template.queue !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['template', 'queue'], message: 'the queue comes from the entry\'s `queue:` (with the name of each queue found); leave it out of the template' });
    }
    const name = d.template.name;
    if (name !== undefined && (typeof name !== 'string' || !name.includes(QUEUE_PLACEHOLDER))) {
      ctx.addIssue({ code: 'custom', path: ['template', 'name'], message: `must contain "${QUEUE_PLACEHOLDER}", so that each queue gets a service of its own (e.g. "worker-{queue}")` });
    }
    const service = ServiceSchema.safeParse(discoveredServiceInput({ queue: d.queue, template: d.template }, SAMPLE_QUEUE), { reportInput: true });
    // The queue's issues are reported above, against the entry's own `queue:`.
    if (!service.success) forwardIssues(service.error, ctx, ['template'], (p) => p[0] === 'queue' || (p[0] === 'name' && name !== undefined && typeof name !== 'string'));
  });
export type DiscoverEntry = z.infer<typeof DiscoverSchema>;
