// An EventSpec (built in the workflow) as a CloudEvents 1.0 event in structured JSON mode, made
// and validated by the `cloudevents` SDK: every sink sends this body.
import { CloudEvent, HTTP } from 'cloudevents';
import type { EventSpec } from '../model/event-spec';

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';

export function toCloudEvent(e: EventSpec): CloudEvent<EventSpec['data']> {
  return new CloudEvent<EventSpec['data']>({
    specversion: '1.0',
    id: e.id,
    type: e.type,
    source: e.source,
    subject: e.subject,
    time: e.time,
    datacontenttype: 'application/json',
    data: e.data,
  });
}

/** The structured-mode body (one JSON object with the attributes and `data`). */
export function structuredBody(e: EventSpec): string {
  return String(HTTP.structured(toCloudEvent(e)).body);
}
