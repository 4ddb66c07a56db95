/**
 * The outgoing side of one WebSocket connection: queues encoded protocol messages, joins what
 * accumulated within one event-loop turn into as few frames as possible, and bounds the bytes a
 * slow reader may hold (queue + socket buffer).
 */

import type { WebSocket } from 'ws';
import type { Codec } from '../protocol/index.js';

/** Messages per frame and bytes per frame above which a batch is cut (a single larger message still goes alone). */
const maxBatchMessages = 64;
const maxBatchBytes = 64 * 1024;
/** Time a closing socket may take to complete the close handshake before it is destroyed. */
const closeHandshakeTimeoutMs = 5000;

export interface OutgoingWriterOptions {
  /** Queued plus socket-buffered bytes above which `onOverflow` fires and nothing more is written. */
  maxQueueBytes: number;
  onOverflow(): void;
  /** Called per frame sent, with the message count and frame size. */
  onFrame(messages: number, bytes: number): void;
}

export class OutgoingWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly codec: Codec,
    private readonly options: OutgoingWriterOptions,
  ) {}

  /** Queues one encoded message; returns false when the writer is closed or just overflowed. */
  enqueue(message: Buffer): boolean {
    if (this.closed) return false;
    this.queue.push(message);
    this.queuedBytes += message.length;
    if (this.queuedBytes + this.ws.bufferedAmount > this.options.maxQueueBytes) {
      this.closed = true;
      this.queue = [];
      this.queuedBytes = 0;
      this.options.onOverflow();
      return false;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return true;
  }

  /** Writes everything queued now. */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0 || this.ws.readyState !== this.ws.OPEN) {
      this.queue = [];
      this.queuedBytes = 0;
      return;
    }
    const binary = this.codec.protocol === 'protobuf';
    let start = 0;
    while (start < this.queue.length) {
      let end = start;
      let bytes = 0;
      while (end < this.queue.length && end - start < maxBatchMessages) {
        const len = (this.queue[end] as Buffer).length;
        if (end > start && bytes + len > maxBatchBytes) break;
        bytes += len;
        end++;
      }
      const batch = this.queue.slice(start, end);
      const frame = this.codec.joinMessages(batch);
      this.ws.send(frame, { binary });
      this.options.onFrame(batch.length, frame.length);
      start = end;
    }
    this.queue = [];
    this.queuedBytes = 0;
  }

  /**
   * Stops writing and closes the socket with a close code. `flush` sends what is queued first
   * (not done for a slow reader). The socket is destroyed if the peer does not complete the handshake.
   */
  close(code: number, reason: string, flush: boolean): void {
    if (flush && !this.closed) this.flush();
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    const ws = this.ws;
    if (ws.readyState === ws.CLOSED) return;
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(code, reason);
    const timer = setTimeout(() => ws.terminate(), closeHandshakeTimeoutMs);
    timer.unref();
    ws.once('close', () => clearTimeout(timer));
  }
}
