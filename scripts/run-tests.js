#!/usr/bin/env node
// `npm test`: builds, starts the real services once (Temporal dev server in memory, NATS
// JetStream, a Docker engine), runs every compiled test file with Node's runner (unit, then
// integration, then e2e), stops what it started and exits with the runner's code.
//
//   npm test                       all tests
//   npm test -- smoke config       only files whose path contains "smoke" or "config"
//   npm test -- test/unit/x.test.ts
//   npm test -- --no-build         skip the tsc step (dist/ is current)
//   npm test -- --test-name-pattern=foo   also --test-only, --test-timeout=MS, --test-reporter=spec|tap|dot
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, rmSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
process.chdir(root);
const DIST = path.join(root, 'dist');
const KIND_ORDER = ['unit', 'integration', 'e2e'];
/** Safety net so one hung test file cannot eat CI's whole time budget (each file should take seconds). */
const PER_FILE_TIMEOUT_MS = 10 * 60_000;

const KNOWN_TEST_FLAGS = ['--test-name-pattern', '--test-only', '--test-timeout', '--test-reporter'];

function say(line) {
  process.stderr.write(`run-tests: ${line}\n`);
}

function parseArgs(argv) {
  const filters = [];
  const nodeTestFlags = [];
  let build = true;
  for (const arg of argv) {
    if (arg === '--no-build') build = false;
    else if (arg.startsWith('--test')) {
      if (!KNOWN_TEST_FLAGS.includes(arg.split('=')[0])) {
        say(`unsupported flag ${arg} (known: ${KNOWN_TEST_FLAGS.join(', ')})`);
        process.exit(2);
      }
      nodeTestFlags.push(arg);
    }
    else filters.push(arg.replace(/^\.\//, ''));
  }
  return { filters, nodeTestFlags, build };
}

function build() {
  const tsc = require.resolve('typescript/bin/tsc');
  const started = Date.now();
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
  if (r.status !== 0) {
    say(`tsc failed (exit ${r.status ?? r.signal}): fix the type errors above`);
    process.exit(r.status || 1);
  }
  say(`built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Compiled test files whose .ts source still exists (dist/ may hold files of deleted tests). */
function testFiles() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.js')) {
        const source = path.relative(DIST, full).replace(/\.js$/, '.ts');
        if (existsSync(path.join(root, source))) found.push({ file: full, source: source.split(path.sep).join('/') });
      }
    }
  };
  if (existsSync(path.join(DIST, 'test'))) walk(path.join(DIST, 'test'));
  const rank = (t) => {
    const kind = t.source.split('/')[1];
    const i = KIND_ORDER.indexOf(kind);
    return i === -1 ? KIND_ORDER.length : i;
  };
  return found.sort((a, b) => rank(a) - rank(b) || a.source.localeCompare(b.source));
}

function matches(t, filters) {
  if (filters.length === 0) return true;
  return filters.some((f) => {
    const asSource = f.replace(/^dist\//, '').replace(/\.js$/, '.ts');
    return t.source.includes(asSource) || t.source.includes(f);
  });
}

const started = [];

async function startServices(env) {
  const { startDevServer } = require(path.join(DIST, 'src/dev/temporal-server.js'));
  const { findNats } = require(path.join(DIST, 'src/dev/nats.js'));
  const { dockerHarness } = require(path.join(DIST, 'test/harness/docker.js'));
  const timed = async (name, start) => {
    const t = Date.now();
    const value = await start();
    say(`${name} ready in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return value;
  };
  const results = await Promise.allSettled([
    process.env.DOCKTOR_TEST_TEMPORAL_ADDRESS
      ? Promise.resolve(undefined)
      : timed('Temporal dev server', () => startDevServer({ port: 0, ui: false })),
    timed('NATS', () => findNats()),
    timed('Docker', () => dockerHarness()),
  ]);
  const [temporal, nats, docker] = results;
  if (temporal.status === 'fulfilled' && temporal.value) {
    started.push(temporal.value);
    env.DOCKTOR_TEST_TEMPORAL_ADDRESS = temporal.value.address;
    env.DOCKTOR_TEST_TEMPORAL_NAMESPACE = temporal.value.namespace;
    say(`Temporal dev server at ${temporal.value.address}`);
  }
  if (nats.status === 'fulfilled') {
    if (nats.value.started) started.push(nats.value);
    env.NATS_URL = nats.value.url;
    say(`NATS at ${nats.value.url}`);
  }
  // A dockerd we started is NOT stopped at the end: it is detached on purpose so that later runs
  // and test files run one by one reuse it (and its images) instead of starting another.
  if (docker.status === 'fulfilled') {
    env.DOCKER_HOST = docker.value.dockerHost;
    say(`Docker at ${docker.value.dockerHost}`);
  }
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length > 0) {
    for (const f of failed) say(`cannot start a test service: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}`);
    return false;
  }
  return true;
}

async function stopServices() {
  const all = started.splice(0);
  await Promise.allSettled(all.map((s) => s.stop()));
}

/** Containers the tests labelled and did not remove (a test that crashed half-way). */
async function removeLeftoverContainers() {
  try {
    const { dockerHarness, TEST_LABEL } = require(path.join(DIST, 'test/harness/docker.js'));
    const { docker } = await dockerHarness();
    const left = await docker.listContainers({ all: true, filters: { label: [TEST_LABEL] } });
    await Promise.allSettled(left.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    if (left.length > 0) say(`removed ${left.length} leftover test container(s)`);
  } catch {
    // best effort
  }
}

let abortTests;

// Ctrl-C or a CI kill: cancel the tests, then stop the services we started.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (abortTests) abortTests.abort();
    else stopServices().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/**
 * Node's runner through its API rather than `node --test FILES`: the CLI sorts the files by name,
 * and we want unit before integration before e2e, with one closing summary for the whole run.
 * Each file still runs in its own process, one at a time, with the environment set here.
 */
function runNodeTest(files, flags, env) {
  const { run } = require('node:test');
  const reporters = require('node:test/reporters');
  const options = { files, concurrency: 1, timeout: PER_FILE_TIMEOUT_MS };
  let reporterName = process.stdout.isTTY ? 'spec' : 'tap';
  for (const flag of flags) {
    const [name, value] = flag.split('=', 2);
    if (name === '--test-name-pattern') (options.testNamePatterns ??= []).push(value);
    else if (name === '--test-only') options.only = true;
    else if (name === '--test-timeout') options.timeout = Number(value);
    else if (name === '--test-reporter') reporterName = value;
  }
  const reporter = reporterName === 'tap' ? reporters.tap : new reporters[reporterName]();
  Object.assign(process.env, env); // the runner gives its file processes our environment
  abortTests = new AbortController();
  options.signal = abortTests.signal;
  return new Promise((resolve) => {
    let failures = 0;
    const stream = run(options);
    stream.on('test:fail', (data) => {
      if (!data.todo) failures++;
    });
    const out = stream.compose(reporter);
    out.pipe(process.stdout, { end: false });
    out.on('end', () => {
      abortTests = undefined;
      resolve(failures > 0 || options.signal.aborted ? 1 : 0);
    });
  });
}

async function main() {
  const { filters, nodeTestFlags, build: doBuild } = parseArgs(process.argv.slice(2));
  if (doBuild) build();
  const selected = testFiles().filter((t) => matches(t, filters));
  if (selected.length === 0) {
    say(filters.length ? `no test file matches ${filters.join(', ')}` : 'no test files found under dist/test');
    return 1;
  }
  const env = { ...process.env };
  // Process pools and traffic recordings of tests that name no state directory of their own go
  // to one of this run, removed at the end, never to the machine's (/var/lib/docktor as root).
  let stateDir;
  if (!env.DOCKTOR_STATE_DIR) env.DOCKTOR_STATE_DIR = stateDir = mkdtempSync(path.join(os.tmpdir(), 'docktor-test-state-'));
  const needsServices = selected.some((t) => !t.source.startsWith('test/unit/'));
  const t0 = Date.now();
  try {
    if (needsServices && !(await startServices(env))) return 1;
    say(`running ${selected.length} test file(s): ${selected.map((t) => t.source).join(' ')}`);
    const code = await runNodeTest(selected.map((t) => t.file), nodeTestFlags, env);
    say(`tests finished in ${((Date.now() - t0) / 1000).toFixed(1)} s with exit code ${code}`);
    return code;
  } finally {
    await stopServices();
    if (needsServices) await removeLeftoverContainers();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    say(err instanceof Error ? err.stack || err.message : String(err));
    stopServices().finally(() => process.exit(1));
  },
);
