// The encryption keys named by `temporal.encryption`: read from a file or an environment
// variable, never from the config file. The first key encrypts; every key decrypts, so a new key
// can be put first while payloads written with the old one are still read (rotation).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import type { EncryptionConfig } from '../config/file';
import { UsageError } from '../errors';

export const KEY_BYTES = 32;
export const KEY_HOWTO = `each key is ${KEY_BYTES} random bytes in base64 (\`openssl rand -base64 ${KEY_BYTES}\`), one per line (in an environment variable: separated by commas or spaces)`;

export interface EncryptionKey {
  /** Stored in each payload's metadata; a fingerprint of the key, so ids never collide or need naming. */
  id: string;
  key: Buffer;
}

export interface KeyRing {
  /** Encrypts new payloads. */
  current: EncryptionKey;
  /** Every key by id, the current one included. */
  byId: ReadonlyMap<string, EncryptionKey>;
}

/** A short, non-reversible name for a key: the first 16 hex digits of its SHA-256. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('docktor-payload-key\0').update(key).digest('hex').slice(0, 16);
}

/**
 * Reads and checks the keys; a missing file or variable, an empty one or a key of the wrong size
 * is a UsageError (exit 2) naming the field and the fix.
 */
export function loadKeyRing(e: EncryptionConfig, env: NodeJS.ProcessEnv = process.env): KeyRing {
  let field: string;
  let text: string;
  if (e.key_file !== undefined) {
    field = 'temporal.encryption.key_file';
    try {
      text = fs.readFileSync(e.key_file, 'utf8');
    } catch (err) {
      throw new UsageError(`${field}: cannot read ${e.key_file} (${(err as Error).message}); ${KEY_HOWTO}`);
    }
  } else {
    field = 'temporal.encryption.key_env';
    const name = e.key_env ?? '';
    const value = env[name];
    if (value === undefined || value.trim() === '') {
      throw new UsageError(`${field}: the environment variable ${name} is not set or empty; set it to the key(s): ${KEY_HOWTO}`);
    }
    text = value;
  }
  const words = text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join(' ')
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  if (words.length === 0) throw new UsageError(`${field}: no key found; ${KEY_HOWTO}`);
  const keys = words.map((w, i) => {
    const key = /^[A-Za-z0-9+/]+={0,2}$/.test(w) ? Buffer.from(w, 'base64') : Buffer.alloc(0);
    if (key.length !== KEY_BYTES) {
      throw new UsageError(`${field}: key ${i + 1} is not ${KEY_BYTES} bytes of base64 (it decodes to ${key.length} bytes); ${KEY_HOWTO}`);
    }
    return { id: keyId(key), key };
  });
  return { current: keys[0] as EncryptionKey, byId: new Map(keys.map((k) => [k.id, k])) };
}
