/**
 * The outgoing side of one client connection: queues encoded protocol messages, hands what
 * accumulated within one event-loop turn to the transport in as few writes as possible, and
 * bounds the bytes a slow reader may hold (queue + transport buffer).
 */

import type { Transport } from './transport/index.js';

/** Messages per frame and bytes per frame above which a batch is cut (a single larger message still goes alone). */
const maxBatchMessages = 64;
const maxBatchBytes = 64 * 1024;

export interface OutgoingWriterOptions {
  /** Queued plus transport-buffered bytes above which `onOverflow` fires and nothing more is written. */
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
    private readonly transport: Transport,
    private readonly options: OutgoingWriterOptions,
  ) {}

  /** Queues one encoded message; returns false when the writer is closed or just overflowed. */
  enqueue(message: Buffer): boolean {
    if (this.closed) return false;
    this.queue.push(message);
    this.queuedBytes += message.length;
    if (this.queuedBytes + this.transport.bufferedAmount > this.options.maxQueueBytes) {
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
    if (this.queue.length === 0 || !this.transport.writable) {
      this.queue = [];
      this.queuedBytes = 0;
      return;
    }
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
      const written = this.transport.write(batch);
      this.options.onFrame(batch.length, written);
      start = end;
    }
    this.queue = [];
    this.queuedBytes = 0;
  }

  /**
   * Stops writing and closes the transport with a close code. `flush` sends what is queued first
   * (not done for a slow reader).
   */
  close(code: number, reason: string, flush: boolean): void {
    if (flush && !this.closed) this.flush();
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.transport.close({ code, reason });
  }
}
