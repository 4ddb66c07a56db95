/** Plain HTTP endpoints of the gateway: health and readiness on the HTTP and metrics ports, Prometheus metrics. */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { createMetricsServer } from '../metrics/index.js';
import type { Logger } from 'pino';
import type { ReadinessReport } from './readiness.js';

/** An extra route on the HTTP port; resolves true when it answered the request. */
export type HttpRouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface HealthSource {
  /** False once closed: health answers 503. */
  readonly healthy: boolean;
  /** False while starting or shutting down: extra routes (the server API) answer 503. */
  readonly accepting: boolean;
  /** Readiness for `GET /ready`: 200 when ready, else 503 with the report. */
  readiness(): Promise<ReadinessReport>;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function health(res: ServerResponse, source: HealthSource): void {
  sendJson(res, source.healthy ? 200 : 503, { status: source.healthy ? 'ok' : 'shutting down' });
}

/** Answers `GET /health` and `GET /ready`; false for other requests. */
function probe(req: IncomingMessage, res: ServerResponse, source: HealthSource, logger: Logger): boolean {
  if (req.method !== 'GET') return false;
  const path = pathOf(req);
  if (path === '/health') {
    health(res, source);
    return true;
  }
  if (path !== '/ready') return false;
  source.readiness().then(
    (report) => sendJson(res, report.ready ? 200 : 503, report),
    (err: unknown) => {
      logger.error({ err }, 'readiness check failed');
      sendJson(res, 503, { ready: false, error: 'readiness check failed' });
    },
  );
  return true;
}

/** HTTP port: `GET /health`, `GET /ready`, then the extra routes (503 while not accepting), else 404. */
export function createHttpServer(source: HealthSource, logger: Logger, routes: readonly HttpRouteHandler[]): Server {
  return createServer((req, res) => {
    void (async () => {
      if (probe(req, res, source, logger)) return undefined;
      if (routes.length > 0 && !source.accepting)
        return sendJson(res, 503, { error: 'not accepting requests (starting or shutting down)' });
      for (const route of routes) if (await route(req, res)) return undefined;
      return sendJson(res, 404, { error: 'not found' });
    })().catch((err: unknown) => {
      logger.error({ err, path: pathOf(req) }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy();
    });
  });
}

/** Metrics port: `GET /metrics` (Prometheus text format), `GET /health` and `GET /ready`. */
export function createGatewayMetricsServer(source: HealthSource, registry: Registry, logger: Logger): Server {
  return createMetricsServer({ source: registry, logger, probe: (req, res) => probe(req, res, source, logger) });
}
