/**
 * The seam between a client session and the connection carrying it: WebSocket, HTTP-streaming,
 * SSE and their unidirectional variants all look the same to a ClientSession.
 */

import type { ProtocolType } from '../../protocol/index.js';

/** Transport names as Centrifugo reports them (metrics label `transport`, `connected.transport`). */
export type TransportName = 'websocket' | 'http_stream' | 'sse' | 'uni_websocket' | 'uni_http_stream' | 'uni_sse';

/** A disconnect the server sends: code 3000-4999 and a plain-text reason of at most 123 bytes. */
export interface TransportDisconnect {
  code: number;
  reason: string;
}

/** What a transport reports to the session it carries. */
export interface TransportEvents {
  /** One inbound frame of encoded commands. */
  onFrame(frame: Buffer): void;
  /**
   * The peer went away or the connection failed. `code` is the WebSocket close code the peer
   * sent; 0 for HTTP transports (a request ending has no code).
   */
  onClosed(code: number): void;
  /** A connection-level error (logged at debug); a close follows. */
  onError(err: Error): void;
}

export interface Transport {
  readonly name: TransportName;
  readonly protocol: ProtocolType;
  /** Commands after the first frame arrive on separate requests (`/emulation`), routed by session and node. */
  readonly emulation: boolean;
  /** The client sends nothing after its connect request; the server subscribes it. */
  readonly unidirectional: boolean;
  /** Bytes written but not yet handed to the operating system. */
  readonly bufferedAmount: number;
  /** False once closing or closed: writes are dropped. */
  readonly writable: boolean;
  /**
   * `gone` is called once the underlying connection is gone (close handshake done, response
   * finished or cut), after the session's `onClosed`. Set before {@link attach}; the callback gets
   * the transport, so one function serves every connection.
   */
  onGone(gone: (transport: Transport) => void): void;
  /** Subscribes the session to the transport's events; called once, right after construction of the session. */
  attach(events: TransportEvents): void;
  /** Writes encoded messages (each a standalone JSON line or a delimited protobuf Reply); returns the bytes written. */
  write(messages: readonly Buffer[]): number;
  /**
   * Ends the connection with a disconnect: WebSocket sends a close frame, HTTP transports a
   * disconnect push and then end the response. The connection is cut if the peer does not finish
   * the close in time.
   */
  close(disconnect: TransportDisconnect): void;
  /** Cuts the connection at once (shutdown timeout). */
  terminate(): void;
  /** Stops reading inbound frames until resumeReading (no-op where the transport has nothing more to read). */
  pauseReading(): void;
  resumeReading(): void;
}
