// A remote codec server (Temporal's codec protocol, https://docs.temporal.io/codec-server): POST
// …/encode and …/decode take and return `{"payloads": [...]}` in the protobuf JSON form (metadata
// values and data in base64). The Temporal UI calls it from the browser, hence CORS for the UI's
// origin. It hands out plaintext to whoever can reach it: bind it to 127.0.0.1 or put it behind
// the same authentication as the UI.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { OperationError } from '../errors';

export const DEFAULT_CODEC_PORT = 8888;
/** The UIs docktor starts or documents: `docktor dev` (8233) and docker-compose.temporal.yaml (8080). */
export const DEFAULT_CORS_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233', 'http://localhost:8080', 'http://127.0.0.1:8080'];
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface JsonPayload {
  metadata?: Record<string, string> | null;
  data?: string | null;
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Browser origins allowed to call it (exact match, e.g. http://localhost:8233). */
  corsOrigins?: readonly string[];
  /** Where the port is set, named when it is in use (default `--port`). */
  portSetting?: string;
}

export interface CodecServer {
  /** Base URL, for the UI's codec endpoint setting (`--ui-codec-endpoint`). */
  url: string;
  /** Allows one more origin (e.g. a UI whose port was only known once it started). */
  allowOrigin(origin: string): void;
  close(): Promise<void>;
}

export function payloadFromJson(p: JsonPayload): Payload {
  const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data ?? ''),
  };
}

export function payloadToJson(p: Payload): JsonPayload {
  const b64 = (u: Uint8Array) => Buffer.from(u).toString('base64');
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
    data: b64(p.data ?? new Uint8Array()),
  };
}

class BadRequest extends Error {}

export async function startCodecServer(o: CodecServerOptions): Promise<CodecServer> {
  const host = o.host ?? '127.0.0.1';
  const origins = new Set(o.corsOrigins ?? DEFAULT_CORS_ORIGINS);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.has(origin)) return reply(res, 403, { error: `origin ${origin} is not allowed; start the codec server with --cors-origin ${origin}` });
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Vary', 'Origin');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    }
    if (req.method === 'OPTIONS') return reply(res, 204);
    // The protocol: only the last part of the path counts, so it can be mounted anywhere.
    const op = /\/(encode|decode)\/?$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1];
    if (!op) return reply(res, 404, { error: 'POST …/encode or …/decode' });
    if (req.method !== 'POST') return reply(res, 405, { error: `${op} takes POST` });
    let payloads: Payload[];
    try {
      payloads = parsePayloads(await readBody(req));
    } catch (e) {
      return reply(res, e instanceof BadRequest ? 400 : 413, { error: (e as Error).message });
    }
    try {
      const out = op === 'encode' ? await o.codec.encode(payloads) : await o.codec.decode(payloads);
      return reply(res, 200, { payloads: out.map(payloadToJson) });
    } catch (e) {
      return reply(res, 400, { error: (e as Error).message });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => reply(res, 500, { error: e instanceof Error ? e.message : String(e) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new OperationError(
          e.code === 'EADDRINUSE' ? `cannot start the codec server: ${host}:${o.port ?? DEFAULT_CODEC_PORT} is in use; choose another port (${o.portSetting ?? '--port'})` : `cannot start the codec server: ${e.message}`,
        ),
      ),
    );
    server.listen(o.port ?? DEFAULT_CODEC_PORT, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    allowOrigin: (origin) => void origins.add(origin),
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function parsePayloads(body: string): Payload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new BadRequest('the body is not JSON; expected {"payloads": [...]}');
  }
  const list = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new BadRequest('expected {"payloads": [...]}');
  return list.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null) throw new BadRequest(`payloads[${i}] is not an object`);
    return payloadFromJson(p as JsonPayload);
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function reply(res: ServerResponse, status: number, body?: object): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
