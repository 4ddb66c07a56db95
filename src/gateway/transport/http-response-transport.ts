/**
 * A transport over one long HTTP response: HTTP-streaming (`/connection/http_stream`, one JSON
 * line or delimited protobuf Reply after another) and SSE (`/connection/sse`, one `data:` event
 * a message), bidirectional through `/emulation` or unidirectional (`uni_http_stream`, `uni_sse`).
 * Closing writes a disconnect push and ends the response.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { codecFor, type ProtocolType } from '../../protocol/index.js';
import type { Transport, TransportDisconnect, TransportEvents, TransportName } from './transport.js';
import { uniMessage } from './uni-message.js';

/** Time an ended response may take to drain to the peer before its socket is destroyed. */
const endTimeoutMs = 5000;

export type HttpResponseTransportName = Extract<TransportName, 'http_stream' | 'sse' | 'uni_http_stream' | 'uni_sse'>;

const SSE_PREFIX = Buffer.from('data: ');
const SSE_SUFFIX = Buffer.from('\n\n');
const LINE_END = Buffer.from('\n');

/** Response headers of a stream: no caching, no proxy buffering. */
function streamHeaders(name: HttpResponseTransportName, protocol: ProtocolType): Record<string, string> {
  const sse = name === 'sse' || name === 'uni_sse';
  return {
    'content-type': sse ? 'text/event-stream; charset=utf-8' : protocol === 'protobuf' ? 'application/octet-stream' : 'application/json',
    'cache-control': 'private, no-cache, no-store, must-revalidate, max-age=0',
    pragma: 'no-cache',
    expires: '0',
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
  };
}

export class HttpResponseTransport implements Transport {
  readonly emulation: boolean;
  readonly unidirectional: boolean;
  private readonly sse: boolean;
  private gone: ((transport: Transport) => void) | null = null;
  private ended = false;

  /** Sends the response head at once (headers from {@link streamHeaders} plus `extraHeaders`). */
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly name: HttpResponseTransportName,
    readonly protocol: ProtocolType,
    extraHeaders: Record<string, string> = {},
  ) {
    this.sse = name === 'sse' || name === 'uni_sse';
    this.unidirectional = name === 'uni_http_stream' || name === 'uni_sse';
    this.emulation = !this.unidirectional;
    res.writeHead(200, { ...streamHeaders(name, protocol), ...extraHeaders });
    // SSE: an empty line makes proxies and EventSource implementations see the stream open.
    res.write(this.sse ? '\r\n' : '');
    res.socket?.setNoDelay(true);
  }

  get bufferedAmount(): number {
    return this.res.writableLength;
  }

  get writable(): boolean {
    return !this.ended && !this.res.destroyed && !this.res.writableEnded;
  }

  onGone(gone: (transport: Transport) => void): void {
    this.gone = gone;
  }

  attach(events: TransportEvents): void {
    this.res.once('close', () => {
      this.ended = true;
      events.onClosed(0);
      this.gone?.(this);
    });
    this.res.on('error', (err) => events.onError(err));
    this.req.on('error', (err) => events.onError(err));
  }

  write(messages: readonly Buffer[]): number {
    if (!this.writable) return 0;
    const parts: Buffer[] = [];
    for (const message of messages) {
      const m = this.unidirectional ? uniMessage(message) : message;
      if (this.sse) parts.push(SSE_PREFIX, m, SSE_SUFFIX);
      else if (this.protocol === 'json') parts.push(m, LINE_END);
      else parts.push(m);
    }
    const chunk = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.res.write(chunk);
    return chunk.length;
  }

  close(disconnect: TransportDisconnect): void {
    if (!this.writable) return;
    const push = codecFor(this.protocol).encodeReply({ push: { disconnect: { code: disconnect.code, reason: disconnect.reason } } });
    this.write([push]);
    this.ended = true;
    const timer = setTimeout(() => this.res.destroy(), endTimeoutMs);
    timer.unref();
    this.res.once('close', () => clearTimeout(timer));
    this.res.end();
  }

  terminate(): void {
    this.ended = true;
    this.res.destroy();
  }

  /** The request body was read before the stream started: nothing more to pause. */
  pauseReading(): void {}

  resumeReading(): void {}
}
