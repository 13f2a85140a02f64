// The RabbitMQ the tests talk to: $RABBITMQ_URL, or the broker on 127.0.0.1:5672 (guest/guest),
// with its management plugin, which the harness enables when it is off (`rabbitmq-plugins enable
// rabbitmq_management`, as root) and waits for. When none can be had, the test fails with how to
// get one; never a skip.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import amqp from 'amqplib';

export interface TestRabbitmq {
  /** amqp://guest:guest@127.0.0.1:5672 (default vhost). */
  url: string;
  /** http://guest:guest@127.0.0.1:15672 */
  management_url: string;
}

const HOWTO =
  'install and start RabbitMQ (Debian: `apt-get install rabbitmq-server && service rabbitmq-server start`), ' +
  'or set RABBITMQ_URL and RABBITMQ_MANAGEMENT_URL to a broker with the management plugin';

let found: Promise<TestRabbitmq> | undefined;

export function testRabbitmq(): Promise<TestRabbitmq> {
  found ??= find();
  return found;
}

async function find(): Promise<TestRabbitmq> {
  const url = process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const management_url = process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672';
  try {
    const conn = await amqp.connect(url, { timeout: 5000 });
    await conn.close();
  } catch (err) {
    throw new Error(`RabbitMQ is needed at ${url.replace(/:[^:@/]*@/, ':***@')} (${err instanceof Error ? err.message : String(err)}): ${HOWTO}`);
  }
  if (await managementAnswers(management_url)) return { url, management_url };
  const enable = 'rabbitmq-plugins enable rabbitmq_management';
  try {
    await promisify(execFile)('rabbitmq-plugins', ['enable', 'rabbitmq_management'], { timeout: 120_000 });
  } catch (err) {
    throw new Error(`the RabbitMQ management plugin is off and \`${enable}\` failed (${err instanceof Error ? err.message : String(err)}): run it as root, or ${HOWTO}`);
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (await managementAnswers(management_url)) return { url, management_url };
    await sleep(500);
  }
  throw new Error(`the RabbitMQ management API did not answer at ${new URL(management_url).host} within 60 s after \`${enable}\`: ${HOWTO}`);
}

async function managementAnswers(managementUrl: string): Promise<boolean> {
  const u = new URL(managementUrl);
  try {
    const res = await fetch(`${u.protocol}//${u.host}/api/overview`, { headers: { authorization: basicAuth(u) }, signal: AbortSignal.timeout(3000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** GET of the management API's view of a queue, for comparing figures. */
export async function managementQueue(managementUrl: string, vhost: string, queue: string): Promise<Record<string, unknown>> {
  const u = new URL(managementUrl);
  const res = await fetch(`${u.protocol}//${u.host}/api/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}`, { headers: { authorization: basicAuth(u) } });
  if (!res.ok) throw new Error(`management API: ${res.status} for queue ${queue} in vhost ${vhost}`);
  return (await res.json()) as Record<string, unknown>;
}

/** PUT/DELETE on the management API (vhosts, users, permissions) for the tests' own fixtures. */
export async function managementCall(managementUrl: string, method: 'PUT' | 'DELETE', apiPath: string, body?: unknown): Promise<void> {
  const u = new URL(managementUrl);
  const res = await fetch(`${u.protocol}//${u.host}/api/${apiPath}`, {
    method,
    headers: { authorization: basicAuth(u), 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) throw new Error(`management API ${method} ${apiPath}: ${res.status} ${await res.text()}`);
}

function basicAuth(u: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
}
