/**
 * The HTTP routes of the WebSocket port that carry client connections without WebSocket:
 * HTTP-streaming (`/connection/http_stream`), SSE (`/connection/sse`), the emulation endpoint
 * (`/emulation`) through which their clients send commands after the first, and the
 * unidirectional `/connection/uni_http_stream` and `/connection/uni_sse`.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProtocolDecodeError, decodeEmulationRequest, type EmulationRequest, type ProtocolType } from '../protocol/index.js';
import type { ClientSession } from './client-session.js';
import type { GatewayContext } from './gateway-context.js';
import type { HttpRouteHandler } from './http-endpoints.js';
import { HttpResponseTransport, uniConnectFrame, type HttpResponseTransportName, type Transport } from './transport/index.js';
import { corsHeaders, answerPreflight } from './http-cors.js';

export const HTTP_STREAM_PATH = '/connection/http_stream';
export const SSE_PATH = '/connection/sse';
export const EMULATION_PATH = '/emulation';
export const UNI_HTTP_STREAM_PATH = '/connection/uni_http_stream';
export const UNI_SSE_PATH = '/connection/uni_sse';
/** SSE starts with a GET from EventSource: the connect command travels in this query parameter. */
export const CONNECT_QUERY_PARAM = 'cf_connect';

/** What the HTTP transports need from the gateway. */
export interface TransportHost {
  readonly ctx: GatewayContext;
  /** Starts a session over a transport (request headers for proxies); the gateway tracks both until they close. */
  openSession(transport: Transport, req: IncomingMessage): ClientSession;
  /** The WebSocket endpoint's Origin rule (`client.allowed_origins`, else same host). */
  originAllowed(req: IncomingMessage): boolean;
  /** The connection rate limit (`client.connection_rate_limit`); false: refuse this connection. */
  takeConnectionToken(): boolean;
  /** This node's emulation session with that id. */
  emulationSession(session: string): ClientSession | undefined;
  /** Hands an emulation request to the node holding the session; false when no other node can be reached. */
  forwardEmulation(req: EmulationRequest, protocol: ProtocolType): Promise<boolean>;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}, text = ''): void {
  res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

/** Reads a request body of at most `limit` bytes; null when it is larger (the rest is not read). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks, size));
      done = true;
    });
    req.once('error', (err) => {
      if (!done) reject(err);
      done = true;
    });
  });
}

function protocolOf(req: IncomingMessage): ProtocolType {
  return req.headers['content-type'] === 'application/octet-stream' ? 'protobuf' : 'json';
}

/** Opens a stream transport on `res` and hands it the first frame of commands. */
function startStream(
  host: TransportHost,
  req: IncomingMessage,
  res: ServerResponse,
  name: HttpResponseTransportName,
  protocol: ProtocolType,
  frame: Buffer,
  cors: Record<string, string>,
): void {
  if (!host.takeConnectionToken()) return answer(res, 503, cors, 'too many new connections (client.connection_rate_limit)');
  const transport = new HttpResponseTransport(req, res, name, protocol, cors);
  const session = host.openSession(transport, req);
  session.handleFrame(frame);
  return undefined;
}

async function httpStream(host: TransportHost, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  if (req.method !== 'POST')
    return answer(res, 405, { ...cors, allow: 'POST, OPTIONS' }, 'http_stream needs a POST with the connect command as body');
  const body = await readBody(req, host.ctx.config.client.messageSizeLimit);
  if (body === null) return answer(res, 413, cors, 'request body larger than client.message_size_limit');
  startStream(host, req, res, 'http_stream', protocolOf(req), body, cors);
  return undefined;
}

/** The first frame of an SSE request: the `cf_connect` query parameter of a GET, or a POST body; null when answered already. */
async function sseConnectFrame(
  host: TransportHost,
  req: IncomingMessage,
  res: ServerResponse,
  cors: Record<string, string>,
): Promise<Buffer | null> {
  let frame: Buffer;
  if (req.method === 'GET') {
    const connect = new URL(req.url ?? '/', 'http://localhost').searchParams.get(CONNECT_QUERY_PARAM);
    if (connect === null || connect === '') {
      answer(res, 400, cors, `sse needs the connect command in the ${CONNECT_QUERY_PARAM} query parameter`);
      return null;
    }
    frame = Buffer.from(connect, 'utf8');
    if (frame.length > host.ctx.config.client.messageSizeLimit) {
      answer(res, 413, cors, 'connect command larger than client.message_size_limit');
      return null;
    }
  } else if (req.method === 'POST') {
    const body = await readBody(req, host.ctx.config.client.messageSizeLimit);
    if (body === null) {
      answer(res, 413, cors, 'request body larger than client.message_size_limit');
      return null;
    }
    frame = body;
  } else {
    answer(res, 405, { ...cors, allow: 'GET, POST, OPTIONS' }, 'sse needs a GET (or POST) with the connect command');
    return null;
  }
  return frame;
}

async function sse(host: TransportHost, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const frame = await sseConnectFrame(host, req, res, cors);
  if (frame !== null) startStream(host, req, res, 'sse', 'json', frame, cors);
}

/** `/connection/uni_sse`: the ConnectRequest JSON in `cf_connect` (or a POST body); pushes as `data:` events. */
async function uniSse(host: TransportHost, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  const frame = await sseConnectFrame(host, req, res, cors);
  if (frame !== null) startStream(host, req, res, 'uni_sse', 'json', uniConnectFrame(frame), cors);
}

/** `/connection/uni_http_stream`: a POST of the ConnectRequest JSON; pushes as JSON lines. */
async function uniHttpStream(host: TransportHost, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  if (req.method !== 'POST')
    return answer(res, 405, { ...cors, allow: 'POST, OPTIONS' }, 'uni_http_stream needs a POST with the connect request as body');
  const body = await readBody(req, host.ctx.config.client.messageSizeLimit);
  if (body === null) return answer(res, 413, cors, 'request body larger than client.message_size_limit');
  startStream(host, req, res, 'uni_http_stream', 'json', uniConnectFrame(body), cors);
  return undefined;
}

/**
 * `POST /emulation`: 204 once the commands are handed to their session (here or, through the
 * control bus, on the node named in the request); 204 as well for a session this node no longer
 * has (its stream has ended, the client reconnects); 404 when the named node cannot be reached.
 */
async function emulation(host: TransportHost, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>): Promise<void> {
  if (req.method !== 'POST') return answer(res, 405, { ...cors, allow: 'POST, OPTIONS' }, 'emulation needs a POST of an EmulationRequest');
  const limit = host.ctx.config.client.messageSizeLimit;
  // A JSON EmulationRequest carries the frame as an escaped string: allow for the escaping.
  const body = await readBody(req, 2 * limit + 1024);
  if (body === null) return answer(res, 413, cors, 'request body larger than client.message_size_limit');
  const protocol = protocolOf(req);
  let emu: EmulationRequest;
  try {
    emu = decodeEmulationRequest(body, protocol);
  } catch (err) {
    if (err instanceof ProtocolDecodeError) return answer(res, 400, cors, err.message);
    throw err;
  }
  if (emu.session === '') return answer(res, 400, cors, 'emulation request without session');
  if (emu.data.length > limit) return answer(res, 413, cors, 'commands larger than client.message_size_limit');
  const session = host.emulationSession(emu.session);
  // The inbox byte bound cannot pause an HTTP client: past it the request is refused, and the
  // client (which closes its transport on a 5xx) reconnects, as a WebSocket client would wait.
  if (session?.inboxFull === true)
    return answer(res, 503, { ...cors, 'retry-after': '1' }, 'too many commands in flight (CLIENT_INBOX_MAX_SIZE)');
  if (session !== undefined) {
    // A request of another protocol than the stream's is the client's mistake: the frame will not decode.
    session.handleFrame(emu.data);
    return answer(res, 204, cors);
  }
  if (emu.node === '' || emu.node === host.ctx.config.nodeId) return answer(res, 204, cors);
  return answer(res, (await host.forwardEmulation(emu, protocol)) ? 204 : 404, cors);
}

type Handler = (host: TransportHost, req: IncomingMessage, res: ServerResponse, cors: Record<string, string>) => Promise<void>;

const ROUTES = new Map<string, Handler>([
  [HTTP_STREAM_PATH, httpStream],
  [SSE_PATH, sse],
  [EMULATION_PATH, emulation],
  [UNI_HTTP_STREAM_PATH, uniHttpStream],
  [UNI_SSE_PATH, uniSse],
]);

/** Route handlers for the WebSocket port's HTTP server: CORS first, then the transport. */
export function httpTransportRoutes(host: TransportHost): HttpRouteHandler {
  return async (req, res) => {
    const handler = ROUTES.get(pathOf(req));
    if (handler === undefined) return false;
    if (!host.originAllowed(req)) {
      host.ctx.logger.debug({ origin: req.headers.origin?.slice(0, 200), path: pathOf(req) }, 'http transport refused: origin not allowed');
      answer(res, 403, {}, 'origin not allowed (client.allowed_origins)');
      return true;
    }
    const cors = corsHeaders(req);
    if (req.method === 'OPTIONS') {
      answerPreflight(req, res, cors);
      return true;
    }
    await handler(host, req, res, cors);
    return true;
  };
}
