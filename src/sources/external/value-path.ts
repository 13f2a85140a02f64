// Pure: a number out of a parsed JSON answer by a dotted path (`queue.pending`, `items.0.count`),
// as KEDA's metrics-api `valueLocation`. A missing path or a value that is not a finite number
// (numeric strings are accepted, as many APIs quote numbers) is an error naming the path.

export type PathResult = { ok: true; value: number } | { ok: false; problem: string };

export function numberAt(doc: unknown, valuePath: string): PathResult {
  const parts = valuePath === '' ? [] : valuePath.split('.');
  let cur: unknown = doc;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const here = parts.slice(0, i + 1).join('.');
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part)) return { ok: false, problem: `'${here}': '${part}' is not an index into an array of ${cur.length}` };
      if (Number(part) >= cur.length) return { ok: false, problem: `'${here}' is missing: the array has ${cur.length} element(s)` };
      cur = cur[Number(part)];
    } else if (cur !== null && typeof cur === 'object') {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) {
        const keys = Object.keys(cur).slice(0, 8).join(', ');
        return { ok: false, problem: `'${here}' is missing (keys there: ${keys || 'none'})` };
      }
      cur = (cur as Record<string, unknown>)[part];
    } else {
      return { ok: false, problem: `'${here}' is missing: '${parts.slice(0, i).join('.') || '(the answer)'}' is ${describe(cur)}, not an object` };
    }
  }
  const where = valuePath === '' ? 'the answer' : `'${valuePath}'`;
  if (typeof cur === 'number' && Number.isFinite(cur)) return { ok: true, value: cur };
  if (typeof cur === 'string' && cur.trim() !== '' && Number.isFinite(Number(cur))) return { ok: true, value: Number(cur) };
  return { ok: false, problem: `${where} is ${describe(cur)}, not a number` };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}
