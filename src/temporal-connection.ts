// Connection options for the worker (NativeConnection) and the client (Connection) from the
// config's `temporal` block: address, TLS files, API key.
import fs from 'node:fs';
import type { TemporalConfig } from './config/file';
import { UsageError } from './errors';

export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

export interface TemporalConnectOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
}

export function connectOptions(t: TemporalConfig, address = t.address ?? DEFAULT_TEMPORAL_ADDRESS): TemporalConnectOptions {
  const read = (file: string, field: string): Buffer => {
    try {
      return fs.readFileSync(file);
    } catch (e) {
      throw new UsageError(`temporal.tls.${field}: cannot read ${file} (${(e as Error).message})`);
    }
  };
  const opts: TemporalConnectOptions = { address };
  if (t.tls) {
    const { ca_file, cert_file, key_file, server_name } = t.tls;
    if ((cert_file === undefined) !== (key_file === undefined)) {
      throw new UsageError('temporal.tls: cert_file and key_file go together (mutual TLS); set both or neither');
    }
    opts.tls = {
      ...(server_name ? { serverNameOverride: server_name } : {}),
      ...(ca_file ? { serverRootCACertificate: read(ca_file, 'ca_file') } : {}),
      ...(cert_file && key_file ? { clientCertPair: { crt: read(cert_file, 'cert_file'), key: read(key_file, 'key_file') } } : {}),
    };
  }
  // An API key implies TLS (Temporal Cloud); an empty tls object turns on system roots.
  if (t.api_key) {
    opts.apiKey = t.api_key;
    opts.tls ??= {};
  }
  return opts;
}
