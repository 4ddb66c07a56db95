/** The bidirectional WebSocket transport at `/connection/websocket` (and the frame layer of uni_websocket). */

import type { RawData, WebSocket } from 'ws';
import { codecFor, type ProtocolType } from '../../protocol/index.js';
import type { Transport, TransportDisconnect, TransportEvents, TransportName } from './transport.js';
import { uniConnectFrame, uniMessage } from './uni-message.js';

/** Time a closing socket may take to complete the close handshake before it is destroyed. */
const closeHandshakeTimeoutMs = 5000;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class WebSocketTransport implements Transport {
  readonly emulation = false;
  readonly unidirectional: boolean;
  private readonly binary: boolean;
  private gone: ((transport: Transport) => void) | null = null;

  constructor(
    private readonly ws: WebSocket,
    readonly protocol: ProtocolType,
    readonly name: TransportName = 'websocket',
  ) {
    this.binary = protocol === 'protobuf';
    this.unidirectional = name === 'uni_websocket';
  }

  onGone(gone: (transport: Transport) => void): void {
    this.gone = gone;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get writable(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  attach(events: TransportEvents): void {
    let frames = 0;
    this.ws.on('message', (data) => {
      // Unidirectional: the first message is a bare ConnectRequest; anything later is dropped.
      if (!this.unidirectional) events.onFrame(toBuffer(data));
      else if (frames++ === 0) events.onFrame(uniConnectFrame(toBuffer(data)));
    });
    this.ws.on('close', (code) => {
      events.onClosed(code);
      this.gone?.(this);
    });
    this.ws.on('error', (err) => events.onError(err));
  }

  write(messages: readonly Buffer[]): number {
    if (!this.writable) return 0;
    const frame = codecFor(this.protocol).joinMessages(this.unidirectional ? messages.map(uniMessage) : messages);
    this.ws.send(frame, { binary: this.binary });
    return frame.length;
  }

  close(disconnect: TransportDisconnect): void {
    const ws = this.ws;
    if (ws.readyState === ws.CLOSED) return;
    // A client without an SDK may not look at close codes: it gets the disconnect push first.
    if (this.unidirectional)
      this.write([codecFor(this.protocol).encodeReply({ push: { disconnect: { code: disconnect.code, reason: disconnect.reason } } })]);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(disconnect.code, disconnect.reason);
    const timer = setTimeout(() => ws.terminate(), closeHandshakeTimeoutMs);
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
  }

  terminate(): void {
    this.ws.terminate();
  }

  pauseReading(): void {
    this.ws.pause();
  }

  resumeReading(): void {
    this.ws.resume();
  }
}
