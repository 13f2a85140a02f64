// The example's `web` service, scaled on CPU: every request to /work spends WORK_MS (default 20) of
// CPU time, so load shows up in `docker stats` and docktor's `cpu.avg_pct`. /healthz answers at once.
// Stops cleanly on SIGTERM (finishes open requests, then exits 0).
//
//   PORT (8080)  WORK_MS (20)
import http from 'node:http';
import os from 'node:os';

const port = Number(process.env.PORT ?? 8080);
const workMs = Number(process.env.WORK_MS ?? 20);
const name = process.env.DOCKTOR_REPLICA ?? os.hostname();

/** Busy CPU for `ms` (the point of this service is to use CPU). */
function burn(ms: number): number {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x = (x + Math.sqrt(x + 1)) % 1e9;
  return x;
}

let served = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') {
    res.end('ok\n');
    return;
  }
  if (req.url?.startsWith('/work')) {
    burn(workMs);
    served++;
    res.end(`${name}: ${workMs} ms of work\n`);
    return;
  }
  res.statusCode = 404;
  res.end('try /work or /healthz\n');
});

server.listen(port, () => process.stdout.write(`web ${name}: listening on :${port}, ${workMs} ms of CPU per /work\n`));

process.on('SIGTERM', () => {
  server.close(() => {
    process.stdout.write(`web ${name}: stopped after ${served} request(s)\n`);
    process.exit(0);
  });
  server.closeIdleConnections();
});
