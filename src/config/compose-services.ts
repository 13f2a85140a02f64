// Services described beside their compose service: `x-docktor:` on a compose service holds that
// service's docktor settings (a service entry without `name`: the name is the compose service's).
// Read synchronously with the config file; values are interpolated like the rest of the compose
// file (`${VAR}` from the environment and the `.env` file beside it).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { InputError, type FieldIssue } from '../errors';
import { interpolate, parseEnvFile, type Variables } from './compose-interpolation';
import { toFieldIssues } from './issues';
import { ServiceSchema, type ServiceConfig } from './service';

const X_DOCKTOR = 'x-docktor';

/**
 * The services a compose file describes with `x-docktor:`, in file order, validated. None when the
 * file does not exist (config validate reports that) or has no `x-docktor`. InputError (exit 2)
 * naming the compose file, the service and the field otherwise.
 */
export function composeXDocktorServices(composeFile: string, env: Variables): ServiceConfig[] {
  let text: string;
  try {
    text = fs.readFileSync(composeFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new InputError(composeFile, [{ path: '', message: `cannot read the compose file (compose_file): ${(e as Error).message}` }]);
  }
  if (!text.includes(X_DOCKTOR)) return [];
  const label = composeFile;
  const doc = YAML.parseDocument(text, { merge: true });
  if (doc.errors.length > 0) throw new InputError(label, [{ path: '', message: `YAML syntax error: ${doc.errors[0]!.message.split('\n')[0]}` }]);
  const services = asRecord(asRecord(doc.toJS())?.services) ?? {};
  const vars = { ...dotEnv(path.dirname(composeFile)), ...Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)) };
  const issues: FieldIssue[] = [];
  const out: ServiceConfig[] = [];
  for (const [name, definition] of Object.entries(services)) {
    const raw = asRecord(definition)?.[X_DOCKTOR];
    if (raw === undefined) continue;
    const at = ['services', name, X_DOCKTOR];
    const where = at.join('.');
    let settings: unknown;
    try {
      settings = interpolateTyped(raw, vars);
    } catch (e) {
      issues.push({ path: where, message: (e as Error).message });
      continue;
    }
    const record = asRecord(settings);
    if (!record) {
      issues.push({ path: where, message: 'must be a mapping of service settings (max_replicas, queue, …)' });
      continue;
    }
    if (record.name !== undefined) {
      issues.push({ path: `${where}.name`, message: `leave it out: the service is the compose service "${name}"` });
      continue;
    }
    const parsed = ServiceSchema.safeParse({ name, ...record }, { reportInput: true });
    if (parsed.success) out.push(parsed.data);
    else issues.push(...toFieldIssues(parsed.error, at));
  }
  if (issues.length > 0) throw new InputError(label, issues);
  return out;
}

/**
 * Interpolates every string; a string that a variable changed is read again as a YAML scalar, so
 * `max_replicas: ${MAX:-8}` is the number 8 (compose does the same for its typed fields).
 */
function interpolateTyped(node: unknown, vars: Variables): unknown {
  if (typeof node === 'string') {
    const value = interpolate(node, vars);
    if (value === node) return value;
    const typed: unknown = YAML.parse(value);
    return typeof typed === 'number' || typeof typed === 'boolean' ? typed : value;
  }
  if (Array.isArray(node)) return node.map((n) => interpolateTyped(n, vars));
  if (node !== null && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateTyped(v, vars)]));
  return node;
}

function dotEnv(dir: string): Record<string, string> {
  try {
    const vars = parseEnvFile(fs.readFileSync(path.join(dir, '.env'), 'utf8'));
    return Object.fromEntries(Object.entries(vars).filter((e): e is [string, string] => e[1] !== undefined));
  } catch {
    return {};
  }
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}
