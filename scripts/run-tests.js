#!/usr/bin/env node
// `npm test`: builds, starts the real services once (Temporal dev server in memory, NATS
// JetStream, a Docker engine), runs every compiled test file with Node's runner (unit, two at a
// time; then integration, then e2e, one at a time, with the few long waiting files of ALONGSIDE
// in a second lane beside them), prints the slowest files, stops what it started and exits with
// the runner's code.
//
//   npm test                       all tests
//   npm test -- smoke config       only files whose path contains "smoke" or "config"
//   npm test -- test/unit/x.test.ts
//   npm test -- --no-build         skip the tsc step (dist/ is current)
//   npm test -- --test-name-pattern=foo   also --test-only, --test-timeout=MS, --test-reporter=spec|tap|dot
//   DOCKTOR_TEST_TIMES=FILE npm test      also writes every file's seconds to FILE
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
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
/** Wall seconds of each test file run, for the closing list of the slowest. */
const fileTimes = [];
/** Seconds the top-level tests of each file took: the rest of a file's time is starting, hooks and exiting. */
const testSeconds = new Map();

// Ctrl-C or a CI kill: cancel the tests, then stop the services we started.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (abortTests) abortTests.abort();
    else stopServices().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/**
 * How many files of a kind run at once. Unit files are pure (no server, no fixed port or path):
 * two at a time, one a core. Integration and e2e files share the services started here, and many
 * of them time what those do: one at a time.
 */
const CONCURRENCY = { unit: 2 };

/**
 * Files that run one after another in a second lane, beside the integration and e2e files, their
 * output printed after the others'. Each spends minutes waiting on a clock (a fault schedule,
 * bursts of jobs, cooldowns), not on the CPU (the chaos soak: 50 s of CPU in 340 s), and keeps to
 * names of its own: the chaos soak brings its own Temporal, NATS and state directory; the others
 * use a random project (so task queue), NATS stream, key prefix, Redis databases no other file
 * uses, and Compose project labels of their own.
 */
const ALONGSIDE = ['test/e2e/chaos.test.ts', 'test/e2e/laravel-example.test.ts', 'test/e2e/redis-frameworks.test.ts', 'test/e2e/nats-multi-compose.test.ts'];

const kindOf = (t) => t.source.split('/')[1];

/**
 * The selected files as lanes of groups: the groups of a lane run one after another (each one
 * `run()` of Node's runner with its own concurrency), the lanes at the same time.
 */
function lanes(selected) {
  const beside = selected.filter((t) => ALONGSIDE.includes(t.source)).sort((a, b) => ALONGSIDE.indexOf(a.source) - ALONGSIDE.indexOf(b.source));
  const main = selected.filter((t) => !ALONGSIDE.includes(t.source));
  const groups = (files) => {
    const out = [];
    for (const t of files) {
      const last = out.at(-1);
      if (last && last.kind === kindOf(t)) last.files.push(t.file);
      else out.push({ kind: kindOf(t), files: [t.file], concurrency: CONCURRENCY[kindOf(t)] ?? 1 });
    }
    return out;
  };
  return [groups(main), groups(beside)].filter((lane) => lane.length > 0);
}

const SUMMARY = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/;

/**
 * The events of every lane as if one `run()` had made them: the first lane's as they come, the
 * others' held back until it ends (a file's events stay together); top-level tests numbered
 * through; each run's closing plan and counts summed into one.
 */
async function* mergedEvents(laneList, runOne, observe) {
  const started = Date.now();
  const totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  let planned = 0;
  let number = 0;
  let held;
  // The other lanes start once the first lane's unit files are done: those time some waits in
  // milliseconds and have both cores to themselves.
  const startHeld = () => {
    if (held) return;
    held = laneList.slice(1).map(async (groups) => {
      const events = [];
      for (const group of groups) {
        for await (const event of runOne(group)) {
          observe(event);
          events.push(event);
        }
      }
      return events;
    });
    for (const lane of held) lane.catch(() => undefined); // awaited (and thrown) below, in order
  };
  const tidy = (event) => {
    const { type, data } = event;
    if (data.nesting === 0 && data.file === undefined) {
      if (type === 'test:plan') {
        planned += data.count;
        return undefined;
      }
      const sum = type === 'test:diagnostic' ? SUMMARY.exec(data.message) : null;
      if (sum) {
        if (sum[1] in totals) totals[sum[1]] += Number(sum[2]);
        return undefined;
      }
    }
    if ((type === 'test:pass' || type === 'test:fail') && data.nesting === 0) return { type, data: { ...data, testNumber: ++number } };
    return event;
  };
  for (const group of laneList[0] ?? []) {
    if (group.kind !== 'unit') startHeld();
    for await (const event of runOne(group)) {
      observe(event);
      const out = tidy(event);
      if (out) yield out;
    }
  }
  startHeld();
  for (const lane of held) {
    for (const event of await lane) {
      const out = tidy(event);
      if (out) yield out;
    }
  }
  yield { type: 'test:plan', data: { nesting: 0, count: planned } };
  for (const [key, value] of Object.entries(totals)) yield { type: 'test:diagnostic', data: { nesting: 0, message: `${key} ${value}` } };
  yield { type: 'test:diagnostic', data: { nesting: 0, message: `duration_ms ${Date.now() - started}` } };
}

/**
 * Node's runner through its API rather than `node --test FILES`: the CLI sorts the files by name,
 * and we want unit before integration before e2e (see lanes()), with one closing summary for the
 * whole run. Each file still runs in its own process, with the environment set here.
 */
function runNodeTest(selected, flags, env) {
  const { run } = require('node:test');
  const { Readable } = require('node:stream');
  const reporters = require('node:test/reporters');
  const options = { timeout: PER_FILE_TIMEOUT_MS };
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
  const files = selected.map((t) => t.file);
  const plan = lanes(selected);
  for (const [i, lane] of plan.entries()) {
    say(`${i === 0 ? 'lane 1' : `lane ${i + 1} (beside lane 1 once its unit files are done; its output after lane 1's)`}: ${lane.map((g) => `${g.files.length} ${g.kind} file(s) ${g.concurrency} at a time`).join(', then ')}`);
  }
  let failures = 0;
  const observe = ({ type, data }) => {
    if (type === 'test:fail' && !data.todo) failures++;
    // The runner wraps each file in a test named by its path: its duration is the file's wall time.
    if (type !== 'test:complete' || data.nesting !== 0) return;
    if (files.includes(data.name)) fileTimes.push({ file: data.name, s: data.details.duration_ms / 1000 });
    else if (data.file) testSeconds.set(data.file, (testSeconds.get(data.file) ?? 0) + data.details.duration_ms / 1000);
  };
  const runOne = (group) => run({ ...options, files: group.files, concurrency: group.concurrency });
  return new Promise((resolve) => {
    const out = Readable.from(mergedEvents(plan, runOne, observe)).compose(reporter);
    out.pipe(process.stdout, { end: false });
    out.on('end', () => {
      abortTests = undefined;
      resolve(failures > 0 || options.signal.aborted ? 1 : 0);
    });
    out.on('error', (err) => {
      say(`the test runner failed: ${err instanceof Error ? err.stack || err.message : String(err)}`);
      resolve(1);
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
    const code = await runNodeTest(selected, nodeTestFlags, env);
    const slowest = [...fileTimes].sort((a, b) => b.s - a.s).slice(0, 15);
    const line = (f) => `${f.s.toFixed(1).padStart(6)} s  (tests ${(testSeconds.get(f.file) ?? 0).toFixed(1).padStart(5)} s)  ${path.relative(DIST, f.file)}`;
    if (slowest.length > 1) say(`slowest files:\n${slowest.map((f) => `  ${line(f)}`).join('\n')}`);
    if (process.env.DOCKTOR_TEST_TIMES) writeFileSync(process.env.DOCKTOR_TEST_TIMES, fileTimes.map(line).join('\n') + '\n');
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
