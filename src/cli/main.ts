// The `docktor` command line (CONTRACT §1). Parses arguments with commander and maps typed
// errors to exit codes: 2 for usage and invalid input, 1 for failed checks and operations.
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DocktorError, InputError, UsageError } from '../errors';
import { codecServerCommand, type CodecServerOptions } from './commands/codec-server';
import { configSchema, configShow, configValidate } from './commands/config';
import {
  type ConfigOption,
  type OverrideOptions,
  downCommand,
  explainCommand,
  overrideCommand,
  pauseCommand,
  resumeCommand,
  statusCommand,
  upCommand,
} from './commands/control';
import { decideCommand } from './commands/decide';
import { mcpCommand, type McpCommandOptions } from './commands/mcp';
import { metricsCommand, type MetricsOptions } from './commands/metrics';
import { runSimulate, type SimulateOptions } from './commands/simulate';
import { runTune, type TuneCliOptions } from './commands/tune';
import { devCommand, workerCommand, type WorkerOptions } from './commands/worker';
import { parseDuration } from './duration';
import { processIO, type CliIO } from './io';

const VERSION: string = (require('../../../package.json') as { version: string }).version;

function positiveInt(what: string) {
  return (v: string): number => {
    // Safe integers only: a longer digit string would be rounded (and 1e30 is an integer too).
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new InvalidArgumentError(`${what} must be a whole number >= 0, got "${v}"`);
    return Number(v);
  };
}

function nonNegativeNumber(what: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 600) throw new InvalidArgumentError(`${what} must be a number of seconds from 0 to 600, got "${v}"`);
    return n;
  };
}

function durationArg(what: string) {
  return (v: string): number => {
    try {
      return parseDuration(v, what);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

const configOption = () => new Option('-c, --config <file>', 'config file (default ./docktor.yaml, else ./docktor.yml, or $DOCKTOR_CONFIG)');

/** Builds the program; `run` receives each command's result code. */
export function buildProgram(io: CliIO, run: (work: () => Promise<number> | number) => void): Command {
  const program = new Command('docktor')
    .description('A durable, queue-aware autoscaler on Temporal for Docker Compose, Swarm and local processes.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program.command('dev').description('start a local Temporal dev server (unless temporal.address is set), a worker and one scaler per service')
    .addOption(configOption()).action((o: ConfigOption) => run(() => devCommand(io, o)));
  program.command('worker').description('run only the Temporal worker (production: many may run)')
    .addOption(configOption())
    .option('--host <name>', "a host whose replicas this worker observes and changes (services' runtime.host), repeatable (default: this machine's hostname)", (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .action((o: WorkerOptions) => run(() => workerCommand(io, o)));
  program.command('codec-server').description('decrypt payloads for the Temporal UI (temporal.encryption; POST /encode, /decode)')
    .addOption(configOption()).option('--port <n>', 'port (default 8888)', positiveInt('--port'))
    .option('--host <ip>', 'address to listen on; it serves plaintext, keep it private', '127.0.0.1')
    .option('--cors-origin <url>', 'a browser origin of the Temporal UI, repeatable (default: http://localhost:8233, :8080 and their 127.0.0.1 forms)', (v: string, all: string[] | undefined) => [...(all ?? []), v])
    .action((o: CodecServerOptions) => run(() => codecServerCommand(io, o)));
  program.command('up').description('ensure one running scaler workflow per service; push changed config to running ones')
    .addOption(configOption()).argument('[service...]', 'only these services').action((names: string[], o: ConfigOption) => run(() => upCommand(io, names, o)));
  program.command('down').description('stop scaler workflows; replicas stay as they are')
    .addOption(configOption()).argument('[service...]', 'only these services').action((names: string[], o: ConfigOption) => run(() => downCommand(io, names, o)));
  program.command('status').description('replicas, last decision, paused/override state, next check time')
    .addOption(configOption()).argument('[service]').option('--json', 'print JSON').action((name: string | undefined, o: ConfigOption & { json?: boolean }) => run(() => statusCommand(io, name, o)));
  program.command('explain').description('decision history (the workflow query `history`)')
    .addOption(configOption()).argument('[service]')
    .option('--tail <n>', 'how many decisions per service', positiveInt('--tail'), 10)
    .option('--json', 'print JSON').action((name: string | undefined, o: ConfigOption & { tail: number; json?: boolean }) => run(() => explainCommand(io, name, o)));
  program.command('pause').description('stop acting; metrics and decisions are still recorded')
    .addOption(configOption()).argument('<service>').option('--reason <text>', 'why, shown in status and history')
    .action((service: string, o: ConfigOption & { reason?: string }) => run(() => pauseCommand(io, service, o)));
  program.command('resume').description('act again (also ends an override)')
    .addOption(configOption()).argument('<service>').action((service: string, o: ConfigOption) => run(() => resumeCommand(io, service, o)));
  program.command('override').description('pin the replica count until the duration ends or `resume`')
    .addOption(configOption()).argument('<service>')
    .requiredOption('--replicas <n>', 'replicas to pin', positiveInt('--replicas'))
    .option('--for <duration>', 'how long, e.g. 90s, 10m, 1h30m (default: until resume)', durationArg('--for'))
    .option('--reason <text>', 'why, shown in status and history')
    .option('--force', 'allow a count outside min_replicas..max_replicas')
    .action((service: string, o: OverrideOptions) => run(() => overrideCommand(io, service, o)));

  program.command('metrics').description('read every source of each service once, as a check would (rates from two samples)')
    .addOption(configOption()).argument('[service...]', 'only these services').option('--json', 'print JSON')
    .option('--gap <seconds>', 'seconds between the two reads that give rates (0: one read, no rates)', nonNegativeNumber('--gap'))
    .action((names: string[], o: MetricsOptions) => run(() => metricsCommand(io, names, o)));

  const config = program.command('config').description('check or describe the config file');
  config.command('validate').description('schema check, then live checks (compose, Docker, queue); exit 1 if any fails')
    .addOption(configOption()).action((o: ConfigOption) => run(() => configValidate(io, o.config)));
  config.command('show').description('the effective config: defaults applied, legacy form normalized, secrets masked')
    .addOption(configOption()).option('--json', 'print JSON').action((o: ConfigOption & { json?: boolean }) => run(() => configShow(io, o.config, o)));
  config.command('schema').description('print the JSON Schema of the config file').action(() => run(() => configSchema(io)));

  program.command('decide').description('read one decision input (JSON) on stdin, print the decision as JSON')
    .action(() => run(() => decideCommand(io)));

  program.command('simulate').description("replay an arrival trace through a simulated queue and workers under a service's policy")
    .addOption(configOption()).requiredOption('--service <name>', 'the service whose policy to use')
    .requiredOption('--trace <file>', 'arrival trace (see --trace-format)')
    .addOption(new Option('--trace-format <format>', 'auto: CSV of time,count or one number per line; requests: one row per arrival').choices(['auto', 'counts', 'requests']).default('auto'))
    .option('--service-time <s>', 'seconds per message', '1')
    .addOption(new Option('--service-time-dist <dist>', 'deterministic or exponential service times').choices(['fixed', 'exp']).default('fixed'))
    .option('--startup-delay <s>', 'seconds before a new replica serves', '10')
    .option('--scale <f>', 'multiply arrivals', '1')
    .option('--start <s>', 'skip the first S seconds of the trace', '0')
    .option('--duration <s>', 'replay only S seconds')
    .option('--seed <n>', 'random seed', '1')
    .option('--no-rates', 'simulate a queue without counters (Laravel, plain Redis lists): queue.backlog, queue.ack_pending and queue.lag only')
    .option('--json', 'print the figures as JSON')
    .option('--plot <file.svg>', 'draw arrivals, backlog, replicas and pickup latency')
    .action((o: SimulateOptions) => run(() => runSimulate(io, o)));
  program.command('tune').description("replay a service's traffic through candidate policies; recommend the cheapest that meets the SLA on a held-out later part")
    .addOption(configOption()).argument('[service]', 'the service to tune (default: the only one)')
    .option('--trace <file>', "the service's arrivals (see --trace-format), as `docktor simulate` reads them")
    .option('--recording [dir]', "what the service's scaler recorded (docs/recording.md; default dir: its recording.dir, else this machine's state directory)")
    .option('--prometheus <url>', "a Prometheus server scraping the workers' metrics ports (temporal.metrics_port): reads docktor_observation; basic auth as http://user:pass@host:9090, a bearer token from DOCKTOR_PROMETHEUS_TOKEN")
    .option('--since <duration>', 'with --recording or --prometheus: only the last part, e.g. 7d, 12h (--prometheus: default 7d)')
    .addOption(new Option('--trace-format <format>', 'auto: CSV of time,count or one number per line; requests: one row per arrival').choices(['auto', 'counts', 'requests']).default('auto'))
    .option('--service-time <s>', 'seconds of a replica per message (default: sla.service_time_seconds)')
    .option('--startup-delay <s>', 'seconds before a new replica serves (default: sla.startup_seconds, else 10)')
    .option('--holdout <share>', 'the later share of the traffic held out to judge the choice on', '0.3')
    .option('--budget <s>', 'seconds of search', '60')
    .option('--max-breach <share>', 'SLA breach seconds allowed, as a share of the judged span', '0.005')
    .option('--threads <n>', 'simulation threads (default: one per core)')
    .option('--json', 'print the result as JSON (CONTRACT §8)')
    .option('--plot <file.svg>', 'draw arrivals, and the replicas and pickup latency of the current, recommended and clairvoyant policies')
    .option('--apply', "push the recommended config to the service's running scaler (set_config), with the figures in its history")
    .action((name: string | undefined, o: TuneCliOptions) => run(() => runTune(io, name, o)));
  program.command('mcp').description('an MCP server for LLM agents: stdio, or streamable HTTP with --http')
    .addOption(configOption())
    .option('--http <port>', 'serve streamable HTTP on this port (0: any free one) instead of stdio', positiveInt('--http'))
    .option('--host <address>', 'address --http binds to', '127.0.0.1')
    .option('--read-only', 'leave out apply_scale, pause and resume')
    .action((o: McpCommandOptions) => run(() => mcpCommand(io, o)));
  return program;
}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram(io, (work) => {
    pending = Promise.resolve().then(work);
  });
  try {
    await program.parseAsync(argv);
    if (!pending) {
      // `docktor` alone or `docktor config` alone: show help, as a usage error.
      io.err(program.helpInformation());
      return 2;
    }
    return await pending;
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: CliIO): number {
  if (e instanceof CommanderError) {
    // --help and --version are exit 0; help shown for a missing command, and every other parse
    // failure, is bad usage.
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    if (e.code === 'commander.help' && e.exitCode === 0) return 0;
    return 2;
  }
  if (e instanceof InputError) {
    io.err(e.describe() + '\n');
    return 2;
  }
  if (e instanceof UsageError) {
    io.err(`docktor: ${e.message}\n`);
    return 2;
  }
  if (e instanceof DocktorError) {
    io.err(`docktor: ${e.message}\n`);
    return e.exitCode;
  }
  io.err(`docktor: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}
