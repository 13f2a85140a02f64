#!/usr/bin/env node
// `npm run bench`: builds (tsc) and runs the compiled benchmarks (dist/bench/main.js), which print
// docs/benchmarks.md and write it with the SVG plots in docs/bench/. Arguments go to the
// benchmarks, e.g. `npm run bench -- --parts quality,speed` or `--fleet-sizes 50 --fleet-seconds 20`;
// `--no-build` skips the tsc step (dist/ is current).
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { buildUnlessSkipped } = require('./tsc-build');

const root = path.resolve(__dirname, '..');
process.chdir(root);
const rest = buildUnlessSkipped(process.argv.slice(2), 'run-bench');

const r = spawnSync(process.execPath, ['--expose-gc', path.join(root, 'dist', 'bench', 'main.js'), ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
