#!/usr/bin/env node
// `npm run chaos`: builds (tsc) and runs the chaos soak (dist/bench/chaos/main.js), e.g.
// `npm run chaos -- --minutes 30 --seed 7`; `--no-build` skips the tsc step (dist/ is current).
// See bench/chaos/args.ts for the arguments and docs/reliability.md for what it checks.
'use strict';

const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { buildUnlessSkipped } = require('./tsc-build');

const root = path.resolve(__dirname, '..');
process.chdir(root);
const rest = buildUnlessSkipped(process.argv.slice(2), 'run-chaos');
const r = spawnSync(process.execPath, [path.join(root, 'dist', 'bench', 'chaos', 'main.js'), ...rest], { stdio: 'inherit' });
process.exit(r.status ?? 1);
