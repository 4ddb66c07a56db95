/**
 * The worker process's Prometheus endpoint (`/metrics`, `/health`) on HOST:WORKER_METRICS_PORT.
 * Resolves only once it listens, with the port it really serves (0 takes a free one); a port that
 * cannot be bound is one error line and no server, so nothing claims a port it does not serve.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';

export interface WorkerMetricsServer {
  server: Server;
  /** The port it listens on. */
  port: number;
}

export function startWorkerMetricsServer(registry: Registry, host: string, port: number, logger: Logger): Promise<WorkerMetricsServer | null> {
  const server = createServer((req, res) => {
    if (req.url === '/health') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType }).end(text);
    }, (err: unknown) => {
      logger.error({ err }, 'metrics collection failed');
      res.writeHead(500).end();
    });
  });
  return new Promise((resolve) => {
    const failed = (err: NodeJS.ErrnoException): void => {
      const why = err.code === 'EADDRINUSE' ? `port ${port} is already in use` : `cannot listen on ${host}:${port} (${err.code ?? err.message})`;
      logger.error({ host, port, code: err.code }, `worker metrics are off: ${why} (set WORKER_METRICS_PORT to a free port, 0 for any free port, or off)`);
      resolve(null);
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      server.on('error', (err) => logger.error({ err }, 'worker metrics server failed'));
      resolve({ server, port: (server.address() as AddressInfo).port });
    });
  });
}
