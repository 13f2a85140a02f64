// What a user gets from `npm pack`: the tarball holds what docktor runs (bin, dist/src, the
// declarations, README, docs, examples) and nothing of the repository's own (tests, benchmarks,
// scripts, sources, local folders); installed in an empty folder from it, `docktor --help`,
// `docktor config validate` and `docktor simulate` work. Issue 26: the pack held 1,029 files.
// Packs dist as the test run built it (--ignore-scripts: `prepare` would build it again);
// installs from the warm npm cache (--prefer-offline).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = process.cwd();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-packed-'));
const app = path.join(dir, 'app');

interface Pack {
  filename: string;
  entryCount: number;
  files: Array<{ path: string }>;
}

interface Manifest {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, { types?: string; default?: string } | string>;
}

async function docktor(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKTOR_STATE_DIR: path.join(app, 'state') };
  delete env.DOCKTOR_CONFIG;
  try {
    const r = await run('npx', ['--no-install', 'docktor', ...args], { cwd: app, env, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? String(e) };
  }
}

after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('npm pack, installed in an empty folder', () => {
  it('packs only what a user runs, and the installed CLI answers --help, config validate and simulate', { timeout: 240_000 }, async () => {
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 16 << 20 });
    const [pack] = JSON.parse(packed.stdout) as Pack[];
    assert.ok(pack);
    const files = pack.files.map((f) => f.path);
    const stray = files.filter((f) => !/^(bin\/|dist\/src\/|dist\/types\/|docs\/|examples\/|README\.md$|package\.json$|LICENSE)/.test(f));
    assert.deepEqual(stray, [], 'nothing of the repository itself (test/, bench/, scripts/, src/, dist/test/, local folders)');
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
    const exported = Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : [e.types, e.default]));
    for (const needed of [manifest.main, manifest.types, ...Object.values(manifest.bin), ...exported, 'dist/src/cli/main.js', 'dist/src/workflows/index.js', 'README.md', 'docs/operations.md', 'examples/nats-multi/docktor.yaml']) {
      if (needed === undefined) continue;
      const file = path.normalize(needed);
      assert.ok(files.includes(file), `${file} is in the tarball (build with npm run build if dist/ is missing)`);
    }
    assert.ok(pack.entryCount < 600, `${pack.entryCount} files`);

    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'uses-docktor', private: true }));
    await run('npm', ['install', path.join(dir, pack.filename), '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app, timeout: 180_000, maxBuffer: 16 << 20 });
    assert.equal(fs.existsSync(path.join(app, 'node_modules', 'docktor', 'test')), false);

    const help = await docktor(['--help']);
    assert.equal(help.code, 0, help.err);
    assert.match(help.out, /^Usage: docktor /);
    assert.match(help.out, /simulate/);

    fs.writeFileSync(
      path.join(app, 'docktor.yaml'),
      `version: "1"
project: packed
services:
  - name: web
    max_replicas: 4
    check_interval: 5
    rules:
      scale_up_when: [{ metric: cpu.avg_pct, op: ">", value: 75 }]
      scale_down_when: [{ metric: cpu.avg_pct, op: "<", value: 20 }]
    runtime: { kind: process, command: [node, web.js] }
`,
    );
    const validate = await docktor(['config', 'validate']);
    assert.equal(validate.code, 0, validate.out + validate.err);
    assert.match(validate.out, /^✓ Config docktor\.yaml is valid \(1 service\(s\), project 'packed'\)$/m);
    assert.match(validate.out, /^✓ Program 'node' is executable/m);
    assert.match(validate.out, /^All checks passed!$/m);

    fs.writeFileSync(path.join(app, 'trace.txt'), '1\n5\n20\n20\n5\n1\n');
    const sim = await docktor(['simulate', '--service', 'web', '--trace', 'trace.txt', '--json']);
    assert.equal(sim.code, 0, sim.err);
    const figures = JSON.parse(sim.out) as { messages: number; duration_s: number };
    assert.deepEqual([figures.messages, figures.duration_s], [52, 6]);
  });
});
