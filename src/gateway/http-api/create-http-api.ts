/**
 * The server HTTP API: `POST /api/<method>` with a JSON body, authorised by an API key, in
 * Centrifugo's request and response shapes so its server SDKs can be pointed at a gateway.
 * Mounted on the gateway's HTTP port as a route handler.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../../config/index.js';
import { Errors, ReplyError, type ErrorCode } from '../../protocol/index.js';
import { performance } from 'node:perf_hooks';
import { apiMethods, runBatch, runLegacyLines } from './api-batch.js';
import { errorJson, type ApiDeps, type ApiMethod } from './api-methods.js';

type ApiMethods = ReadonlyMap<string, ApiMethod>;
import { ApiRequest } from './api-request.js';

export type { ApiDeps, ApiPublisher } from './api-methods.js';

export interface HttpApiDeps extends ApiDeps {
  /** Largest request body accepted, bytes; larger ones get 413. Omitted: 1 MiB. */
  maxBodyBytes?: number;
}

/** Answers `/api` and `/api/...` requests (resolving true); resolves false for any other path. */
export type HttpApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const API_PATH_PREFIX = '/api/';

/** The warning a gateway logs at start-up when the API is off, or null when a key is configured. */
export function httpApiDisabledWarning(config: Pick<Config, 'httpApiKey'>): string | null {
  return config.httpApiKey === null
    ? 'server HTTP API disabled: HTTP_API_KEY is not set (nor http_api.key in CONFIG_FILE), so /api/* answers 404; set it to publish from backends'
    : null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The key a request presents in `X-API-Key` or `Authorization: apikey <key>`, or null. */
function presentedKey(req: IncomingMessage): string | null {
  const header = req.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = req.headers.authorization;
  if (auth === undefined) return null;
  const match = /^apikey\s+(\S+)\s*$/i.exec(auth);
  return match !== null ? match[1]! : null;
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, status: number, kind: ErrorCode, message?: string, headers?: Record<string, string>): void {
  send(res, status, JSON.stringify({ error: new ReplyError(kind, message).toProtocol() }), headers);
}

class BodyTooLarge extends Error {}

/** Reads the body, rejecting with BodyTooLarge as soon as it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        reject(new BodyTooLarge());
        // Keep draining so the client can read the 413 instead of a reset connection.
        req.resume();
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

/** The API's method when the request may be answered; otherwise answers it (404, 405, 401, 413) and returns null. */
function admit(
  req: IncomingMessage,
  res: ServerResponse,
  keyDigest: Buffer | null,
  name: string | null,
  methods: ApiMethods,
  maxBody: number,
): ApiMethod | undefined | null {
  if (keyDigest === null) {
    sendError(res, 404, Errors.notAvailable, 'server HTTP API is disabled: HTTP_API_KEY is not set (nor http_api.key)');
    return null;
  }
  if (req.method !== 'POST') {
    sendError(res, 405, Errors.badRequest, 'use POST', { allow: 'POST' });
    return null;
  }
  const presented = presentedKey(req);
  // Digests have equal length whatever the key lengths, so the comparison time reveals nothing.
  if (presented === null || !timingSafeEqual(digest(presented), keyDigest)) {
    sendError(res, 401, Errors.unauthorized);
    return null;
  }
  const method = name === null ? undefined : methods.get(name);
  if (name !== null && method === undefined && name !== 'batch') {
    sendError(res, 404, Errors.methodNotFound, `method not found: ${name.slice(0, 64)}`);
    return null;
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBody) {
    sendError(res, 413, Errors.limitExceeded, `request body larger than ${maxBody} bytes`, { connection: 'close' });
    req.resume();
    return null;
  }
  return method;
}

/** The JSON object of a request body; answers 400 and returns null when it is not one. */
function bodyObject(res: ServerResponse, raw: Buffer): Record<string, unknown> | null {
  let body: unknown;
  try {
    body = raw.length === 0 ? {} : JSON.parse(raw.toString('utf8'));
  } catch {
    sendError(res, 400, Errors.badRequest, 'request body is not valid JSON');
    return null;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    sendError(res, 400, Errors.badRequest, 'request body must be a JSON object');
    return null;
  }
  return body as Record<string, unknown>;
}

export function createHttpApi(deps: HttpApiDeps): HttpApiHandler {
  const key = deps.config.httpApiKey;
  const keyDigest = key !== null ? digest(key) : null;
  const maxBody = deps.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const methods = apiMethods();

  return async (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path !== '/api' && !path.startsWith(API_PATH_PREFIX)) return false;
    // `/api` alone is the legacy newline-delimited form (no method name in the path).
    const name = path === '/api' ? null : path.slice(API_PATH_PREFIX.length);
    const method = admit(req, res, keyDigest, name, methods, maxBody);
    if (method === null) return true;
    let raw: Buffer;
    try {
      raw = await readBody(req, maxBody);
    } catch (err) {
      if (!(err instanceof BodyTooLarge)) throw err;
      sendError(res, 413, Errors.limitExceeded, `request body larger than ${maxBody} bytes`, { connection: 'close' });
      return true;
    }
    if (name === null) {
      // cent.js's pipeline and older SDKs: newline-delimited {"method","params"} commands, one reply line each.
      send(res, 200, await runLegacyLines(deps, methods, raw));
      return true;
    }
    const body = bodyObject(res, raw);
    if (body === null) return true;
    const request = new ApiRequest(body);
    let reply: string;
    const started = performance.now();
    let result = 'ok';
    try {
      // Centrifugo's batch answers {"replies": [...]} at the top level; every other method {"result": ...}.
      reply = method === undefined ? await runBatch(deps, methods, request) : `{"result":${await method({ deps, request, raw })}}`;
    } catch (err) {
      result = 'error';
      reply = errorJson(err, deps.logger, name);
    }
    deps.metrics?.observe(method === undefined ? 'batch' : name, result, (performance.now() - started) / 1000);
    // Like Centrifugo: a request that was understood answers 200, with `error` when it failed.
    send(res, 200, reply);
    return true;
  };
}
