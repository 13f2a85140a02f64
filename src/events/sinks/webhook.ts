// `kind: webhook`: one HTTP POST per event, CloudEvents structured mode (the body is the event as
// JSON, content-type application/cloudevents+json). Any answer but 2xx is a failure, retried by
// the delivery activity's retry policy; the receiver dedupes on the event's `id`.
import http from 'node:http';
import https from 'node:https';
import type { WebhookSinkConfig } from '../../config/events';
import { UnavailableError } from '../../errors';
import { messageOf } from '../../sources/failures';
import { redactWebhookUrl } from '../../sources/secrets';
import { tlsFileOptions } from '../../sources/tls-files';
import { CLOUDEVENTS_CONTENT_TYPE, structuredBody } from '../cloud-event';
import type { EventSpec } from '../../model/event-spec';

export async function postToWebhook(sink: WebhookSinkConfig, events: EventSpec[], field: string): Promise<void> {
  const tls = tlsFileOptions(sink.tls, `${field}.tls`);
  for (const e of events) await post(sink, structuredBody(e), tls);
}

function post(sink: WebhookSinkConfig, body: string, tls: ReturnType<typeof tlsFileOptions>): Promise<void> {
  const url = new URL(sink.url);
  const where = redactWebhookUrl(sink.url);
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...sink.headers, 'content-type': CLOUDEVENTS_CONTENT_TYPE, 'content-length': Buffer.byteLength(body) },
        timeout: sink.timeout * 1000,
        ...tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new UnavailableError(`webhook ${where} answered ${status} ${res.statusMessage ?? ''}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`.trim()));
        });
        res.on('error', (e) => reject(new UnavailableError(`webhook ${where}: ${messageOf(e)}`)));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${sink.timeout} s (timeout)`)));
    req.on('error', (e) => reject(new UnavailableError(`webhook ${where}: ${messageOf(e)}`)));
    req.end(body);
  });
}
