// `docktor codec-server`: the remote codec the Temporal UI (or `temporal --codec-endpoint`) calls
// to show payloads that `temporal.encryption` encrypted.
import { startCodecServer, DEFAULT_CODEC_PORT, DEFAULT_CORS_ORIGINS } from '../../codec/codec-server';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { loadKeyRing } from '../../codec/keys';
import { loadConfig } from '../../config/load';
import { UsageError } from '../../errors';
import type { CliIO } from '../io';
import type { ConfigOption } from './control';
import { stopSignal } from './worker';

export interface CodecServerOptions extends ConfigOption {
  host: string;
  port?: number;
  corsOrigin?: string[];
}

export async function codecServerCommand(io: CliIO, o: CodecServerOptions): Promise<number> {
  const config = loadConfig(o.config, io.cwd, io.env);
  if (!config.temporal.encryption) {
    throw new UsageError(`temporal.encryption is not set in ${config.file}: there is nothing to decode; see docs/operations.md ("Payload encryption")`);
  }
  if (o.port !== undefined && o.port > 65535) throw new UsageError(`--port: ${o.port} is not a port number (0..65535)`);
  const keys = loadKeyRing(config.temporal.encryption, io.env);
  const corsOrigins = o.corsOrigin ?? DEFAULT_CORS_ORIGINS;
  const server = await startCodecServer({ codec: new EncryptionCodec(keys), host: o.host, port: o.port ?? DEFAULT_CODEC_PORT, corsOrigins });
  io.out(
    `docktor codec-server: ${server.url} (POST /encode, /decode); encrypting with key ${keys.current.id}, ` +
      `decrypting ${[...keys.byId.keys()].join(', ')}; browser origins: ${corsOrigins.join(', ')}\n`,
  );
  const signal = stopSignal(io);
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  await server.close();
  io.out('docktor codec-server: stopped\n');
  return 0;
}
