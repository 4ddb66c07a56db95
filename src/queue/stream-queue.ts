/**
 * Per-worker durable message streams with one consumer group each: what gateways append to and
 * workers consume from. Twins: `RedisStreamQueue` (Redis Streams) and `MemoryStreamQueue`.
 * Every method addresses a stream by the id of the worker that owns it.
 */

import type { MessageId, StreamMessage, WorkerId } from './message.js';

/** One entry as delivered to a consumer. */
export interface QueueEntry {
  /** Stream entry id (`<ms>-<seq>`); the order within the stream. */
  entryId: string;
  /** null: the entry is not a valid v1 message or was trimmed while pending; ack or dead-letter it. */
  message: StreamMessage | null;
  /** Times the entry has been delivered, this delivery included (1 on the first read). */
  deliveries: number;
}

export interface StreamInfo {
  /** Entries in the stream (acknowledged ones not yet trimmed included). */
  length: number;
  /** Entries not yet delivered to the consumer group. */
  lag: number;
  /** Entries delivered but not acknowledged. */
  pending: number;
}

export interface DeadLetter {
  entryId: string;
  /** Id of the entry in the worker's stream. */
  sourceEntryId: string;
  message: StreamMessage | null;
  error: string;
  attempts: number;
  /** Unix ms. */
  deadAt: number;
}

/** A worker's answer to an rpc, sent to the gateway node named in `reply_to`. */
export interface RpcReply {
  id: MessageId;
  /** JSON text of the result (success). */
  data?: string;
  error?: { code: number; message: string; temporary?: boolean };
}

export interface StreamQueue {
  start(): Promise<void>;
  close(): Promise<void>;
  /** Appends durably; resolves with the entry id once the store accepted it. */
  appendMessage(worker: WorkerId, message: StreamMessage): Promise<string>;
  /** True once the entry was delivered to the consumer group and is no longer pending (or the stream is gone): the hand-off fence. */
  isHandled(worker: WorkerId, entryId: string): Promise<boolean>;
  /** Creates the stream's consumer group (reading from the stream's start) if it does not exist. */
  ensureGroup(worker: WorkerId): Promise<void>;
  /**
   * Up to `count` never-delivered entries, waiting up to `blockMs` (0: do not wait) for the first.
   * With `holder`, fenced: entries are taken only while `holder` has the stream's lock
   * ({@link claimStream}), checked atomically with the read; otherwise it rejects with a
   * `StreamLockLostError` and takes nothing.
   */
  readNew(worker: WorkerId, consumer: string, count: number, blockMs: number, holder?: string): Promise<QueueEntry[]>;
  /** Up to `count` entries pending for `consumer` with ids after `afterEntryId` ('0': from the start), in order. */
  readPending(worker: WorkerId, consumer: string, afterEntryId: string, count: number): Promise<QueueEntry[]>;
  /** Makes `consumer` the owner of every pending entry of the stream; resolves with how many moved. With `holder`, fenced as {@link readNew}. */
  claimPending(worker: WorkerId, consumer: string, holder?: string): Promise<number>;
  ackMessages(worker: WorkerId, entryIds: readonly string[]): Promise<void>;
  /** Atomically copies the entry to the dead-letter stream (with error and attempts) and acknowledges it. */
  moveToDeadLetter(worker: WorkerId, entryId: string, error: string, attempts: number): Promise<void>;
  /** Trims acknowledged entries: never one that is pending or not yet delivered. */
  trimAcknowledged(worker: WorkerId): Promise<void>;
  streamInfo(worker: WorkerId): Promise<StreamInfo>;
  /** Up to `count` dead letters of the worker's stream, oldest first, after `afterEntryId` (omitted: from the first). */
  readDeadLetters(worker: WorkerId, count: number, afterEntryId?: string): Promise<DeadLetter[]>;
  /** Number of dead letters kept for the worker's stream. */
  countDeadLetters(worker: WorkerId): Promise<number>;
  /**
   * Appends each named dead letter's message again, as a new entry at the end of `target`'s stream
   * (omitted: the same worker's), with its original message id so handlers can de-duplicate, and
   * removes the dead letter; both atomically per entry. Unknown ids and undecodable entries are
   * skipped. 'all': every dead letter there is when the call starts. Resolves with how many moved.
   */
  replayDeadLetters(worker: WorkerId, entryIds: readonly string[] | 'all', target?: WorkerId): Promise<number>;
  /** Deletes the named dead letters ('all': every one); resolves with how many were deleted. */
  purgeDeadLetters(worker: WorkerId, entryIds: readonly string[] | 'all'): Promise<number>;
  /** Takes (or renews, if `holder` has it) the exclusive right to consume the stream for `ttlMs`. */
  claimStream(worker: WorkerId, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the right up if `holder` has it. */
  releaseStream(worker: WorkerId, holder: string): Promise<void>;
  /** Deletes the stream if every entry was delivered and acknowledged; true if it is gone. */
  dropDrainedStream(worker: WorkerId): Promise<boolean>;
  /** Frees resources held for blocking reads of this stream (call when a consumer stops). */
  stopReading(worker: WorkerId): Promise<void>;
  sendReply(nodeId: string, reply: RpcReply): Promise<void>;
  /** Delivers replies addressed to `nodeId`; resolves with an unsubscribe. */
  subscribeReplies(nodeId: string, handler: (reply: RpcReply) => void): Promise<() => Promise<void>>;
}
