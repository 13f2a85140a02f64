// Imported first by tests that run checks in this process without a state directory of their
// own: the traffic recordings (src/recording) of their checks go to a temporary directory, deleted
// at exit, not to the machine's state directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

if (!process.env.DOCKTOR_STATE_DIR) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-test-state-'));
  process.env.DOCKTOR_STATE_DIR = dir;
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}
