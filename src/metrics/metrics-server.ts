// One /metrics on temporal.metrics_port with both docktor's metrics and the Temporal SDK's. The
// SDK's Prometheus exporter binds a port of its own, so it is bound to a private loopback port
// and this server appends its exposition text to docktor's (the metric names do not overlap:
// `docktor_*` and `temporal_*`).
import http from 'node:http';
import { OperationError } from '../errors';
import type { DocktorMetrics } from './docktor-metrics';

export interface MetricsServer {
  /** The port listened on (the one asked for, or the kernel's choice for 0). */
  port: number;
  close(): Promise<void>;
}

/** Serves `metrics` plus the SDK exporter's text at http://127.0.0.1:sdkPort/metrics. */
export function serveMetrics(port: number, metrics: DocktorMetrics, sdkPort: number, host = '0.0.0.0'): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || !/^\/metrics(\?|$)/.test(req.url ?? '')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('docktor serves /metrics\n');
      return;
    }
    void combined(metrics, sdkPort).then(
      (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
      (e: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e instanceof Error ? e.message : String(e)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new OperationError(`temporal.metrics_port: port ${port} is in use (another worker on this machine?); give each worker process its own port`) : e),
    );
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined); // a failed accept must not end the worker
      // Serving metrics never keeps a process alive that has nothing else to do.
      server.unref();
      const bound = (server.address() as { port: number }).port;
      resolve({ port: bound, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

async function combined(metrics: DocktorMetrics, sdkPort: number): Promise<string> {
  const own = await metrics.text();
  let sdk: string;
  try {
    const res = await fetch(`http://127.0.0.1:${sdkPort}/metrics`, { signal: AbortSignal.timeout(2000) });
    sdk = res.ok ? await res.text() : `# the Temporal SDK's exporter answered ${res.status}\n`;
  } catch (e) {
    sdk = `# the Temporal SDK's exporter did not answer: ${e instanceof Error ? e.message : String(e)}\n`;
  }
  return `${own.endsWith('\n') || own === '' ? own : `${own}\n`}${sdk}`;
}
