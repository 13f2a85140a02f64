#!/usr/bin/env node
// Opt-in durability tests against the production Temporal server (go.temporal.io/server at the
// version docker-compose.temporal.yaml pins) on the local PostgreSQL, instead of the dev server:
//   1. test/temporal-postgres/nats-multi-process.e2e.ts (worker killed with SIGKILL mid scale-out) on it;
//   2. test/temporal-postgres/server-restart.e2e.ts (worker AND server killed with SIGKILL).
// The first run builds the server from source through the Go module proxy into
// ~/.cache/docktor/temporal-server-v<version>/ (long: see docs/operations.md); later runs reuse it.
//
//   node scripts/test-temporal-postgres.js [--no-build]
// Needs: Go (for the first build), PostgreSQL at PGHOST:PGPORT (default 127.0.0.1:5432) whose
// PGUSER (default postgres) may create databases, NATS as for `npm test`.
'use strict';

const { spawnSync } = require('node:child_process');
const { mkdtempSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.chdir(root);
const DIST = path.join(root, 'dist');
const say = (line) => process.stderr.write(`test-temporal-postgres: ${line}\n`);

async function main() {
  if (!process.argv.includes('--no-build')) {
    const r = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { stdio: 'inherit' });
    if (r.status !== 0) return r.status || 1;
  }
  const { findTemporalServer, startTemporalPostgres } = require(path.join(DIST, 'test/harness/temporal-postgres.js'));
  const { findNats } = require(path.join(DIST, 'src/dev/nats.js'));
  const build = await findTemporalServer(say);
  const t = Date.now();
  const server = await startTemporalPostgres(build, { workDir: mkdtempSync(path.join(os.tmpdir(), 'docktor-temporal-pg-')), dbPrefix: 'docktor_e2e_shared' });
  say(`temporal-server ${build.version} on PostgreSQL at ${server.address} (ready in ${((Date.now() - t) / 1000).toFixed(1)} s)`);
  const nats = await findNats();
  try {
    const env = { ...process.env, DOCKTOR_TEST_TEMPORAL_ADDRESS: server.address, DOCKTOR_TEST_TEMPORAL_NAMESPACE: server.namespace, NATS_URL: nats.url };
    const files = ['test/temporal-postgres/nats-multi-process.e2e.js', 'test/temporal-postgres/server-restart.e2e.js'].map((f) => path.join(DIST, f));
    const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', env });
    return r.status ?? 1;
  } finally {
    await server.stop();
    if (nats.started) await nats.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    say(err instanceof Error ? err.stack || err.message : String(err));
    process.exit(1);
  },
);
