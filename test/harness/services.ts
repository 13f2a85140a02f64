// The real services a test file talks to. `npm test` (scripts/run-tests.js) starts them once and
// passes them in the environment; a test file run on its own starts its own, stopped when its
// process exits. A service that cannot be had fails the test with how to get it; never a skip.
import { findNats, type NatsServer } from '../../src/dev/nats';
import { startDevServer, type DevServer } from '../../src/dev/temporal-server';
import { dockerHarness, type DockerHarness } from './docker';

export interface TestTemporal {
  /** host:port of the frontend. */
  address: string;
  namespace: string;
}

export interface TestNats {
  url: string;
}

let temporal: Promise<TestTemporal> | undefined;
let nats: Promise<TestNats> | undefined;
const owned: Array<DevServer | NatsServer> = [];
let signalsHooked = false;

// Process exit (normal end, or a signal turned into one here) stops what this file started:
// src/dev/child-process.ts signals the children on 'exit'.
function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(signal === 'SIGINT' ? 130 : 143));
  }
}

/** The Temporal dev server: $DOCKTOR_TEST_TEMPORAL_ADDRESS, or one started in memory on free ports. */
export function testTemporal(): Promise<TestTemporal> {
  temporal ??= (async () => {
    const address = process.env.DOCKTOR_TEST_TEMPORAL_ADDRESS;
    const namespace = process.env.DOCKTOR_TEST_TEMPORAL_NAMESPACE ?? 'default';
    if (address) return { address, namespace };
    hookSignals();
    const server = await startDevServer({ port: 0, ui: false, namespace });
    owned.push(server);
    return { address: server.address, namespace: server.namespace };
  })();
  return temporal;
}

/** NATS with JetStream: $NATS_URL, 127.0.0.1:4222, or a private nats-server. */
export function testNats(): Promise<TestNats> {
  nats ??= (async () => {
    hookSignals();
    const server = await findNats();
    if (server.started) owned.push(server);
    return { url: server.url };
  })();
  return nats;
}

/** A Docker engine: $DOCKER_HOST, /var/run/docker.sock, or the shared private dockerd. */
export function testDocker(): Promise<DockerHarness> {
  return dockerHarness();
}

/** Stops what this process started (optional: process exit does it too). */
export async function stopTestServices(): Promise<void> {
  const all = owned.splice(0);
  temporal = undefined;
  nats = undefined;
  await Promise.all(all.map((s) => s.stop()));
}
