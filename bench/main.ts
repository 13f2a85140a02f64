// `npm run bench` (through scripts/run-bench.js, after the build): runs each part in its own
// process (so one part's memory does not show in another's figures), then prints
// docs/benchmarks.md and writes it with the SVG plots in docs/bench/.
//
//   node dist/bench/main.js [--parts quality,tune,forecast,speed,fleet,redis] [--fleet-sizes 50,200,500]
//                           [--fleet-seconds 60] [--fleet-interval 5] [--fleet-settle S]
//                           [--fleet-workers N,...] [--no-write]
//   --fleet-workers: per fleet size, that many worker processes on one task queue (0: one worker
//   in the bench's own process, the default), e.g. --fleet-sizes 2000,5000 --fleet-workers 0,3;
//   --fleet-interval may list one interval per size too (the last for the rest): 10,30
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchCost } from './cost.bench';
import { benchDecide } from './decide.bench';
import { benchForecast } from './forecast.bench';
import { benchFleet } from './fleet.bench';
import { machine } from './machine';
import { benchQuality, type TraceQuality } from './quality.bench';
import { benchRedisRead, redisReadMarkdown } from './redis.bench';
import { benchmarksMarkdown, keepSectionsNotRun, type BenchResults, type QualitySummary } from './report';
import { benchSimulator } from './simulate.bench';
import { benchTune, TUNE_BENCH_BUDGET_S } from './tune.bench';

const PARTS = ['quality', 'tune', 'forecast', 'speed', 'fleet', 'cost', 'redis'] as const;
type Part = (typeof PARTS)[number];

interface Args {
  parts: Part[];
  fleetSizes: number[];
  fleetSeconds: number;
  fleetInterval: number;
  /** Per fleet size (the last for the rest), when --fleet-interval lists several. */
  fleetIntervals?: number[];
  fleetSettle?: number;
  /** Per fleet size: worker processes (bench/fleet-worker.ts), 0 for one worker in the part's process (the default). */
  fleetWorkers?: number[];
  costServices: number;
  costSettle?: number;
  costSeconds?: number;
  write: boolean;
  /** Internal: run one part and write its JSON here. */
  part?: Part;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { parts: [...PARTS], fleetSizes: [50, 200, 500], fleetSeconds: 60, fleetInterval: 5, costServices: 10, write: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const numbers = (v: string) =>
      v.split(',').map((x) => {
        const n = Number(x);
        if (!(n > 0)) throw new Error(`${flag}: "${x}" is not a number > 0`);
        return n;
      });
    if (flag === '--parts') {
      a.parts = value().split(',').map((p) => {
        if (!(PARTS as readonly string[]).includes(p)) throw new Error(`--parts: "${p}" is not one of ${PARTS.join(', ')}`);
        return p as Part;
      });
    } else if (flag === '--fleet-sizes') a.fleetSizes = numbers(value());
    else if (flag === '--fleet-seconds') a.fleetSeconds = numbers(value())[0]!;
    else if (flag === '--fleet-interval') {
      a.fleetIntervals = numbers(value());
      a.fleetInterval = a.fleetIntervals[0]!;
    }
    else if (flag === '--fleet-settle') a.fleetSettle = numbers(value())[0]!;
    else if (flag === '--fleet-workers') {
      a.fleetWorkers = value().split(',').map((x) => {
        const n = Number(x);
        if (!Number.isInteger(n) || n < 0) throw new Error(`--fleet-workers: "${x}" is not a whole number >= 0 (0: the worker in the bench's own process)`);
        return n;
      });
    }
    else if (flag === '--cost-services') a.costServices = numbers(value())[0]!;
    else if (flag === '--cost-settle') a.costSettle = numbers(value())[0]!;
    else if (flag === '--cost-seconds') a.costSeconds = numbers(value())[0]!;
    else if (flag === '--no-write') a.write = false;
    else if (flag === '--part') a.part = value() as Part;
    else if (flag === '--out') a.out = value();
    else throw new Error(`unknown flag ${flag} (known: --parts, --fleet-sizes, --fleet-seconds, --fleet-interval, --fleet-settle, --fleet-workers, --cost-services, --cost-settle, --cost-seconds, --no-write)`);
  }
  return a;
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
const root = process.cwd();
const docs = path.join(root, 'docs');

async function runPart(part: Part, a: Args): Promise<Partial<BenchResults>> {
  switch (part) {
    case 'quality': {
      const q = benchQuality(root, path.join(docs, 'bench'), log);
      const summary = (t: TraceQuality): QualitySummary => ({
        trace: { name: t.trace.name, file: t.trace.file, what: t.trace.what },
        scale: t.scale,
        checkInterval: t.checkInterval,
        maxReplicas: t.maxReplicas,
        messages: t.messages,
        span: t.span,
        serviceTime: t.serviceTime,
        startupDelay: t.startupDelay,
        work: t.work,
        runs: t.runs.map((r) => ({ policy: r.policy, figures: r.figures, coldStartBreach: r.coldStartBreach, elapsed: r.elapsed })),
        clairvoyant: { figures: t.clairvoyant.figures, infeasible: t.clairvoyant.infeasible },
        lowerBound: t.lowerBound,
        goal: t.goal,
        plot: t.plot,
      });
      return { quality: q.mean.map(summary), spiky: q.spiky.map(summary) };
    }
    case 'tune':
      return { tune: await benchTune(root, log, TUNE_BENCH_BUDGET_S) };
    case 'forecast':
      return { forecast: benchForecast(root, log) };
    case 'speed': {
      let decide: BenchResults['decide'];
      try {
        log('decide(): 2 s per strategy');
        decide = await benchDecide(2);
      } catch (e) {
        decide = { error: e instanceof Error ? e.message : String(e) };
      }
      return { decide, simulator: benchSimulator(root, log) };
    }
    case 'redis': {
      // Its own page (docs/bench/redis-read.md), so the main report's format stays as it is.
      const markdown = redisReadMarkdown(await benchRedisRead(log));
      process.stderr.write(markdown);
      if (a.write) fs.writeFileSync(path.join(docs, 'bench', 'redis-read.md'), markdown);
      return {};
    }
    case 'cost':
      try {
        const o = { intervals: [2, 10], services: a.costServices, log, ...(a.costSettle ? { settleSeconds: a.costSettle } : {}), ...(a.costSeconds ? { measureSeconds: a.costSeconds } : {}) };
        return { cost: await benchCost(o) };
      } catch (e) {
        log(`cost failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return { cost: { error: e instanceof Error ? e.message : String(e) } };
      }
    case 'fleet':
      try {
        return { fleet: await benchFleet({ sizes: a.fleetSizes, checkInterval: a.fleetInterval, measureSeconds: a.fleetSeconds, ...(a.fleetSettle ? { settleSeconds: a.fleetSettle } : {}), ...(a.fleetWorkers ? { workers: a.fleetWorkers } : {}), ...(a.fleetIntervals ? { intervals: a.fleetIntervals } : {}), log }) };
      } catch (e) {
        log(`fleet failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return { fleet: { error: e instanceof Error ? e.message : String(e) } };
      }
  }
}

/** Runs one part in a child process (this file with --part), returning its results. */
function inChild(part: Part, argv: string[]): Promise<Partial<BenchResults>> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-bench-')), `${part}.json`);
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [...argv, '--part', part, '--out', out], { stdio: 'inherit', execArgv: ['--expose-gc'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 && fs.existsSync(out)) resolve(JSON.parse(fs.readFileSync(out, 'utf8')) as Partial<BenchResults>);
      else reject(new Error(`bench part ${part} failed (exit ${code ?? signal})`));
    });
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const a = parseArgs(argv);
  if (a.part) {
    const result = await runPart(a.part, a);
    fs.writeFileSync(a.out!, JSON.stringify(result));
    return 0;
  }
  const began = Date.now();
  const results: BenchResults = { machine: machine(), totalSeconds: 0 };
  for (const part of a.parts) {
    log(`part ${part}`);
    Object.assign(results, await inChild(part, argv));
  }
  results.totalSeconds = (Date.now() - began) / 1000;
  if (a.parts.length < PARTS.length) results.parts = a.parts;
  // The redis part writes its own page; the main report is rewritten only when another part ran.
  if (a.parts.every((p) => p === 'redis')) return 0;
  const report = path.join(docs, 'benchmarks.md');
  const markdown = keepSectionsNotRun(benchmarksMarkdown(results), fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : null);
  process.stdout.write(markdown);
  if (a.write) {
    fs.mkdirSync(docs, { recursive: true });
    fs.writeFileSync(report, markdown);
    log(`wrote docs/benchmarks.md${a.parts.includes('quality') ? ' and docs/bench/*.svg' : ''}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    log(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exit(1);
  },
);
