// `docktor mcp`: the MCP server and its two transports. stdio for clients that start it as a child
// (Claude Desktop, Cursor, ...); streamable HTTP for one that runs on its own, stateless (a fresh
// protocol server per request over the shared Temporal client), bound to loopback unless told.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { OperationError } from '../errors';
import { registerResources } from './resources';
import type { ScalersAccess } from './scalers-access';
import { registerTools } from './tools';

const VERSION: string = (require('../../../package.json') as { version: string }).version;

export interface McpOptions {
  /** Leaves out the tools that change anything (apply_scale, pause, resume). */
  readOnly: boolean;
}

export function createMcpServer(access: ScalersAccess, o: McpOptions): McpServer {
  const server = new McpServer(
    { name: 'docktor', title: 'docktor autoscaler', version: VERSION },
    {
      instructions:
        `docktor autoscales the services of project '${access.config.project}' (${access.config.services.map((s) => s.name).join(', ')}); ` +
        'one durable scaler per service decides from queue and runtime metrics every check_interval. Read with status, explain and ' +
        'get_service_metrics; ask what-ifs with decide_scale_multi and simulate' +
        (o.readOnly ? '. This server is read-only.' : '; change capacity only when asked, with apply_scale (give a duration), pause and resume.'),
    },
  );
  registerTools(server, access, o);
  registerResources(server, access);
  return server;
}

/** Serves one client on stdin/stdout until it closes the stream (or `signal` aborts). */
export async function serveStdio(access: ScalersAccess, o: McpOptions, signal: AbortSignal): Promise<void> {
  const server = createMcpServer(access, o);
  let done = () => {};
  const closed = new Promise<void>((resolve) => (done = resolve));
  // The protocol owns the transport's callbacks once connected: hook its close, not the transport's.
  server.server.onclose = done;
  process.stdin.once('end', done);
  signal.addEventListener('abort', done, { once: true });
  await server.connect(new StdioServerTransport());
  await closed;
  await server.close();
}

export interface HttpListen {
  host: string;
  /** 0: any free port (printed). */
  port: number;
}

/** The streamable HTTP endpoint is this path. */
export const MCP_PATH = '/mcp';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_HOSTS.has(host);
}

/** Listens until `signal` aborts; `onListening` gets the URL clients use. */
export async function serveHttp(access: ScalersAccess, o: McpOptions, listen: HttpListen, signal: AbortSignal, onListening: (url: string) => void): Promise<void> {
  const loopback = isLoopback(listen.host);
  const httpServer = http.createServer((req, res) => {
    void handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: (e as Error).message }, id: null }));
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== MCP_PATH) return plain(res, 404, `not found: the MCP endpoint is ${MCP_PATH}`);
    // DNS rebinding: a web page must not reach a loopback server through a name it controls.
    if (loopback && !isLoopback(hostnameOf(req.headers.host))) return plain(res, 403, `Host ${req.headers.host ?? '(none)'} not allowed`);
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return plain(res, 405, 'this MCP server is stateless: POST JSON-RPC requests to it');
    }
    const server = createMcpServer(access, o);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', (e: NodeJS.ErrnoException) =>
      reject(new OperationError(`--http: cannot listen on ${listen.host}:${listen.port} (${e.code ?? e.message}); choose another port`)),
    );
    httpServer.listen(listen.port, listen.host, resolve);
  });
  const { port } = httpServer.address() as AddressInfo;
  onListening(`http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${port}${MCP_PATH}`);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  httpServer.closeAllConnections();
  await new Promise<void>((resolve) => httpServer.close(() => resolve()));
}

function plain(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text + '\n');
}

function hostnameOf(host: string | undefined): string {
  if (!host) return '';
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.replace(/:\d+$/, '');
}
