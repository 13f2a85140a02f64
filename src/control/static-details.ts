// The Temporal UI's "Details" panel of a scaler (the workflow's static details, set when `docktor
// up` starts it): what the service is, which the current details (src/model/scaler-state.ts
// detailsMarkdown) leave out to stay short. Secrets are masked before this sees the config.
import type { QueueConfig } from '../config/queue';
import type { ServiceConfig } from '../config/service';
import { panelMarkdown } from '../model/ui-panel';

function queueName(q: QueueConfig): string {
  switch (q.kind) {
    case 'nats':
      return `stream ${q.stream}, consumer ${q.consumer}`;
    case 'kafka':
      return `topic ${q.topic}, group ${q.group}`;
    case 'redis':
      return `${q.format} queue ${q.queue}`;
    case 'rabbitmq':
      return `queue ${q.queue}`;
    case 'sqs':
      return q.queue_url;
  }
}

export function staticDetailsMarkdown(project: string, s: ServiceConfig): string {
  const rt = s.runtime;
  const runtime = rt.kind === 'process' ? `process \`${rt.command.join(' ')}\`` : rt.kind === 'swarm' ? `swarm service ${rt.service ?? s.name}` : `compose service ${s.name}`;
  return panelMarkdown([
    `**${project}/${s.name}**: ${s.min_replicas}..${s.max_replicas} replicas, ${s.strategy} strategy, a check every ${s.check_interval} s`,
    `queue: ${s.queue ? `${s.queue.kind}, ${queueName(s.queue)}` : 'none'}`,
    `runtime: ${runtime}`,
    'more: queries `status`, `history`; `docktor status`, `docktor explain`',
  ]);
}
