// The MCP SDK's own client against `docktor mcp` run as a child process (the built CLI), over stdio
// or over streamable HTTP, as an agent's host would connect.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { docktorArgv, startBackground, type Background } from '../e2e/cli';

export interface ToolCall {
  isError: boolean;
  /** The first text content. */
  text: string;
  structured: Record<string, unknown> | undefined;
}

export interface McpConnection {
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<ToolCall>;
  /** What the server wrote to stderr. */
  output(): string;
  close(): Promise<void>;
}

function connection(client: Client, output: () => string, close: () => Promise<void>): McpConnection {
  return {
    client,
    output,
    close,
    async call(name, args = {}) {
      const r = await client.callTool({ name, arguments: args });
      const first = Array.isArray(r.content) ? (r.content[0] as { type: string; text?: string } | undefined) : undefined;
      return { isError: r.isError === true, text: first?.text ?? '', structured: r.structuredContent as Record<string, unknown> | undefined };
    },
  };
}

/** `docktor mcp ARGS` on stdio. */
export async function mcpOverStdio(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<McpConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: docktorArgv(['mcp', ...args]),
    env: Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined)),
    cwd,
    stderr: 'pipe',
  });
  let out = '';
  transport.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const client = new Client({ name: 'docktor-test', version: '1.0.0' });
  await client.connect(transport);
  return connection(client, () => out, () => client.close());
}

/** `docktor mcp ARGS --http 0` in the background; connects to the URL it prints. */
export async function mcpOverHttp(args: string[], env: NodeJS.ProcessEnv): Promise<McpConnection & { url: string; server: Background }> {
  const server = startBackground(docktorArgv(['mcp', ...args, '--http', '0']), env);
  let url = '';
  for (let i = 0; i < 300 && !url; i++) {
    url = /listening on (http:\/\/\S+),/.exec(server.output())?.[1] ?? '';
    if (!url) {
      if (server.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  if (!url) {
    await server.stop();
    throw new Error(`docktor mcp --http did not print its URL:\n${server.output()}`);
  }
  const client = new Client({ name: 'docktor-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const c = connection(client, () => server.output(), async () => {
    await client.close();
    await server.stop();
  });
  return { ...c, url, server };
}
