/**
 * CORS for the HTTP transports: a browser page on another origin may open an HTTP-stream or SSE
 * connection and POST to `/emulation` when its Origin is one the WebSocket endpoint accepts
 * (`client.allowed_origins`, else the same-host rule; see origin-check.ts).
 */

import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS response headers for a request whose Origin passed the WebSocket endpoint's rule: the
 * origin echoed with credentials allowed; none for requests without Origin.
 */
export function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (origin === undefined || origin === '') return {};
  return { 'access-control-allow-origin': origin, 'access-control-allow-credentials': 'true', vary: 'Origin' };
}

/** Answers a preflight OPTIONS: the methods of the transports and the headers the page asked for. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): void {
  const headers: Record<string, string> = {
    ...cors,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-max-age': '600',
    'content-length': '0',
  };
  const asked = req.headers['access-control-request-headers'];
  if (typeof asked === 'string' && asked !== '' && asked !== 'null') headers['access-control-allow-headers'] = asked;
  res.writeHead(204, headers);
  res.end();
}
