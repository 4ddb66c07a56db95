/** Test helpers for the server HTTP API and control plane: a recording LocalNode and a small API client. */

import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalNode, LocalNodeStats, RefreshCommand, SubscribeCommand } from '../../src/engine/index.js';
import type { HttpApiHandler } from '../../src/gateway/http-api/create-http-api.js';
import { eventually } from './eventually.js';

export type LocalCall =
  | { op: 'disconnect'; user: string; code: number; reason: string; client?: string }
  | { op: 'unsubscribe'; user: string; channel: string; client?: string }
  | { op: 'subscribe'; user: string; command: SubscribeCommand }
  | { op: 'refresh'; user: string; command: RefreshCommand };

/** A LocalNode without sessions that records every call and reports fixed counts. */
export class RecordingLocalNode implements LocalNode {
  readonly calls: LocalCall[] = [];

  constructor(private readonly counts: LocalNodeStats = { numClients: 0, numUsers: 0, numSubs: 0 }) {}

  disconnectUser(user: string, code: number, reason: string, client?: string): number {
    this.calls.push({ op: 'disconnect', user, code, reason, ...(client !== undefined ? { client } : {}) });
    return 1;
  }

  unsubscribeUser(user: string, channel: string, client?: string): number {
    this.calls.push({ op: 'unsubscribe', user, channel, ...(client !== undefined ? { client } : {}) });
    return 1;
  }

  subscribeUser(command: SubscribeCommand): number {
    this.calls.push({ op: 'subscribe', user: command.user, command });
    return 1;
  }

  refreshUser(command: RefreshCommand): number {
    this.calls.push({ op: 'refresh', user: command.user, command });
    return 1;
  }

  /** Channel counts this node reports to a `channels` survey. */
  readonly channelMap = new Map<string, number>();

  channelCounts(): ReadonlyMap<string, number> {
    return this.channelMap;
  }

  stats(): LocalNodeStats {
    return { ...this.counts };
  }
}

/** Waits until `done()` holds; fails after `timeoutMs`. */
export async function until(done: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  await eventually(done, { timeoutMs, what, intervalMs: 20 });
}

export interface ApiResponse {
  status: number;
  contentType: string | undefined;
  body: string;
  /** The parsed body (undefined when it is not JSON). */
  json: unknown;
}

/** node:http server on 127.0.0.1:0 serving the API, with 418 for paths the API declines. */
export class ApiServer {
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(handler: HttpApiHandler): Promise<ApiServer> {
    const server = createServer((req, res) => {
      handler(req, res).then(
        (handled) => {
          if (!handled) {
            res.writeHead(418, { 'content-type': 'text/plain' });
            res.end('not the api');
          }
        },
        (err: unknown) => {
          res.writeHead(500);
          res.end(String(err));
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ApiServer(server, (server.address() as AddressInfo).port);
  }

  /** Sends a raw request; `body` is written as given (a string or bytes, chunked when `chunked`). */
  call(
    path: string,
    options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; chunked?: boolean } = {},
  ): Promise<ApiResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...options.headers };
      if (options.body !== undefined && options.chunked !== true) headers['content-length'] = String(Buffer.byteLength(options.body));
      const req = request({ host: '127.0.0.1', port: this.port, path, method: options.method ?? 'POST', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], body, json });
        });
      });
      // The server may close after answering 413 before the whole body is written.
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      });
      if (options.body !== undefined) req.write(options.body);
      req.end();
    });
  }

  /** POST /api/<method> with the key in X-API-Key and `body` as JSON. */
  async api(method: string, key: string, body: unknown): Promise<ApiResponse> {
    return this.call(`/api/${method}`, { headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The `result` of a successful API response; fails the test otherwise. */
export function resultOf(res: ApiResponse): Record<string, unknown> {
  assert.equal(res.status, 200, res.body);
  assert.equal(res.contentType, 'application/json');
  const json = res.json as { result?: Record<string, unknown>; error?: unknown };
  assert.equal(json.error, undefined, res.body);
  assert.ok(json.result !== undefined, res.body);
  return json.result;
}

/** The `error` of an API response with the given HTTP status. */
export function errorOf(res: ApiResponse, status = 200): { code: number; message: string } {
  assert.equal(res.status, status, res.body);
  assert.equal(res.contentType, 'application/json');
  const json = res.json as { result?: unknown; error?: { code: number; message: string } };
  assert.equal(json.result, undefined, res.body);
  assert.ok(json.error !== undefined, res.body);
  return json.error;
}
