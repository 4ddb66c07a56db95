/** Public types of the worker SDK: handler, context, options. */

import type { Logger } from 'pino';
import type { WorkerMetrics } from '../metrics/index.js';
import type { ChannelName, ClientInfo, UserId } from '../protocol/index.js';
import type { StreamInfo, StreamMessage, StreamQueue, WorkerId } from '../queue/index.js';
import type { WorkerRegistry } from '../routing/index.js';
import type { Publisher } from './publisher.js';

/** An rpc's answer: JSON text. */
export type RpcReplyData = string;

export interface WorkerContext {
  workerId: WorkerId;
  /** Whose stream the message came from (differs from workerId during a takeover). */
  stream: WorkerId;
  /** Stream entry id. */
  entryId: string;
  /** 1 on the first try; counts redeliveries and retries. */
  attempt: number;
  /** Publishes to a channel through the broker (string: UTF-8 JSON text). */
  publish(channel: ChannelName, data: string | Uint8Array, options?: { info?: ClientInfo }): Promise<void>;
  /**
   * Publishes without waiting for the broker: the publication is issued now, after anything
   * published before it, and the handler goes on (so a channel's next message is handled without a
   * Redis round trip in between). The entry is acknowledged only once the broker stored every such
   * publication; if one fails, the entry stays pending and the worker re-reads its pending entries
   * (at-least-once; the redelivered message then follows messages handled after it).
   */
  publishNoWait(channel: ChannelName, data: string | Uint8Array, options?: { info?: ClientInfo }): void;
  /** Publishes to the user's personal channel (`user:<id>`). */
  publishToUser(userId: UserId, data: string | Uint8Array): Promise<void>;
  /** Answers an rpc (JSON text); throws for other kinds. Returning a string from the handler does the same. */
  reply(data: RpcReplyData): Promise<void>;
}

/**
 * Handles one message. Resolve: done (acknowledged); in a `publish_mode: "handled"` namespace the
 * client's publish then succeeds. Throw a `ClientError`: the message is refused (acknowledged,
 * not retried) and a waiting client (handled publish, rpc) gets exactly that error. Throw anything
 * else: retried with backoff, dead-lettered after `maxAttempts` (a waiting handled publish gets
 * `internal`); for an rpc the error is sent as the reply instead (a `ReplyError`'s code and message
 * are kept, anything else becomes `internal`) and it is not retried.
 */
export type MessageHandler = (msg: StreamMessage, ctx: WorkerContext) => Promise<void | RpcReplyData>;

export interface ProcessedInfo {
  /** Gateway accept to handled, ms. */
  latencyMs: number;
  /** Handler run time of the successful attempt, ms. */
  durationMs: number;
  attempt: number;
  stream: WorkerId;
}

export interface WorkerOptions {
  /** Worker id (validated: 1-64 of `[A-Za-z0-9_.-]`), unique across pools; its stream is `messages:worker:<id>`. */
  id: WorkerId;
  /** The streams the worker consumes (composeRedisPipeline's, or MemoryStreamQueue); not closed by the worker. */
  queue: StreamQueue;
  /** The registry of the worker's pool (it decides the pool); not closed by the worker. */
  registry: WorkerRegistry;
  handler: MessageHandler;
  publisher: Publisher;
  /** Channels handled at the same time; 0/omitted: 16. */
  concurrency?: number;
  /** Entries read (and acknowledged) per round trip; 0/omitted: 100. */
  batchSize?: number;
  /** Attempts before a message goes to the dead-letter stream; 0/omitted: 5. */
  maxAttempts?: number;
  /** Delay before retry number `attempt` (1-based), ms; omitted: 100 * 2^(attempt-1) capped at 5000, ±20% jitter. */
  backoff?: (attempt: number) => number;
  logger?: Logger;
  metrics?: WorkerMetrics;
  /** Called after each successful message (for stats). */
  onProcessed?: (msg: StreamMessage, info: ProcessedInfo) => void;
  /** Heartbeat and supervision period, ms; 0/omitted: 1000. */
  heartbeatMs?: number;
  /** A member without a heartbeat for this long is dead and its stream may be taken over, ms; 0/omitted: 5000. */
  deadAfterMs?: number;
  /** Expiry of a stream lock not renewed (kill -9 detection), ms; 0/omitted: deadAfterMs. */
  lockTtlMs?: number;
  /** A member dead this long is deregistered (its channels move; its stream is drained); 0: never. Omitted: 1 h. */
  retireAfterMs?: number;
  /** A deregistered worker's stream is deleted only after this long (gateways' route caches expired), ms; omitted: 60000. */
  orphanGraceMs?: number;
  /** Take over dead and deregistered workers' streams; omitted: true. */
  takeover?: boolean;
  /** Prefix of user channels for `publishToUser`; omitted: 'user:'. */
  userChannelPrefix?: string;
}

export interface Worker {
  readonly id: WorkerId;
  /** Registers, starts heartbeats and consuming; resolves once registered. */
  start(): Promise<void>;
  /** Deregisters, stops reading, finishes in-flight handlers, acknowledges, releases streams. */
  close(): Promise<void>;
  /** Length, lag and pending of the worker's own stream. */
  info(): Promise<StreamInfo>;
  /** Streams this process consumes now (its own and taken-over ones). */
  consumedStreams(): WorkerId[];
}
