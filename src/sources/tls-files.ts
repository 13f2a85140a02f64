// `queue.tls` (ca_file, cert_file, key_file, server_name) as Node's TLS options, the files read
// now: every source with TLS reads them the same way, and a missing or unreadable file is a
// ConfigurationError naming the field.
import fs from 'node:fs';
import path from 'node:path';
import type { Tls } from '../config/queue';
import { ConfigurationError } from '../errors';
import { messageOf } from './failures';

export interface TlsFileOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  servername?: string;
}

/** `field` is where the TLS block sits, e.g. `queue.tls`. */
export function tlsFileOptions(tls: Tls | undefined, field = 'queue.tls'): TlsFileOptions {
  if (!tls) return {};
  return {
    ...(tls.ca_file ? { ca: readTlsFile(tls.ca_file, `${field}.ca_file`) } : {}),
    ...(tls.cert_file ? { cert: readTlsFile(tls.cert_file, `${field}.cert_file`) } : {}),
    ...(tls.key_file ? { key: readTlsFile(tls.key_file, `${field}.key_file`) } : {}),
    ...(tls.server_name ? { servername: tls.server_name } : {}),
  };
}

export function readTlsFile(file: string, field: string): Buffer {
  const abs = path.resolve(file);
  try {
    return fs.readFileSync(abs);
  } catch (err) {
    throw new ConfigurationError(`${field}: cannot read ${abs} (${messageOf(err)}); fix the path (relative paths are taken from the config file's folder)`, field);
  }
}
