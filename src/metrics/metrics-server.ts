/**
 * The one Prometheus endpoint of every process (gateway, gateway group primary, worker):
 * `GET /metrics` from a metrics source, `GET /health`, and whatever the caller's probe answers
 * (the gateway's `/ready`). Created here, listened on by the caller.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What `/metrics` serves: a prom-client Registry, or the text a group's primary aggregated. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** The part of a logger this module uses. */
export interface MetricsServerLogger {
  error(obj: object, msg: string): void;
}

/** Answers a probe request (`/health`, `/ready`); false: not a probe. */
export type ProbeHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export interface MetricsServerOptions {
  source: MetricsSource;
  logger: MetricsServerLogger;
  /** Tried before `/metrics`; omitted: `GET /health` answers 200 `ok`, nothing else. */
  probe?: ProbeHandler;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function plainHealth(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' || pathOf(req) !== '/health') return false;
  res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  return true;
}

/** `GET /metrics` (Prometheus text format), the probe's routes, else 404. */
export function createMetricsServer(options: MetricsServerOptions): Server {
  const { source, logger } = options;
  const probe = options.probe ?? plainHealth;
  return createServer((req, res) => {
    if (probe(req, res)) return;
    if (req.method !== 'GET' || pathOf(req) !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    source.metrics().then(
      (text) => {
        res.writeHead(200, { 'content-type': source.contentType }).end(text);
      },
      (err: unknown) => {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal server error"}');
      },
    );
  });
}

/** Listens on host:port; resolves with the bound port (0 takes a free one), rejects with the listen error. */
export function listenMetricsServer(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
