/**
 * The outgoing side of one client connection: queues encoded protocol messages, hands what
 * accumulated within one event-loop turn to the transport in as few writes as possible, and
 * bounds the bytes a slow reader may hold (queue + transport buffer).
 *
 * All writers with something queued are flushed by ONE `setImmediate` callback per event-loop
 * turn: a publication to 2,000 subscribers schedules one callback, not 2,000.
 */

import type { Transport } from './transport/index.js';

/** Messages per frame and bytes per frame above which a batch is cut (a single larger message still goes alone). */
const maxBatchMessages = 64;
const maxBatchBytes = 64 * 1024;

/** What the writer reports to its connection (the session itself: no per-connection callbacks). */
export interface OutgoingWriterOwner {
  /** Queued plus transport-buffered bytes went above `maxQueueBytes`: nothing more is written. */
  writerOverflowed(): void;
  /** Called per frame sent, with the message count and frame size. */
  frameWritten(messages: number, bytes: number): void;
}

/** Writers with queued messages, flushed together at the end of the turn. */
let pending: OutgoingWriter[] = [];
let flushScheduled = false;

function schedule(writer: OutgoingWriter): void {
  pending.push(writer);
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(flushPending);
}

/** Flushes every pending writer (a throw here crashes the process, as any uncaught error does). */
function flushPending(): void {
  flushScheduled = false;
  const writers = pending;
  pending = [];
  for (const writer of writers) writer.flush();
}

export class OutgoingWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly maxQueueBytes: number,
    private readonly owner: OutgoingWriterOwner,
  ) {}

  /** Queues one encoded message; returns false when the writer is closed or just overflowed. */
  enqueue(message: Buffer): boolean {
    if (this.closed) return false;
    this.queue.push(message);
    this.queuedBytes += message.length;
    if (this.queuedBytes + this.transport.bufferedAmount > this.maxQueueBytes) {
      this.closed = true;
      this.queue = [];
      this.queuedBytes = 0;
      this.owner.writerOverflowed();
      return false;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      schedule(this);
    }
    return true;
  }

  /** Writes everything queued now. */
  flush(): void {
    this.scheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    const bytes = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    if (!this.transport.writable) return;
    if (queue.length <= maxBatchMessages && bytes <= maxBatchBytes) this.writeBatch(queue);
    else this.writeBatches(queue);
  }

  private writeBatches(queue: Buffer[]): void {
    let start = 0;
    while (start < queue.length) {
      let end = start;
      let bytes = 0;
      while (end < queue.length && end - start < maxBatchMessages) {
        const len = (queue[end] as Buffer).length;
        if (end > start && bytes + len > maxBatchBytes) break;
        bytes += len;
        end++;
      }
      this.writeBatch(queue.slice(start, end));
      start = end;
    }
  }

  private writeBatch(batch: Buffer[]): void {
    const written = this.transport.write(batch);
    this.owner.frameWritten(batch.length, written);
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
