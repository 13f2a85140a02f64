// The build step the `npm run` launchers share (run-bench.js, run-chaos.js): tsc on the project
// unless `--no-build` is among the arguments; returns the other arguments.
'use strict';

const { spawnSync } = require('node:child_process');

/** Builds (or exits with tsc's status, naming `who`) and returns `args` without `--no-build`. */
function buildUnlessSkipped(args, who) {
  const rest = args.filter((a) => a !== '--no-build');
  if (rest.length === args.length) {
    const started = Date.now();
    const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
    if (r.status !== 0) {
      process.stderr.write(`${who}: tsc failed (exit ${r.status ?? r.signal}): fix the type errors above\n`);
      process.exit(r.status || 1);
    }
    process.stderr.write(`${who}: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
  return rest;
}

module.exports = { buildUnlessSkipped };
