// Stops the replicas of every `runtime: process` service of a docktor config, as run.sh does on
// exit (a demo should not leave its consumers running; in production, replicas outliving docktor
// is the point). Run after `docktor dev` has stopped: its worker has then given up ownership.
//
//   node dist/examples/nats-multi/stop-replicas.js examples/nats-multi/docktor.process.yaml
import { loadConfig } from '../../src/config/load';
import { ProcessRuntime } from '../../src/runtimes/process';

async function main(file: string | undefined): Promise<void> {
  const config = loadConfig(file);
  const runtime = new ProcessRuntime();
  try {
    for (const service of config.services) {
      if (service.runtime.kind !== 'process') continue;
      const r = await runtime.ensure({ project: config.project, service, runtime: service.runtime }, 0);
      process.stdout.write(`${service.name}: ${r.before} replica(s) -> 0 (${r.detail})\n`);
    }
  } finally {
    await runtime.close();
  }
}

main(process.argv[2]).catch((e: unknown) => {
  process.stderr.write(`stop-replicas: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
