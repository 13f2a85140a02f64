#!/usr/bin/env node
// `npm run chaos`: builds (tsc) and runs the chaos soak (dist/bench/chaos/main.js), e.g.
// `npm run chaos -- --minutes 30 --seed 7`; `--no-build` skips the tsc step (dist/ is current).
// See bench/chaos/args.ts for the arguments and docs/reliability.md for what it checks.
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.chdir(root);

const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const rest = args.filter((a) => a !== '--no-build');

if (build) {
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`run-chaos: tsc failed (exit ${r.status ?? r.signal}): fix the type errors above\n`);
    process.exit(r.status || 1);
  }
}

const r = spawnSync(process.execPath, [path.join(root, 'dist', 'bench', 'chaos', 'main.js'), ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
