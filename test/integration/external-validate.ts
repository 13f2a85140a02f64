// Shared by the external source tests: `docktor config validate` on a service (a process
// runtime, so no Docker is involved) whose `external:` list is the given YAML flow mappings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliRun } from '../harness/cli';

export async function validateExternal(sources: string[], env?: NodeJS.ProcessEnv): Promise<CliRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docktor-validate-external-'));
  try {
    const yaml = `services:
  - name: worker
    max_replicas: 3
    rules: {}
    runtime: { kind: process, command: [${JSON.stringify(process.execPath)}] }
    external:
${sources.map((s) => `      - ${s}\n`).join('')}`;
    fs.writeFileSync(path.join(dir, 'docktor.yaml'), yaml);
    return await runCli(['config', 'validate'], { cwd: dir, ...(env ? { env } : {}) });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
