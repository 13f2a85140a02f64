// FAKE SQS: fauxqs (npm, an SQS/SNS/S3 emulator; a devDependency), served in this process on
// 127.0.0.1 through its buildApp(): its startFauxqs() binds 0.0.0.0. No real SQS can run here;
// tests against it say FAKE in their names.
import type { AddressInfo } from 'node:net';

// fauxqs is an ES module only; this file is CommonJS: its types are taken in import mode, and the
// module is loaded with a real import() (kept as such under module node16).
type Fauxqs = typeof import('fauxqs', { with: { 'resolution-mode': 'import' } });

export interface FakeSqs {
  /** http://127.0.0.1:PORT, the `endpoint` of a config. */
  endpoint: string;
  region: string;
  stop(): Promise<void>;
}

export async function startFakeSqs(region = 'us-east-1'): Promise<FakeSqs> {
  let buildApp: Fauxqs['buildApp'];
  const specifier = 'fauxqs';
  try {
    ({ buildApp } = (await import(specifier)) as Fauxqs);
  } catch (err) {
    throw new Error(`fauxqs (the FAKE SQS the tests use) cannot be loaded (${err instanceof Error ? err.message : String(err)}): run \`npm ci\` (it is a devDependency, fauxqs@1.9.2)`);
  }
  const app = buildApp({ logger: false, host: '127.0.0.1', defaultRegion: region });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, region, stop: () => app.close() };
}
