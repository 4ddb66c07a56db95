/**
 * What a gateway hands to the pipeline for a worker: a client publication, a `send` or an `rpc`.
 * The stream entry schema (versioned, readable from any language) is documented in docs/stream-schema.md.
 */

import type { ChannelName, ClientId, UserId } from '../protocol/index.js';

export type WorkerId = string;
export type MessageId = string;
export type MessageKind = 'publish' | 'send' | 'rpc';

export interface StreamMessage {
  /** Unique id for de-duplication (at-least-once delivery). */
  id: MessageId;
  kind: MessageKind;
  /** The publication's channel; for send/rpc the routing key (`user:<id>` or `client:<id>`). */
  channel: ChannelName;
  /** UTF-8 JSON text of the payload as the client sent it. */
  data: string;
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
  /** Kind rpc: node id of the gateway waiting for the reply (schema field `reply_to`). */
  replyTo?: string;
}

/** What the gateway needs from the pipeline: durable acceptance of client messages and RPC round trips. */
export interface MessagePipeline {
  /** Resolves once the message is durably accepted (e.g. XADD acknowledged); rejects if it cannot be. */
  submit(message: Omit<StreamMessage, 'id' | 'node' | 'ts'>): Promise<void>;
  /** Routes an rpc to a worker and resolves with its reply data (JSON text); rejects on timeout. */
  rpc(message: Omit<StreamMessage, 'id' | 'node' | 'ts'>, timeoutMs: number): Promise<string>;
  start(): Promise<void>;
  close(): Promise<void>;
}
