// `docktor simulate` (CONTRACT §5): reads the config and a trace, runs the pure simulation
// (src/simulate) and prints its figures as JSON or a summary; `--plot` writes an SVG.
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../config/load';
import { OperationError, UsageError } from '../../errors';
import { simulationPlot } from '../../simulate/plot';
import { decideStep, usesModules } from '../../extend/decide-step';
import { ModuleHost } from '../../extend/module-host';
import type { Simulation } from '../../simulate/result';
import { simulate, simulateWith, type SimulationOptions } from '../../simulate/simulator';
import { summaryText } from '../../simulate/summary';
import { parseTrace, TRACE_FORMATS, type TraceFormat } from '../../simulate/trace';
import { parseDuration } from '../duration';
import type { CliIO } from '../io';

/** The options as commander hands them over (numbers still text). */
export interface SimulateOptions {
  config?: string;
  service: string;
  trace: string;
  traceFormat?: string;
  serviceTime?: string | number;
  serviceTimeDist?: string;
  startupDelay?: string | number;
  scale?: string | number;
  start?: string | number;
  duration?: string | number;
  seed?: string | number;
  /** false with --no-rates: the simulated source keeps no counters. */
  rates?: boolean;
  json?: boolean;
  plot?: string;
}

export async function runSimulate(io: CliIO, o: SimulateOptions): Promise<number> {
  const serviceTime = seconds(o.serviceTime ?? '1', '--service-time', false);
  const startupDelay = seconds(o.startupDelay ?? '10', '--startup-delay', true);
  const scale = number(o.scale ?? '1', '--scale', (v) => v >= 0, 'a number >= 0, e.g. 2 or 0.5');
  const start = seconds(o.start ?? '0', '--start', true);
  const duration = o.duration === undefined ? undefined : seconds(o.duration, '--duration', false);
  const seed = number(o.seed ?? '1', '--seed', (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff, 'a whole number from 0 to 4294967295');
  const dist = o.serviceTimeDist ?? 'fixed';
  if (dist !== 'fixed' && dist !== 'exp') throw new UsageError(`--service-time-dist: "${dist}" is not one of fixed, exp`);
  const format = (o.traceFormat ?? 'auto') as TraceFormat;
  if (!TRACE_FORMATS.includes(format)) throw new UsageError(`--trace-format: "${o.traceFormat}" is not one of ${TRACE_FORMATS.join(', ')}`);
  if (!o.service) throw new UsageError('--service: required (the name of a service in the config file)');
  if (!o.trace) throw new UsageError('--trace: required (a trace file, see `docktor simulate --help`)');

  const config = loadConfig(o.config, io.cwd, io.env);
  const service = config.services.find((s) => s.name === o.service);
  if (!service) {
    throw new UsageError(`--service: no service "${o.service}" in ${path.basename(config.file)} (services: ${config.services.map((s) => s.name).join(', ') || 'none'})`);
  }

  const traceFile = path.resolve(io.cwd, o.trace);
  let text: string;
  try {
    text = fs.readFileSync(traceFile, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`--trace: cannot read ${o.trace}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const trace = parseTrace(text, format, `--trace ${o.trace}`);
  if (start >= trace.span && trace.span > 0) {
    throw new UsageError(`--start: ${start} s is at or past the end of the trace (${trace.span} s long)`);
  }

  const began = process.hrtime.bigint();
  const options: SimulationOptions = {
    service,
    serviceTime,
    serviceTimeDist: dist,
    startupDelay,
    scale,
    start,
    ...(duration !== undefined ? { duration } : {}),
    seed,
    noRates: o.rates === false,
  };
  const sim = usesModules(service) ? await simulateWithModules(trace, options, path.dirname(config.file)) : simulate(trace, options);
  const elapsed = Number(process.hrtime.bigint() - began) / 1e9;

  if (o.plot) {
    const plotFile = path.resolve(io.cwd, o.plot);
    const title = `docktor simulate: ${service.name} (${service.strategy}) on ${path.basename(o.trace)}, service time ${serviceTime} s, startup ${startupDelay} s`;
    try {
      fs.writeFileSync(plotFile, simulationPlot(sim, title));
    } catch (e) {
      throw new OperationError(`--plot: cannot write ${o.plot}: ${(e as Error).message}`);
    }
  }
  if (o.json) io.out(JSON.stringify(sim.figures, null, 2) + '\n');
  else {
    io.out(
      summaryText(sim.figures, {
        service: service.name,
        strategy: service.strategy,
        trace: o.trace,
        traceKind: trace.kind,
        serviceTime,
        serviceTimeDist: dist,
        startupDelay,
        noRates: o.rates === false,
        elapsed,
        ...(o.plot ? { plot: o.plot } : {}),
      }),
    );
  }
  return 0;
}

/**
 * The service's custom strategy and policy modules decide, as in the worker. A module that fails
 * fails the run (exit 1, naming it): a figure from a run where it held would mislead.
 */
async function simulateWithModules(trace: Parameters<typeof simulate>[0], options: SimulationOptions, baseDir: string): Promise<Simulation> {
  const modules = new ModuleHost();
  try {
    return await simulateWith(trace, options, async (input) => {
      const { decision, failure } = await decideStep(input, modules, baseDir);
      if (failure !== null) throw new OperationError(`${failure.role} ${failure.module}: ${failure.error} (at simulated time ${input.now})`);
      return decision;
    });
  } finally {
    modules.close();
  }
}

export function number(value: string | number, flag: string, ok: (v: number) => boolean, expected: string): number {
  const text = String(value).trim();
  const v = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v) || !ok(v)) throw new UsageError(`${flag}: must be ${expected}, got "${value}"`);
  return v;
}

/** Seconds as a number (`90`, `0.5`) or a duration (`90s`, `10m`, `1h30m`). */
export function seconds(value: string | number, flag: string, zeroOk: boolean): number {
  const text = String(value).trim();
  const expected = `${zeroOk ? 'a number of seconds >= 0' : 'a number of seconds > 0'} (or a duration such as 90s, 10m)`;
  let v: number;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) v = Number(text);
  else {
    try {
      v = parseDuration(text, flag);
    } catch {
      throw new UsageError(`${flag}: must be ${expected}, got "${value}"`);
    }
  }
  if (!Number.isFinite(v) || v < 0 || (!zeroOk && v === 0)) throw new UsageError(`${flag}: must be ${expected}, got "${value}"`);
  return v;
}
