// A Redis server for the tests: $REDIS_URL, else the usual local one on 127.0.0.1:6379, else a
// private `redis-server` on a free port (Debian's redis-server installed first when missing).
// Tests keep apart by database number and key names, never by flushing shared databases.
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { startChild } from '../../src/dev/child-process';
import { freePort } from '../../src/dev/free-port';
import { whichSync } from '../../src/dev/temporal-cli';
import { ensureDebianPackages } from './apt';

export interface TestRedis {
  host: string;
  port: number;
  /** `redis://host:port/<db>`. */
  url(db: number): string;
}

async function answers(host: string, port: number): Promise<boolean> {
  const r = new Redis({ host, port, lazyConnect: true, retryStrategy: () => null, connectTimeout: 1000, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

function at(host: string, port: number): TestRedis {
  return { host, port, url: (db) => `redis://${host}:${port}/${db}` };
}

let shared: Promise<TestRedis> | undefined;

export function testRedis(): Promise<TestRedis> {
  shared ??= (async () => {
    const fromEnv = process.env.REDIS_URL;
    if (fromEnv) {
      const u = new URL(fromEnv);
      const port = Number(u.port || 6379);
      if (!(await answers(u.hostname, port))) throw new Error(`REDIS_URL=${fromEnv} does not answer PING; start Redis there or unset REDIS_URL`);
      return at(u.hostname, port);
    }
    if (await answers('127.0.0.1', 6379)) return at('127.0.0.1', 6379);
    await ensureDebianPackages(['redis-server'], 'the Redis tests (nothing answers on 127.0.0.1:6379)');
    const binary = whichSync('redis-server') ?? '/usr/bin/redis-server';
    const port = await freePort();
    const child = startChild(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    for (let i = 0; i < 100 && !child.hasExited(); i++) {
      if (await answers('127.0.0.1', port)) return at('127.0.0.1', port);
      await sleep(100);
    }
    await child.stop(2000);
    throw new Error(`redis-server did not come up on port ${port}:\n${child.outputTail()}\ninstall redis-server (apt-get install redis-server) or set REDIS_URL`);
  })();
  return shared;
}
