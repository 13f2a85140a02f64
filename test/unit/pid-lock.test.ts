import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { withPidLock } from '../../src/dev/pid-lock';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-lock-'));

it('runs one holder at a time', async () => {
  const lock = path.join(dir, 'a.lock');
  const log: string[] = [];
  const work = (name: string) => async () => {
    log.push(`${name} in`);
    await sleep(50);
    log.push(`${name} out`);
  };
  const waited: number[] = [];
  await Promise.all([withPidLock(lock, work('one'), { pollMs: 10 }), withPidLock(lock, work('two'), { pollMs: 10, onWait: (p) => waited.push(p) })]);
  assert.deepEqual(log, ['one in', 'one out', 'two in', 'two out']);
  assert.deepEqual(waited, [process.pid]);
  assert.equal(fs.existsSync(lock), false, 'released');
});

it('takes over a lock whose holder is dead', async () => {
  const lock = path.join(dir, 'b.lock');
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.writeFileSync(lock, dead.stdout);
  assert.equal(await withPidLock(lock, async () => 'ran', { pollMs: 10 }), 'ran');
});
