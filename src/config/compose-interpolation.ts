// Variables in a compose file, as `docker compose` substitutes them before reading the file:
// `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`,
// `${VAR:+alt}`, `${VAR+alt}`, and `$$` for a literal `$`. Plus the `.env` / `env_file` format.
// Pure: the variables are passed in.

export type Variables = Readonly<Record<string, string | undefined>>;

export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Substitutes variables in one string; throws InterpolationError for `${VAR:?message}` when VAR is unset. */
export function interpolate(text: string, vars: Variables): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      out += '$';
      i += 2;
    } else if (next === '{') {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new InterpolationError(`unclosed "\${" in "${text}"`);
      out += substitute(text.slice(i + 2, end), vars);
      i = end + 1;
    } else {
      const m = NAME.exec(text.slice(i + 1));
      if (m) {
        out += vars[m[0]] ?? '';
        i += 1 + m[0].length;
      } else {
        out += '$';
        i++;
      }
    }
  }
  return out;
}

/** The `}` that closes a `${`, allowing nested `${...}` in defaults. */
function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === '$' && text[j + 1] === '{') {
      depth++;
      j++;
    } else if (text[j] === '}') {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function substitute(expr: string, vars: Variables): string {
  const m = NAME.exec(expr);
  if (!m) throw new InterpolationError(`invalid variable "\${${expr}}"`);
  const name = m[0];
  const rest = expr.slice(name.length);
  const value = vars[name];
  if (rest === '') return value ?? '';
  const op = /^(:?[-?+])/.exec(rest);
  if (!op) throw new InterpolationError(`invalid variable "\${${expr}}"`);
  const arg = () => interpolate(rest.slice(op[1].length), vars);
  // With a colon, an empty value counts as unset.
  const unset = op[1].startsWith(':') ? value === undefined || value === '' : value === undefined;
  switch (op[1].slice(-1)) {
    case '-':
      return unset ? arg() : (value ?? '');
    case '+':
      return unset ? '' : arg();
    default: {
      if (unset) throw new InterpolationError(`${name}: ${arg() || 'required variable is not set'}`);
      return value ?? '';
    }
  }
}

/** Interpolates every string in a parsed YAML tree (values only, not keys). */
export function interpolateTree(node: unknown, vars: Variables): unknown {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((n) => interpolateTree(n, vars));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, vars);
    return out;
  }
  return node;
}

/**
 * A `.env` or `env_file` file: `KEY=VALUE` lines, `#` comments, an optional `export ` prefix,
 * single quotes taken literally, double quotes with `\n`-style escapes, and a `KEY` alone meaning
 * "take it from the environment" (returned as undefined).
 */
export function parseEnvFile(text: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    if (eq < 0) {
      env[body] = undefined;
      continue;
    }
    const key = body.slice(0, eq).trim();
    env[key] = unquote(body.slice(eq + 1).trim());
  }
  return env;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t' };

function unquote(v: string): string {
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2) {
    const end = v.indexOf(q, 1);
    if (end > 0) {
      const inner = v.slice(1, end);
      return q === "'" ? inner : inner.replace(/\\([nrt"\\])/g, (_, e: string) => ESCAPES[e] ?? e);
    }
  }
  // Unquoted: an inline comment starts at " #".
  const hash = v.indexOf(' #');
  return (hash >= 0 ? v.slice(0, hash) : v).trim();
}
