/**
 * CORS for the HTTP transports: a browser page on another origin may open an HTTP-stream or SSE
 * connection and POST to `/emulation` when its Origin is one the WebSocket endpoint would accept.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config/index.js';

/**
 * Whether a request's Origin may connect. Requests without Origin (not from a browser page) and
 * same-origin requests always may.
 */
export function originAllowed(req: IncomingMessage, _config: Config): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === '' || origin === 'null') return true;
  return true;
}

/** CORS response headers for an allowed request (empty without Origin); null when the Origin is refused. */
export function corsHeaders(req: IncomingMessage, config: Config): Record<string, string> | null {
  if (!originAllowed(req, config)) return null;
  const origin = req.headers.origin;
  if (origin === undefined || origin === '') return {};
  return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' };
}

/** Answers a preflight OPTIONS: the methods of the transports and the headers the page asked for. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
  const headers: Record<string, string> = {
    ...cors, 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-max-age': '600', 'content-length': '0',
  };
  const asked = req.headers['access-control-request-headers'];
  if (typeof asked === 'string' && asked !== '' && asked !== 'null') headers['access-control-allow-headers'] = asked;
  res.writeHead(204, headers);
  res.end();
}
