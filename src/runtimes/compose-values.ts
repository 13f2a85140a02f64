// Reading values of a compose file the way `docker compose` does, with the path of the key in
// every error: shared by the service's reading (compose-file.ts) and its mounts (compose-mounts.ts).
import type { Variables } from '../config/compose-interpolation';

/** A problem in the compose file, with the path of the offending key (e.g. `services.worker.volumes[1]`). */
export class ComposeFileError extends Error {
  override name = 'ComposeFileError';
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

export interface ComposeContext {
  project: string;
  /** Absolute directory of the compose file: relative paths are resolved against it. */
  dir: string;
  /** For `environment: [NAME]` (value taken from the environment) and `~` in paths. */
  env: Variables;
}

/** `64m`, `1g`, `512k`, `100b` or a number of bytes. */
export function parseBytes(value: unknown, key: string): number {
  if (typeof value === 'number') return value;
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(value.trim()) : null;
  if (!m) throw new ComposeFileError(key, 'must be a size such as 64m or 1g');
  const mult: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return Math.round(Number(m[1]) * (mult[m[2].toLowerCase()] ?? 1));
}

export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function scalar(v: unknown, key: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new ComposeFileError(key, 'must be a string');
}

export function optString(v: unknown, key: string, allowNumber = false): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (allowNumber && typeof v === 'number') return String(v);
  throw new ComposeFileError(key, 'must be a string');
}

export function throwError(e: Error): never {
  throw e;
}
