// Imports in src/ run one way (docs/architecture.md, "Code map"): no cycle between files, and none
// between the folders right under src/ (workflows <-> activities is a cycle even when no two files
// form one). Relative imports count, type-only ones included: a reader follows them too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';

const SRC = path.join(process.cwd(), 'src');
const IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  return [`${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f));
}

/** The cycles of a graph, one per strongly connected component of more than one node (Tarjan). */
function cycles(edges: Map<string, Set<string>>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1) out.push(part.sort());
    }
  };
  for (const v of edges.keys()) if (!idx.has(v)) visit(v);
  return out;
}

it('src/ has no import cycle between files or between its folders', () => {
  const files = new Map<string, Set<string>>();
  const folders = new Map<string, Set<string>>();
  const top = (f: string) => path.relative(SRC, f).split(path.sep)[0]!;
  for (const f of sources(SRC)) {
    const rel = path.relative(SRC, f);
    files.set(rel, files.get(rel) ?? new Set());
    for (const [, spec] of fs.readFileSync(f, 'utf8').matchAll(IMPORT)) {
      const target = resolve(f, spec!);
      if (!target) continue;
      files.get(rel)!.add(path.relative(SRC, target));
      if (top(f) !== top(target)) {
        if (!folders.has(top(f))) folders.set(top(f), new Set());
        folders.get(top(f))!.add(top(target));
      }
    }
  }
  assert.ok(files.size > 100, `read ${files.size} files under ${SRC}`);
  assert.deepEqual(cycles(files), [], 'files that import each other (directly or around a loop)');
  assert.deepEqual(cycles(folders), [], 'folders of src/ that import each other');
});
