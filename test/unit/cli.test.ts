// The CLI's surface: commands, options and exit codes (0 ok, 1 failed, 2 bad usage or input).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli, type CliRun, type CliRunOptions } from '../harness/cli';

function run(args: string[], opts: Partial<CliRunOptions> = {}): Promise<CliRun> {
  return runCli(args, { ...opts, cwd: opts.cwd ?? os.tmpdir() });
}

function tempConfig(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-cli-'));
  fs.writeFileSync(path.join(dir, 'docktor.yaml'), text);
  return dir;
}

const SERVICE = { name: 'worker', min_replicas: 1, max_replicas: 10, rules: { scale_up_when: [{ metric: 'queue.backlog', op: '>', value: 1000 }] } };

describe('docktor CLI', () => {
  it('lists every contract command in --help', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['dev', 'worker', 'up', 'down', 'status', 'explain', 'pause', 'resume', 'override', 'config', 'decide', 'simulate', 'tune']) {
      assert.match(r.out, new RegExp(`^  ${c}\\b`, 'm'), `${c} missing from --help`);
    }
  });

  it('exits 2 on an unknown command, an unknown option or a missing argument', async () => {
    assert.equal((await run(['frobnicate'])).code, 2);
    const opt = await run(['status', '--frob']);
    assert.equal(opt.code, 2);
    assert.match(opt.err, /unknown option '--frob'/);
    assert.equal((await run(['pause'])).code, 2);
    assert.equal((await run([])).code, 2);
  });

  it('exits 2 with the argument named on bad values', async () => {
    const r = await run(['override', 'worker', '--replicas', 'many']);
    assert.equal(r.code, 2);
    assert.match(r.err, /--replicas must be a whole number >= 0, got "many"/);
    const d = await run(['override', 'worker', '--replicas', '2', '--for', 'soon']);
    assert.equal(d.code, 2);
    assert.match(d.err, /--for: "soon" is not a duration; use e\.g\. 90s, 10m, 1h30m/);
    assert.equal((await run(['explain', '--tail', '-3'])).code, 2);
  });

  it('override: exit 2 naming --replicas for a digit string past the safe integers or the hard ceiling, before connecting', async () => {
    const huge = await run(['override', 'worker', '--replicas', '99999999999999999999999', '--force']);
    assert.equal(huge.code, 2);
    assert.match(huge.err, /--replicas must be a whole number >= 0, got "99999999999999999999999"/);
    // No Temporal server answers at this address: the refusal must come first.
    const dir = tempConfig(`temporal: { address: '127.0.0.1:1' }\nservices:\n  - ${JSON.stringify(SERVICE)}\n`);
    const over = await run(['override', 'worker', '--replicas', '101', '--force'], { cwd: dir });
    assert.equal(over.code, 2, over.err);
    assert.match(over.err, /--replicas 101 is above worker's hard ceiling of 100 \(replica_ceiling in .*docktor\.yaml\); --force cannot pass it/);
  });

  it('config validate: exit 2 naming the field on an invalid file, nothing else done', async () => {
    const dir = tempConfig('services:\n  - { name: a, min_replicas: 5, max_replicas: 2, rules: {} }\n');
    const r = await run(['config', 'validate'], { cwd: dir });
    assert.equal(r.code, 2);
    assert.equal(r.err, 'docktor.yaml: services[0].max_replicas: must be >= min_replicas (5)\n');
    assert.equal(r.out, '');
  });

  it('config validate: exit 2 when there is no config file', async () => {
    const r = await run(['config', 'validate'], { cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-empty-')) });
    assert.equal(r.code, 2);
    assert.match(r.err, /no config file: looked for docktor\.yaml and docktor\.yml/);
  });

  it('config schema prints a JSON Schema', async () => {
    const r = await run(['config', 'schema']);
    assert.equal(r.code, 0);
    const schema = JSON.parse(r.out) as { properties: Record<string, unknown> };
    assert.ok(schema.properties.services && schema.properties.temporal);
  });

  it('decide: prints a decision for good input', async () => {
    const input = { now: 1700000000, service: SERVICE, current_replicas: 3, observations: { 'queue.backlog': 2400 } };
    const r = await run(['decide'], { stdin: JSON.stringify(input) });
    assert.equal(r.code, 0, r.err);
    const d = JSON.parse(r.out) as { action: string; target_replicas: number; reason: string };
    assert.equal(d.action, 'scale_up');
    assert.equal(d.target_replicas, 5);
    assert.equal(d.reason, 'queue.backlog 2400 > 1000');
  });

  it('decide: exit 2, the field path, nothing on stdout for bad input', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /^input: not valid JSON/],
      [JSON.stringify({ now: 1, service: { ...SERVICE, min_replicas: 5, max_replicas: 2 }, current_replicas: 1, observations: {} }), /service\.max_replicas: must be >= min_replicas \(5\)/],
      [JSON.stringify({ now: 1, service: SERVICE, current_replicas: -1, observations: {} }), /current_replicas: must be >= 0/],
      [JSON.stringify({ now: 1, service: SERVICE, current_replicas: 1, observations: { 'queue.backlog': 'lots' } }), /observations\.queue\.backlog/],
      [JSON.stringify({ now: 1, service: { ...SERVICE, rules: { scale_up_when: [{ metric: 'x', op: '=>', value: 1 }] } }, current_replicas: 1, observations: {} }), /service\.rules\.scale_up_when\[0\]\.op/],
    ];
    for (const [stdin, pattern] of cases) {
      const r = await run(['decide'], { stdin });
      assert.equal(r.code, 2, stdin);
      assert.equal(r.out, '', stdin);
      assert.match(r.err, pattern, stdin);
    }
  });

  it('control commands: exit 1 with a clear message when Temporal cannot be reached', async () => {
    const dir = tempConfig('temporal: { address: "127.0.0.1:1" }\nservices: [{ name: a, max_replicas: 2, rules: {} }]\n');
    const r = await run(['status'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('the installed bin runs as a real process with the same exit codes', () => {
    const bin = path.join(process.cwd(), 'bin', 'docktor.js');
    const ok = spawnSync(process.execPath, [bin, '--version'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^\d+\.\d+\.\d+/);
    const bad = spawnSync(process.execPath, [bin, 'nosuch'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown command 'nosuch'/);
  });
});
