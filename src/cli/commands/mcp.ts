// `docktor mcp`: the MCP server for LLM agents (CONTRACT §7). The config is read once at start
// (bad config: exit 2); Temporal and the metric sources are reached per call, so an unreachable
// one is a tool error and the server keeps running.
import { loadConfig } from '../../config/load';
import { UsageError } from '../../errors';
import { ScalersAccess } from '../../mcp/scalers-access';
import { isLoopback, serveHttp, serveStdio } from '../../mcp/server';
import type { CliIO } from '../io';

export interface McpCommandOptions {
  config?: string;
  http?: number;
  host: string;
  readOnly?: boolean;
}

export async function mcpCommand(io: CliIO, o: McpCommandOptions): Promise<number> {
  if (o.http !== undefined && o.http > 65535) throw new UsageError(`--http: ${o.http} is not a port number (0..65535)`);
  const config = loadConfig(o.config, io.cwd, io.env);
  const access = new ScalersAccess(config, io.env.DOCKTOR_TEMPORAL_ADDRESS);
  const opts = { readOnly: o.readOnly === true };
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const mode = opts.readOnly ? ', read-only' : '';
  try {
    // stdout belongs to the protocol on stdio: everything for people goes to stderr.
    if (o.http === undefined) {
      io.err(`docktor mcp: stdio, project '${config.project}' (${config.services.length} service(s)), Temporal ${access.temporalAddress}${mode}\n`);
      await serveStdio(access, opts, stop.signal);
    } else {
      await serveHttp(access, opts, { host: o.host, port: o.http }, stop.signal, (url) => {
        io.err(`docktor mcp: listening on ${url}, project '${config.project}', Temporal ${access.temporalAddress}${mode}\n`);
        if (!isLoopback(o.host)) {
          io.err(`docktor mcp: warning: no authentication; anything that reaches ${o.host} can use it${opts.readOnly ? '' : ' to change replicas (consider --read-only)'}\n`);
        }
      });
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await access.close();
  }
}
