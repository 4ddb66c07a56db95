/**
 * What a gateway hands to the pipeline for a worker: a client publication, a `send` or an `rpc`.
 * The stream entry schema (versioned, readable from any language) is documented in docs/stream-schema.md.
 */

import type { ChannelName, ClientId, UserId } from '../protocol/index.js';
import type { WorkerId } from '../redis/index.js';

export type { WorkerId };
export type MessageId = string;
export type MessageKind = 'publish' | 'send' | 'rpc';

export interface StreamMessage {
  /** Unique id for de-duplication (at-least-once delivery). */
  id: MessageId;
  kind: MessageKind;
  /** The publication's channel; for send/rpc the routing key (`user:<id>` or `client:<id>`). */
  channel: ChannelName;
  /**
   * The payload as the client sent it: JSON text (namespaces with `publish_data` "text" or "json",
   * and every send/rpc); with "any" the bytes as UTF-8 text, or base64 when `dataEncoding` says so.
   */
  data: string;
  /** 'base64': `data` is the base64 of bytes that are not valid UTF-8 (schema field `data_encoding`). */
  dataEncoding?: 'base64';
  user: UserId;
  client: ClientId;
  /** Gateway node id that accepted it. */
  node: string;
  /** Accept time, Unix ms. */
  ts: number;
  /** Connection info JSON text from the client's token, if any. */
  connInfo?: string;
  /** RPC method (kind rpc). */
  method?: string;
  /**
   * Node id of the gateway waiting for the reply (schema field `reply_to`): kind rpc, and kind
   * publish in a `publish_mode: "handled"` namespace (the reply is the handler's verdict).
   */
  replyTo?: string;
  /**
   * Hand-off fence (schema fields `after_worker`, `after_id`): the channel's previous message went
   * to another worker's stream, as that entry; this one is not handled before that entry is.
   * Set by the gateway's append when a channel's route changed; a worker in another language may
   * ignore it (and then loses per-channel order while the worker set changes).
   */
  after?: { worker: string; entryId: string };
}

/** How the pipeline takes one message. */
export interface SubmitOptions {
  /** The worker pool that owns the channel's namespace (namespace option `worker_pool`); omitted: the default pool. */
  pool?: string;
  /**
   * Handled mode: settle only once the owning worker's handler returned (reject with its
   * ClientError), waiting at most this long, ms (then a temporary error; the message stays queued
   * and is still handled). Omitted: append mode, settle once the message is durably stored.
   */
  verdictTimeoutMs?: number;
}

/** What the gateway needs from the pipeline: durable acceptance of client messages and RPC round trips. */
export interface MessagePipeline {
  /** Resolves once the message is durably accepted (e.g. XADD acknowledged); rejects if it cannot be. */
  submit(message: Omit<StreamMessage, 'id' | 'node' | 'ts'>, options?: SubmitOptions): Promise<void>;
  /** Routes an rpc to a worker and resolves with its reply data (JSON text); rejects on timeout. */
  rpc(message: Omit<StreamMessage, 'id' | 'node' | 'ts'>, timeoutMs: number): Promise<string>;
  start(): Promise<void>;
  close(): Promise<void>;
}
