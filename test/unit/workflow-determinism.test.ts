// Guards the workflow sandbox: code reachable from src/workflows/index.ts may only import
// deterministic modules (no I/O, clocks or Node built-ins), so a careless import cannot break
// replay. Type-only imports are erased and do not count.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import ts from 'typescript';

const ROOT = process.cwd();
const ENTRY = path.join(ROOT, 'src/workflows/index.ts');
// croner: the service schema (loaded by a `set_config` update) checks cron expressions by parsing
// them; a paused Cron has no timers and reads no clock.
const ALLOWED_PACKAGES = new Set(['@temporalio/workflow', '@temporalio/common', 'zod', 'croner']);
/** Source folders and files that are pure by design. */
const ALLOWED_SOURCES = ['src/workflows/', 'src/model/', 'src/decide/', 'src/config/service.ts', 'src/config/policy.ts', 'src/config/queue.ts', 'src/config/runtime.ts', 'src/config/docker-host.ts', 'src/config/external.ts', 'src/config/schedule.ts', 'src/config/extension.ts', 'src/config/events.ts', 'src/config/secret-fields.ts', 'src/config/issues.ts', 'src/observations.ts', 'src/errors.ts', 'src/events/scaling-events.ts', 'src/events/sla-breach.ts', 'src/config/sink-name.ts', 'src/config/recording.ts'];

function runtimeImports(file: string): string[] {
  const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const out: string[] = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      if (ts.isImportDeclaration(st)) {
        const clause = st.importClause;
        if (clause?.isTypeOnly) continue;
        const named = clause?.namedBindings;
        if (clause && !clause.name && named && ts.isNamedImports(named) && named.elements.length > 0 && named.elements.every((e) => e.isTypeOnly)) continue;
      } else if (st.isTypeOnly) continue;
      out.push(st.moduleSpecifier.text);
    }
  }
  // require('...') anywhere (a module loaded on first use) counts as an import.
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require') {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) out.push(arg.text);
      else out.push('<require with a computed name>');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

function resolveLocal(from: string, spec: string): string {
  const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
  for (const candidate of [`${base}.ts`, path.join(base, 'index.ts')]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`${path.relative(ROOT, from)}: cannot resolve ${spec}`);
}

it('workflow code imports only deterministic modules', () => {
  const seen = new Set<string>();
  const problems: string[] = [];
  const queue = [ENTRY];
  while (queue.length) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const rel = path.relative(ROOT, file);
    if (!ALLOWED_SOURCES.some((a) => (a.endsWith('/') ? rel.startsWith(a) : rel === a))) problems.push(`${rel} is reachable from workflow code but not on the deterministic list`);
    for (const spec of runtimeImports(file)) {
      if (spec.startsWith('.')) queue.push(resolveLocal(file, spec));
      else if (!ALLOWED_PACKAGES.has(spec)) problems.push(`${rel} imports '${spec}', which workflow code must not use`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(seen.size >= 4, `walked ${seen.size} files`);
});

it('the guard notices a forbidden import', () => {
  const tmp = path.join(os.tmpdir(), `docktor-guard-probe-${process.pid}.ts`);
  fs.writeFileSync(
    tmp,
    "import fs from 'node:fs';\nimport type { Stats } from 'node:fs';\nexport const x = fs;\nexport type S = Stats;\nexport function later() { return require('node:os'); }\n",
  );
  try {
    assert.deepEqual(runtimeImports(tmp), ['node:fs', 'node:os']);
  } finally {
    fs.unlinkSync(tmp);
  }
});
