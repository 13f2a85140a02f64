// Pure: CONTRACT §2 queue metrics from an SQS queue's GetQueueAttributes. SQS reports three
// approximate counts and nothing else that changes with traffic: no consumers, no publish or
// delete totals (rates: CloudWatch's NumberOfMessagesSent/Deleted), no age of the oldest message
// (CloudWatch's ApproximateAgeOfOldestMessage). Those names are left out, never 0.
import type { Observations } from '../../observations';

export const queueAttributeNames = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

export type SqsAttributes = Partial<Record<string, string>>;

/** backlog = visible, ack_pending = in flight (received, not deleted), lag = their sum, delayed. */
export function sqsObservations(a: SqsAttributes): Observations {
  const visible = count(a.ApproximateNumberOfMessages);
  const inFlight = count(a.ApproximateNumberOfMessagesNotVisible);
  const delayed = count(a.ApproximateNumberOfMessagesDelayed);
  const o: Observations = {};
  if (visible !== undefined) o['queue.backlog'] = visible;
  if (inFlight !== undefined) o['queue.ack_pending'] = inFlight;
  if (visible !== undefined && inFlight !== undefined) o['queue.lag'] = visible + inFlight;
  if (delayed !== undefined) o['queue.delayed'] = delayed;
  return o;
}

function count(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}
