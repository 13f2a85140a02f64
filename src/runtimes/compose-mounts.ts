// The volumes and networks of a compose service, as `docker compose` attaches them: short and long
// volume syntax (binds, named and anonymous volumes, tmpfs), and networks by the names the
// top-level keys declare (external ones as they are, others as <project>_<key>).
import * as path from 'node:path';
import { ComposeFileError, asRecord, optString, parseBytes, scalar, throwError, type ComposeContext } from './compose-values';

export interface ComposeMount {
  type: 'bind' | 'volume' | 'tmpfs';
  /** Absolute host path (bind), Engine volume name (volume; absent for an anonymous one). */
  source?: string;
  target: string;
  read_only: boolean;
  /** Short-syntax binds create a missing host directory, as compose does. */
  create_host_path?: boolean;
  propagation?: string;
  nocopy?: boolean;
  tmpfs_size_bytes?: number;
}

export interface ComposeNetworkAttachment {
  /** The key under `networks:` (`default` for the implicit one). */
  key: string;
  /** Declared `external: true`: compose never creates it, neither does docktor. */
  external: boolean;
  /** The Engine network name (`<project>_<key>` unless declared with `name:` or `external:`). */
  network: string;
  aliases: string[];
  ipv4_address?: string;
  ipv6_address?: string;
}

export function parseVolumes(value: unknown, key: string, ctx: ComposeContext, topLevel: Record<string, unknown>): ComposeMount[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ComposeFileError(key, 'must be a list');
  return value.map((item, i) => {
    const k = `${key}[${i}]`;
    return typeof item === 'string' ? shortVolume(item, k, ctx, topLevel) : longVolume(item, k, ctx, topLevel);
  });
}

function shortVolume(spec: string, key: string, ctx: ComposeContext, topLevel: Record<string, unknown>): ComposeMount {
  const parts = spec.split(':');
  if (parts.length === 1) return { type: 'volume', target: containerPath(parts[0], key), read_only: false };
  if (parts.length > 3) throw new ComposeFileError(key, `"${spec}" is not SOURCE:TARGET[:MODE]`);
  const [source, target, mode = ''] = parts;
  const modes = mode.split(',').filter((m) => m !== '');
  const mount: ComposeMount = isFilePath(source)
    ? { type: 'bind', source: hostPath(source, ctx), target: containerPath(target, key), read_only: false, create_host_path: true }
    : { type: 'volume', source: volumeName(source, key, ctx.project, topLevel), target: containerPath(target, key), read_only: false };
  for (const m of modes) {
    if (m === 'ro') mount.read_only = true;
    else if (m === 'rw') mount.read_only = false;
    else if (m === 'nocopy' && mount.type === 'volume') mount.nocopy = true;
    else if (['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'].includes(m) && mount.type === 'bind') mount.propagation = m;
    else if (!['z', 'Z', 'consistent', 'cached', 'delegated'].includes(m)) throw new ComposeFileError(key, `unknown mode "${m}" in "${spec}"`);
  }
  return mount;
}

function longVolume(item: unknown, key: string, ctx: ComposeContext, topLevel: Record<string, unknown>): ComposeMount {
  const rec = asRecord(item);
  if (!rec) throw new ComposeFileError(key, 'must be a string or a mapping with type, source and target');
  const type = rec['type'] ?? 'volume';
  const target = containerPath(optString(rec['target'], `${key}.target`) ?? '', `${key}.target`);
  const source = optString(rec['source'], `${key}.source`);
  const readOnly = rec['read_only'] === true;
  if (type === 'bind') {
    if (!source) throw new ComposeFileError(`${key}.source`, 'required for a bind mount');
    const bind = asRecord(rec['bind']) ?? {};
    const mount: ComposeMount = { type: 'bind', source: hostPath(source, ctx), target, read_only: readOnly, create_host_path: bind['create_host_path'] === true };
    if (typeof bind['propagation'] === 'string') mount.propagation = bind['propagation'];
    return mount;
  }
  if (type === 'volume') {
    const mount: ComposeMount = { type: 'volume', target, read_only: readOnly };
    if (source) mount.source = volumeName(source, `${key}.source`, ctx.project, topLevel);
    if (asRecord(rec['volume'])?.['nocopy'] === true) mount.nocopy = true;
    return mount;
  }
  if (type === 'tmpfs') {
    const mount: ComposeMount = { type: 'tmpfs', target, read_only: readOnly };
    const size = asRecord(rec['tmpfs'])?.['size'];
    if (size !== undefined) mount.tmpfs_size_bytes = parseBytes(size, `${key}.tmpfs.size`);
    return mount;
  }
  throw new ComposeFileError(`${key}.type`, `"${String(type)}" is not supported (bind, volume or tmpfs)`);
}

function isFilePath(source: string): boolean {
  return source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
}

function hostPath(source: string, ctx: ComposeContext): string {
  if (source === '~' || source.startsWith('~/')) return path.join(ctx.env['HOME'] ?? '/', source.slice(1));
  return path.resolve(ctx.dir, source);
}

function containerPath(target: string, key: string): string {
  if (!target.startsWith('/')) throw new ComposeFileError(key, `"${target}" must be an absolute path inside the container`);
  return target;
}

/** The Engine name of a named volume, as compose names it. */
function volumeName(source: string, key: string, project: string, topLevel: Record<string, unknown>): string {
  if (!(source in topLevel)) throw new ComposeFileError(key, `refers to volume "${source}", which the top-level volumes: does not declare`);
  return declaredName(source, project, asRecord(topLevel[source]));
}

/** `name:` if given; the key itself for an external resource; else `<project>_<key>`. */
function declaredName(keyName: string, project: string, decl: Record<string, unknown> | undefined): string {
  if (typeof decl?.['name'] === 'string') return decl['name'];
  const external = decl?.['external'];
  if (external === true) return keyName;
  const externalName = asRecord(external)?.['name'];
  if (typeof externalName === 'string') return externalName;
  return `${project}_${keyName}`;
}

export function parseNetworks(value: unknown, key: string, project: string, topLevel: Record<string, unknown>): ComposeNetworkAttachment[] {
  const entries: Array<[string, unknown]> =
    value === undefined || value === null
      ? [['default', null]]
      : Array.isArray(value)
        ? value.map((v, i) => [scalar(v, `${key}[${i}]`), null])
        : Object.entries(asRecord(value) ?? throwError(new ComposeFileError(key, 'must be a list or a mapping')));
  return entries.map(([name, opts]) => {
    if (name !== 'default' && !(name in topLevel)) {
      throw new ComposeFileError(`${key}.${name}`, `refers to network "${name}", which the top-level networks: does not declare`);
    }
    const o = asRecord(opts) ?? {};
    const decl = asRecord(topLevel[name]);
    const att: ComposeNetworkAttachment = {
      key: name,
      external: decl?.['external'] !== undefined && decl['external'] !== false,
      network: declaredName(name, project, decl),
      aliases: Array.isArray(o['aliases']) ? o['aliases'].map((a, i) => scalar(a, `${key}.${name}.aliases[${i}]`)) : [],
    };
    if (typeof o['ipv4_address'] === 'string') att.ipv4_address = o['ipv4_address'];
    if (typeof o['ipv6_address'] === 'string') att.ipv6_address = o['ipv6_address'];
    return att;
  });
}
