// The MCP tools of CONTRACT §7: the docktor seed's interface for LLM agents, on the running
// scalers. Reads go through the workflow queries, writes through its `override` update and
// `pause`/`resume` signals (validated and recorded by the workflow; nothing bypasses it), and
// `decide_scale_multi`/`simulate` are the pure engine and simulator. Inputs are zod schemas (the
// SDK validates them and lists them as JSON Schema); failures are thrown and become tool errors.
import fs from 'node:fs';
import path from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { ServiceConfig } from '../config/service';
import * as scalers from '../control/scalers';
import { decide } from '../decide/index';
import { DecisionInputSchema, parseDecisionInput } from '../decide/input';
import { UsageError } from '../errors';
import { simulate } from '../simulate/simulator';
import { parseTrace, TRACE_FORMATS, type Trace, type TraceFormat } from '../simulate/trace';
import { redactSecrets } from '../sources/secrets';
import { EvaluationPool } from '../tune/pool';
import { checkTraffic, traceTraffic, tune, TUNE_DEFAULTS } from '../tune/tune';
import { DEFAULT_METRICS_GAP_MS, type ServiceMetrics } from '../control/read-metrics';
import type { ScalersAccess } from './scalers-access';
import { serviceOrConfigSchema } from './service-or-config';

/** How the simulate and tune tools take a trace. */
const traceArgs = {
  trace_file: z.string().min(1).optional().describe('Path of a trace file on the server, relative to the directory of its docktor.yaml'),
  trace_text: z.string().min(1).optional().describe('The trace itself, instead of trace_file'),
  trace_format: z.enum(TRACE_FORMATS).default('auto').describe('auto: CSV of time,count or one number per line; requests: one row per arrival'),
};

/** The trace the simulate and tune tools were given (a file beside the config, or the text). */
function traceOf(a: { trace_file?: string | undefined; trace_text?: string | undefined; trace_format: TraceFormat }, configFile: string): Trace {
  if ((a.trace_file === undefined) === (a.trace_text === undefined)) throw new UsageError('trace_file, trace_text: give exactly one of them');
  const text = a.trace_text ?? readTrace(path.resolve(path.dirname(configFile), a.trace_file ?? ''), a.trace_file ?? '');
  return parseTrace(text, a.trace_format, a.trace_file ?? 'trace_text');
}

/** A JSON result as MCP wants it: text for any client, structured content for those that read it. */
export function jsonResult(value: Record<string, unknown>, isError = false): CallToolResult {
  return {
    content: [{ type: 'text', text: JSON.stringify(value, null, 2) }],
    structuredContent: value,
    ...(isError ? { isError: true } : {}),
  };
}

/** A reading; a failed source makes it a tool error that names the source and its fix, with what was read. */
function metricsResult(m: ServiceMetrics): CallToolResult {
  const value = { service: m.service, observations: m.observations, failures: m.failures };
  if (m.failures.length === 0) return jsonResult(value);
  const result = jsonResult(value, true);
  return { ...result, content: [{ type: 'text', text: m.failures.map((f) => `${f.source}: ${f.error}`).join('\n') }, ...result.content] };
}

export function registerTools(server: McpServer, access: ScalersAccess, o: { readOnly: boolean }): void {
  const names = access.config.services.map((s) => s.name);
  // The configured names as an enum: the JSON Schema tells the agent which services exist.
  const serviceName = z.enum(names as [string, ...string[]]);
  const serviceArg = serviceName.describe(`A service of project '${access.config.project}': ${names.join(', ')}`);
  /** A configured service by name, or a whole service config as in docktor.yaml (to try another policy). */
  const serviceOrConfig = serviceOrConfigSchema(names as [string, ...string[]], access.config.project);
  const resolve = (s: string | ServiceConfig): ServiceConfig => (typeof s === 'string' ? access.service(s) : s);

  // The metrics tools read the sources now, in this process, as `docktor metrics` does.
  const gapArg = z.number().min(0).max(60).default(DEFAULT_METRICS_GAP_MS / 1000)
    .describe(`Seconds between the two reads whose difference gives the rates (default ${DEFAULT_METRICS_GAP_MS / 1000}; 0: one read, no rates)`);

  server.registerTool(
    'get_service_metrics',
    {
      title: 'Read a service\'s metrics now',
      description:
        'Reads every metric source of one service now, as its scaler\'s next check would: the queue (queue.backlog, queue.ack_pending, ' +
        'queue.lag, queue.oldest_age_s, queue.rate_in, queue.rate_out, ...), `external` sources, and the runtime (replicas.current, ' +
        'replicas.ready, cpu.avg_pct, mem.avg_pct, ...). Returns `observations` (metric name -> number; a metric that could not be read is ' +
        'absent) and `failures` (source and error, with the fix). Rates come from two reads `window_sec` apart. Feed the observations to ' +
        'decide_scale_multi to see what the scaler would do. Read-only.',
      inputSchema: z.strictObject({ service: serviceArg, window_sec: gapArg }),
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async ({ service, window_sec }) => metricsResult(await access.readMetrics(access.service(service), window_sec)),
  );

  server.registerTool(
    'get_queue_metrics',
    {
      title: 'Read a service\'s queue now',
      description:
        'Reads only the queue of one service now (its `queue:` in the config): queue.backlog (messages not yet delivered), queue.ack_pending ' +
        '(delivered, not yet acknowledged), queue.lag (both), queue.oldest_age_s, and the rates queue.rate_in / queue.rate_out (messages per ' +
        'second published / acknowledged, from two reads a few seconds apart). An unreachable queue server is an error that says what to fix. Read-only.',
      inputSchema: z.strictObject({ service: serviceArg }),
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    async ({ service }) => {
      const s = access.service(service);
      if (!s.queue) throw new UsageError(`service: ${s.name} has no queue in ${access.config.file}; get_service_metrics reads its other sources`);
      const m = await access.readMetrics(s, DEFAULT_METRICS_GAP_MS / 1000);
      return metricsResult({
        service: m.service,
        observations: Object.fromEntries(Object.entries(m.observations).filter(([k]) => k.startsWith('queue.'))),
        failures: m.failures.filter((f) => f.source === 'queue'),
      });
    },
  );

  server.registerTool(
    'status',
    {
      title: 'Scaler status',
      description:
        'Current state of the scalers: replicas now, min_replicas..max_replicas, strategy, whether paused or pinned by an override (and until when), ' +
        'the last decision with its reason, metric-source failures, and the next check time (Unix seconds). ' +
        'Without `service`: every service of the config (those whose scaler is not running show running: false). Read-only.',
      inputSchema: z.strictObject({ service: serviceArg.optional() }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ service }) => {
      const all = await access.call((c) => scalers.status(c, access.config, service));
      return jsonResult(service ? { ...all[0] } : { project: access.config.project, services: all });
    },
  );

  server.registerTool(
    'explain',
    {
      title: 'Decision history',
      description:
        "Why a service has the replicas it has: the scaler's recent decisions, oldest first. Each entry: `at` (Unix seconds; `checks`/`last_at` when " +
        'several checks in a row decided the same), `action` (scale_up, scale_down, hold), `from`→`to` replicas, `reason`, `limited_by` ' +
        '(what capped the result: max_replicas, cooldown, stabilization, paused, override, ...), the `observations` it decided on, and `applied`. Read-only.',
      inputSchema: z.strictObject({
        service: serviceArg,
        tail: z.number().int().min(1).max(500).default(10).describe('How many of the latest decisions (default 10, at most 500)'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async ({ service, tail }) => {
      const entries = await access.call((c) => scalers.explain(c, access.config, service, tail));
      return jsonResult({ service, entries: entries.map(({ service: _, ...e }) => e) });
    },
  );

  server.registerTool(
    'decide_scale_multi',
    {
      title: 'Decide (pure engine)',
      description:
        "Runs docktor's decision engine on one input and returns what it would decide; nothing is read or changed (the same engine and schema as " +
        '`docktor decide`). Combines every metric of the policy (rules: up if any condition holds, down only if all do; target: the largest ' +
        'desired count; predictive: the SLA) and applies cooldowns, rate limits, min/max bounds and schedule windows. It loads no code: a ' +
        '`custom` strategy holds (limited_by module_error) and `policies` are not run; ask the operator to run `docktor decide` for those. Input: `service` (a configured name, or a ' +
        'service config), `current_replicas`, `observations` (metric name -> number, e.g. from get_service_metrics: queue.backlog, ' +
        'queue.oldest_age_s, cpu.avg_pct, ...), optional `now` (Unix seconds, default the current time) and `state` (the `state` of the previous ' +
        'output, for cooldowns and stabilization). Output: action (scale_up, scale_down, hold), target_replicas, reason, limited_by, details, state. ' +
        "Use it for what-if questions such as 'what would happen at a backlog of 5000?'.",
      inputSchema: DecisionInputSchema.extend({
        service: serviceOrConfig,
        now: z.number().optional().describe('Unix seconds of the decision (default: now)'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      // The SDK checked the shape; this is `docktor decide`'s own validation of the complete input.
      const input = parseDecisionInput({ ...args, service: resolve(args.service), now: args.now ?? Date.now() / 1000 });
      return jsonResult({ ...decide(input) });
    },
  );

  server.registerTool(
    'simulate',
    {
      title: 'Simulate a policy on a trace',
      description:
        "Replays an arrival trace through a simulated FIFO queue and replicas under a service's policy (the real strategy decides every " +
        'check_interval), and returns the figures: messages, breach_seconds (time the oldest waiting message was older than the SLA), pickup ' +
        'latency p50/p95/p99, max_backlog, worker_seconds (the cost), mean_replicas, scale_events. Pure; nothing live is touched. Give the trace ' +
        'as `trace_file` (a path on the server) or `trace_text`: one number per line (arrivals per second), a CSV `time,count`, or a CSV of one row ' +
        'per arrival (trace_format: requests). Compare policies by passing a service config instead of a name.',
      inputSchema: z.strictObject({
        service: serviceOrConfig,
        ...traceArgs,
        service_time: z.number().positive().default(1).describe('Seconds one replica takes per message (default 1)'),
        service_time_dist: z.enum(['fixed', 'exp']).default('fixed').describe('fixed, or exponential service times around service_time'),
        startup_delay: z.number().min(0).default(10).describe('Seconds before a new replica serves (default 10)'),
        scale: z.number().min(0).default(1).describe('Multiplies the arrivals (default 1)'),
        start: z.number().min(0).default(0).describe('Skip the first seconds of the trace'),
        duration: z.number().positive().optional().describe('Replay only this many seconds'),
        seed: z.number().int().min(0).max(0xffffffff).default(1).describe('Random seed for exponential service times'),
        no_rates: z.boolean().default(false).describe('Simulate a queue without counters (Laravel, plain Redis lists): only queue.backlog, queue.ack_pending and queue.lag, no rates and no oldest age'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (a) => {
      const trace = traceOf(a, access.config.file);
      if (a.start >= trace.span && trace.span > 0) throw new UsageError(`start: ${a.start} s is at or past the end of the trace (${trace.span} s long)`);
      const sim = simulate(trace, {
        service: resolve(a.service),
        serviceTime: a.service_time,
        serviceTimeDist: a.service_time_dist,
        startupDelay: a.startup_delay,
        scale: a.scale,
        start: a.start,
        ...(a.duration !== undefined ? { duration: a.duration } : {}),
        seed: a.seed,
        noRates: a.no_rates,
      });
      return jsonResult({ ...sim.figures });
    },
  );

  server.registerTool(
    'tune',
    {
      title: 'Recommend a policy for a service from its traffic',
      description:
        "Replays a service's traffic (a trace, with the service time and startup delay) through candidate policies (the current config, " +
        'predictive with its knobs, target-tracking and rules recipes), chooses the cheapest that keeps SLA breach within max_breach of the span ' +
        'on the earlier part of the traffic, and reports it on the held-out later part (a candidate that breaches there is never recommended). ' +
        'Returns CONTRACT §8: current and recommended figures (breach_seconds, pickup_p99_s, worker_seconds, work_ratio, clairvoyant_ratio), ' +
        '`recommended.config` (a complete service config; null with `reason` when none qualifies), and the candidates. Recommends only: it never ' +
        'changes the running scaler (an operator applies it with `docktor tune --apply`). Needs at least 20 minutes of traffic.',
      inputSchema: z.strictObject({
        service: serviceArg,
        ...traceArgs,
        service_time: z.number().positive().optional().describe("Seconds one replica takes per message (default: the service's sla.service_time_seconds)"),
        startup_delay: z.number().min(0).optional().describe("Seconds before a new replica serves (default: sla.startup_seconds, else 10)"),
        holdout: z.number().min(0.05).max(0.9).default(TUNE_DEFAULTS.holdout).describe('The later share of the traffic held out to judge on (default 0.3)'),
        budget: z.number().positive().max(300).default(20).describe('Seconds of search (default 20)'),
        max_breach: z.number().min(0).lt(1).default(TUNE_DEFAULTS.maxBreach).describe('Breach seconds allowed as a share of a judged part (default 0.005)'),
      }),
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (a) => {
      const trace = traceOf(a, access.config.file);
      const service = access.service(a.service);
      const { countsArrivals } = await import('../queues/registry.js');
      const traffic = traceTraffic(trace, service, { serviceTimeS: a.service_time, startupDelayS: a.startup_delay, noRates: !countsArrivals(service.queue) });
      checkTraffic(traffic, service);
      const pool = new EvaluationPool({ trace, model: traffic });
      try {
        const result = redactSecrets(await tune(traffic, service, { holdout: a.holdout, budgetS: a.budget, maxBreach: a.max_breach, clock: () => performance.now(), evaluate: pool.evaluate }));
        return jsonResult({ ...result }, result.recommended === null);
      } finally {
        await pool.close();
      }
    },
  );

  if (o.readOnly) return;

  server.registerTool(
    'apply_scale',
    {
      title: 'Pin the replica count',
      description:
        "Pins a running scaler's replica count through its `override` update: the workflow checks target_replicas against min_replicas..max_replicas, " +
        'records the override with your reason in the decision history, and applies it at once. It lasts `duration_seconds` (recommended, e.g. 3600) ' +
        'or, without it, until `resume`. While pinned the scaler keeps deciding and recording, but holds the count. Check `status` first; ' +
        'use only when asked to change capacity.',
      inputSchema: z.strictObject({
        service: serviceArg,
        target_replicas: z.number().int().min(0).describe('The replica count to pin, within the service\'s min_replicas..max_replicas'),
        reason: z.string().trim().min(1).describe('Why, in a few words; shown in status and in the decision history'),
        duration_seconds: z.number().positive().optional().describe('How long the pin lasts, in seconds (default: until resume)'),
      }),
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async ({ service, target_replicas, reason, duration_seconds }) => {
      const status = await access.call((c) =>
        scalers.override(c, access.config, service, {
          replicas: target_replicas,
          reason: `${reason} (agent, via MCP)`,
          ...(duration_seconds !== undefined ? { duration_seconds } : {}),
        }),
      );
      return jsonResult({ ...status });
    },
  );

  server.registerTool(
    'pause',
    {
      title: 'Pause a scaler',
      description:
        'Stops a scaler from changing replicas; it keeps reading metrics and recording what it would have done (see explain). Undo with `resume`.',
      inputSchema: z.strictObject({ service: serviceArg, reason: z.string().optional().describe('Why; shown in status') }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ service, reason }) => {
      await access.call((c) => scalers.pause(c, access.config, service, reason ? `${reason} (agent, via MCP)` : 'agent, via MCP'));
      return jsonResult({ service, paused: true });
    },
  );

  server.registerTool(
    'resume',
    {
      title: 'Resume a scaler',
      description: 'Lets a paused scaler act again; also ends an override set by apply_scale. The scaler decides again at its next check.',
      inputSchema: z.strictObject({ service: serviceArg }),
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    async ({ service }) => {
      await access.call((c) => scalers.resume(c, access.config, service));
      return jsonResult({ service, resumed: true });
    },
  );
}

function readTrace(file: string, asGiven: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`trace_file: cannot read ${asGiven}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}
