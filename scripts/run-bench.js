#!/usr/bin/env node
// `npm run bench`: builds (tsc) and runs the compiled benchmarks (dist/bench/main.js), which print
// docs/benchmarks.md and write it with the SVG plots in docs/bench/. Arguments go to the
// benchmarks, e.g. `npm run bench -- --parts quality,speed` or `--fleet-sizes 50 --fleet-seconds 20`;
// `--no-build` skips the tsc step (dist/ is current).
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.chdir(root);

const args = process.argv.slice(2);
const build = !args.includes('--no-build');
const rest = args.filter((a) => a !== '--no-build');

if (build) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`run-bench: tsc failed (exit ${r.status ?? r.signal}): fix the type errors above\n`);
    process.exit(r.status || 1);
  }
  process.stderr.write(`run-bench: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

const r = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'dist', 'bench', 'main.js'), ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
