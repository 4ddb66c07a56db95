/** Small JSON helpers for the web UI's HTTP routes: bounded body reads and JSON answers. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, RealtimeError } from '../errors/index.js';

/** Largest JSON body the web routes accept, bytes. */
export const MAX_WEB_BODY_BYTES = 64 * 1024;

/** A request the web UI refuses (ERR_WEB_UI_REQUEST): answered with `status` and the message. */
export class HttpProblem extends RealtimeError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(ErrorCodes.WEB_UI_REQUEST, message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/** Sends raw JSON text that is already a valid JSON document. */
export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * Reads a JSON object body of at most MAX_WEB_BODY_BYTES. Requires `content-type: application/json`,
 * which a cross-site form cannot send without a CORS preflight this server never answers.
 */
export async function readJsonObject(req: IncomingMessage): Promise<{ body: Record<string, unknown>; raw: Buffer }> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new HttpProblem(415, 'send the body as application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_WEB_BODY_BYTES) throw new HttpProblem(413, `request body larger than ${MAX_WEB_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks, size);
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpProblem(400, 'request body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpProblem(400, 'request body must be a JSON object');
  return { body: body as Record<string, unknown>, raw: raw.length === 0 ? Buffer.from('{}') : raw };
}

export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

export function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}
