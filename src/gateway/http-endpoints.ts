/** Plain HTTP endpoints of the gateway: health on the HTTP and metrics ports, Prometheus metrics. */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

/** An extra route on the HTTP port; resolves true when it answered the request. */
export type HttpRouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;

export interface HealthSource {
  /** False while shutting down: health answers 503. */
  readonly healthy: boolean;
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

/** HTTP port: `GET /health`, then the extra routes, else 404. */
export function createHttpServer(source: HealthSource, logger: Logger, routes: readonly HttpRouteHandler[]): Server {
  return createServer((req, res) => {
    void (async () => {
      if (req.method === 'GET' && pathOf(req) === '/health') return health(res, source);
      for (const route of routes) if (await route(req, res)) return undefined;
      return sendJson(res, 404, { error: 'not found' });
    })().catch((err: unknown) => {
      logger.error({ err, path: pathOf(req) }, 'http handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal server error' });
      else res.destroy();
    });
  });
}

/** Metrics port: `GET /metrics` (Prometheus text format) and `GET /health`. */
export function createMetricsServer(source: HealthSource, registry: Registry, logger: Logger): Server {
  return createServer((req, res) => {
    const path = pathOf(req);
    if (req.method === 'GET' && path === '/health') return health(res, source);
    if (req.method !== 'GET' || path !== '/metrics') return sendJson(res, 404, { error: 'not found' });
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    }, (err: unknown) => {
      logger.error({ err }, 'metrics collection failed');
      sendJson(res, 500, { error: 'internal server error' });
    });
    return undefined;
  });
}
