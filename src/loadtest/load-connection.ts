/**
 * One load-test connection: a raw `ws` socket speaking the protocol through a LoadWire, with
 * publishes tracked by command id so each reply yields an ack latency from its scheduled time.
 */

import WebSocket from 'ws';
import type { LoadWire, WireReply } from './load-wire.js';

/** Milliseconds on a clock shared by every process of the machine (epoch, sub-ms precision). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

export interface LoadConnectionHandlers {
  /** A publish was acknowledged (`errorCode` 0) or refused; `latencyMs` from its scheduled time. */
  onAck(latencyMs: number, errorCode: number): void;
  /** A publication push arrived at `at` (see `now`). */
  onPublication(channel: string, data: unknown, at: number): void;
  /** The socket closed; `pending` publishes were never answered. */
  onClose(code: number, reason: string, pending: number): void;
}

export class LoadConnection {
  clientId = '';
  private ws: WebSocket | null = null;
  private nextId = 1;
  /** Publish command id -> scheduled send time. */
  private readonly pending = new Map<number, number>();
  private readonly waiters = new Map<number, (reply: WireReply) => void>();
  private open = false;

  constructor(
    private readonly url: string,
    private readonly wire: LoadWire,
    private readonly handlers: LoadConnectionHandlers,
  ) {}

  get connected(): boolean {
    return this.open;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Opens the socket and sends connect; resolves with the connect time, ms. */
  async connect(token: string | null, name: string, timeoutMs: number): Promise<number> {
    const started = now();
    const ws = new WebSocket(this.url, this.wire.binary ? ['centrifuge-protobuf'] : [], {
      perMessageDeflate: false,
      skipUTF8Validation: true,
      handshakeTimeout: timeoutMs,
    });
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.on('error', () => {
      /* reported through close */
    });
    ws.on('close', (code, reason) => this.onClosed(code, reason.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once('close', (code) => {
        clearTimeout(timer);
        reject(new Error(`closed ${code}`));
      });
    });
    const reply = await this.call((id) => this.wire.connect(id, token, name), timeoutMs);
    if (reply.errorCode !== 0) throw new Error(`connect error ${reply.errorCode}`);
    this.clientId = reply.client;
    this.open = true;
    return now() - started;
  }

  async subscribe(channel: string, timeoutMs: number): Promise<void> {
    const reply = await this.call((id) => this.wire.subscribe(id, channel), timeoutMs);
    if (reply.errorCode !== 0) throw new Error(`subscribe error ${reply.errorCode}`);
  }

  /** Sends a publish without waiting; the reply arrives through `onAck`. */
  publish(channel: string, data: string, scheduledAt: number): boolean {
    const ws = this.ws;
    if (!this.open || ws === null) return false;
    const id = this.nextId++;
    this.pending.set(id, scheduledAt);
    ws.send(this.wire.publish(id, channel, data));
    return true;
  }

  close(): void {
    this.ws?.close(1000);
  }

  /** Resolves once the socket is closed (or at once if it never opened). */
  async closed(): Promise<void> {
    const ws = this.ws;
    if (ws === null || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => ws.once('close', () => resolve()));
  }

  private async call(encode: (id: number) => string | Buffer, timeoutMs: number): Promise<WireReply> {
    const ws = this.ws;
    if (ws === null) throw new Error('not open');
    const id = this.nextId++;
    return new Promise<WireReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error('timeout'));
      }, timeoutMs);
      this.waiters.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      ws.send(encode(id));
    });
  }

  private onFrame(frame: Buffer): void {
    const at = now();
    this.wire.decode(frame, (reply) => {
      if (reply.id > 0) {
        const scheduledAt = this.pending.get(reply.id);
        if (scheduledAt !== undefined) {
          this.pending.delete(reply.id);
          this.handlers.onAck(at - scheduledAt, reply.errorCode);
          return;
        }
        const waiter = this.waiters.get(reply.id);
        if (waiter !== undefined) {
          this.waiters.delete(reply.id);
          waiter(reply);
        }
      } else if (reply.pubData !== undefined) {
        this.handlers.onPublication(reply.pubChannel, reply.pubData, at);
      } else if (reply.ping) {
        this.ws?.send(this.wire.pong());
      }
    });
  }

  private onClosed(code: number, reason: string): void {
    const wasOpen = this.open;
    this.open = false;
    const pending = this.pending.size;
    this.pending.clear();
    if (wasOpen) this.handlers.onClose(code, reason, pending);
  }
}
