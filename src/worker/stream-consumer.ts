/**
 * Consumes one worker stream for this process: first the stream's pending entries (claimed from
 * whichever consumer had them), then new ones in batches; hands entries to per-channel lanes and
 * acknowledges finished ones in batches. Used for the worker's own stream and for taken-over ones.
 */

import type { Logger } from 'pino';
import { StreamLockLostError, type QueueEntry, type StreamQueue, type WorkerId } from '../queue/index.js';
import { ChannelLanes } from './channel-lanes.js';

/** 'ack': finished, acknowledge it. 'settled': finished, acknowledged elsewhere (dead-lettered, or once its publications are stored). 'abandon': leave it pending. */
export type EntryOutcome = 'ack' | 'settled' | 'abandon';

export interface StreamConsumerOptions {
  queue: StreamQueue;
  /** Whose stream. */
  stream: WorkerId;
  /** Consumer name in the group: this worker's id. */
  consumer: string;
  /**
   * The stream lock's holder token ({@link StreamQueue.claimStream}). Every read of new entries and
   * every claim of pending ones is fenced on it, so once another process holds the lock this one
   * takes no entry the other cannot see.
   */
  holder: string;
  batchSize: number;
  concurrency: number;
  blockMs: number;
  process: (entry: QueueEntry, consumer: StreamConsumer) => Promise<EntryOutcome>;
  logger: Logger;
  onRedisError: () => void;
  /** Min time between trims of acknowledged entries, ms. */
  trimIntervalMs: number;
}

const ackDelayMs = 5;
/** Pause after a read that returned some but fewer than a batch of entries, ms. */
const readPauseMs = 2;

export class StreamConsumer {
  readonly stream: WorkerId;
  private readonly o: StreamConsumerOptions;
  private readonly lanes: ChannelLanes<QueueEntry>;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private acks: string[] = [];
  private ackTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private lastTrim = 0;
  /** Entries whose handler finished while their publications were still being stored. */
  private readonly storing = new Set<Promise<void>>();
  /** A publication of a finished entry failed: re-read the pending list before reading on. */
  private rereadPending = false;
  /** Set once every pending entry found at start has been handed to the lanes. */
  caughtUp = false;
  /** Time of the last read that returned nothing new (the stream looked drained). */
  lastEmptyReadAt = 0;

  constructor(options: StreamConsumerOptions) {
    this.o = options;
    this.stream = options.stream;
    this.lanes = new ChannelLanes(options.concurrency, options.batchSize * 2, (entry) => this.run(entry));
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  start(): void {
    this.loop ??= this.consume();
  }

  /** Stops reading, lets in-flight handlers finish, flushes acknowledgements. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.o.queue.stopReading(this.o.stream);
    await this.loop;
    await this.lanes.idle();
    await this.stored();
    await this.flushAcks();
  }

  /**
   * Acknowledges an entry whose handler has finished once `stored` resolves (its publications are
   * in the broker); if it rejects, the entry stays pending and the pending list is read again.
   */
  ackWhenStored(entryId: string, stored: Promise<void>): void {
    const done = stored
      .then(
        () => this.ack(entryId),
        (err: unknown) => {
          this.o.onRedisError();
          this.o.logger.warn({ err, stream: this.stream, entryId }, 'publication of a handled entry failed; re-reading pending entries');
          this.rereadPending = true;
        },
      )
      .finally(() => this.storing.delete(done));
    this.storing.add(done);
  }

  private async stored(): Promise<void> {
    while (this.storing.size > 0) await Promise.all([...this.storing]);
  }

  private async run(entry: QueueEntry): Promise<boolean> {
    if (this.stopping) return false;
    if (!(await this.handOff(entry))) return false;
    let outcome: EntryOutcome;
    try {
      outcome = await this.o.process(entry, this);
    } catch (err) {
      this.o.logger.error({ err, stream: this.stream, entryId: entry.entryId }, 'entry processing failed');
      outcome = 'abandon';
    }
    if (outcome === 'ack') this.ack(entry.entryId);
    return outcome !== 'abandon';
  }

  /**
   * The hand-off fence: an entry whose channel's previous message went to another stream waits
   * until that entry is handled, so a channel that moved (worker joined, left, retired) keeps its
   * order. Gives up after {@link handOffMaxWaitMs} (logged): a stream nobody consumes must not stop
   * the channel for good. Resolves false when stopping.
   */
  private async handOff(entry: QueueEntry): Promise<boolean> {
    const after = entry.message?.after;
    if (after === undefined || after.worker === this.o.stream) return true;
    const started = Date.now();
    for (let delay = 5; !this.stopping; delay = Math.min(delay * 2, 100)) {
      try {
        if (await this.o.queue.isHandled(after.worker, after.entryId)) return true;
      } catch {
        this.o.onRedisError();
      }
      if (Date.now() - started >= handOffMaxWaitMs) {
        this.o.logger.warn(
          { stream: this.stream, entryId: entry.entryId, after },
          "hand-off: the channel's previous entry was not handled in time; going on (order may break)",
        );
        return true;
      }
      await sleep(delay);
    }
    return false;
  }

  private ack(entryId: string): void {
    this.acks.push(entryId);
    if (this.acks.length >= this.o.batchSize) void this.flushAcks();
    else this.ackTimer ??= setTimeout(() => void this.flushAcks(), ackDelayMs);
  }

  private flushAcks(): Promise<void> {
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    const ids = this.acks;
    this.acks = [];
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.o.queue.ackMessages(this.o.stream, ids);
          break;
        } catch (err) {
          this.o.onRedisError();
          // Unacknowledged entries are only redelivered (at-least-once), so give up when stopping.
          if (this.stopping && attempt >= 3) {
            this.o.logger.warn({ err, stream: this.stream, count: ids.length }, 'acknowledgements not written');
            return;
          }
          await sleep(Math.min(100 * 2 ** attempt, 2000));
        }
      }
      if (Date.now() - this.lastTrim >= this.o.trimIntervalMs) {
        this.lastTrim = Date.now();
        await this.o.queue.trimAcknowledged(this.o.stream).catch(() => this.o.onRedisError());
      }
    });
    return this.flushing;
  }

  private async readNewWithDeadline(): Promise<QueueEntry[]> {
    const { queue, stream, consumer, batchSize, blockMs, holder } = this.o;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'lost'>((resolve) => {
      timer = setTimeout(() => resolve('lost'), blockMs + readGraceMs);
    });
    const read = queue.readNew(stream, consumer, batchSize, blockMs, holder);
    try {
      const result = await Promise.race([read, deadline]);
      if (result !== 'lost') return result;
    } finally {
      clearTimeout(timer);
    }
    read.catch(() => undefined);
    // The read may have been dropped by a reconnect after Redis executed it: its entries would be
    // pending without our knowing. Reset the reading connection; the caller re-reads the pending list.
    await queue.stopReading(stream);
    throw new Error('blocking read lost (no reply in time)');
  }

  // Long on purpose: one read loop whose phases (setup, pending, new) share the failure count and backoff.
  private async consume(): Promise<void> {
    const { queue, stream, consumer, batchSize, holder } = this.o;
    let failures = 0;
    let phase: 'setup' | 'pending' | 'new' = 'setup';
    let after = '0';
    while (!this.stopping) {
      try {
        if (phase === 'setup') {
          await queue.ensureGroup(stream);
          await queue.claimPending(stream, consumer, holder);
          phase = 'pending';
          after = '0';
        }
        await this.lanes.room();
        if (this.stopping) break;
        if (this.rereadPending) {
          this.rereadPending = false;
          await this.lanes.idle();
          await this.stored();
          await this.flushAcks();
          phase = 'setup';
          continue;
        }
        if (phase === 'pending') {
          const entries = await queue.readPending(stream, consumer, after, batchSize);
          for (const e of entries) this.lanes.push(e.message?.channel ?? '', e);
          const last = entries[entries.length - 1];
          if (last === undefined) {
            phase = 'new';
            this.caughtUp = true;
          } else {
            after = last.entryId;
          }
        } else {
          const entries = await this.readNewWithDeadline();
          if (entries.length === 0) this.lastEmptyReadAt = Date.now();
          for (const e of entries) this.lanes.push(e.message?.channel ?? '', e);
          // Under a steady stream a blocking read returns as soon as one entry is there: a short pause
          // lets entries accumulate, so reads, publish batches and writes carry many entries each.
          if (entries.length > 0 && entries.length < batchSize) await sleep(readPauseMs);
        }
        failures = 0;
      } catch (err) {
        if (this.stopping) break;
        failures++;
        if (err instanceof StreamLockLostError) {
          // Another process holds the stream now (our lock expired): read nothing more. The worker's
          // next lock renewal stops this consumer, or gets the lock back if nobody took it.
          if (failures === 1) this.o.logger.warn({ stream }, 'stream lock not held, reads fenced off');
        } else {
          this.o.onRedisError();
          if (failures === 1 || failures % 20 === 0) this.o.logger.warn({ err, stream, failures }, 'stream read failed, retrying');
        }
        await sleep(Math.min(50 * 2 ** Math.min(failures, 6), 2000));
        // A failed read may still have been executed (entries now pending for us but never seen):
        // finish what is buffered, then start over from the pending list, which keeps channel order.
        await this.lanes.idle();
        await this.stored();
        await this.flushAcks();
        phase = 'setup';
      }
    }
  }
}

/** Longest wait of the hand-off fence for another stream's entry. */
const handOffMaxWaitMs = 60_000;

/** Extra time a blocking read may take beyond its BLOCK before it counts as lost (dropped by a reconnect). */
const readGraceMs = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
