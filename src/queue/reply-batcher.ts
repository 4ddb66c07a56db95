/** Rpc replies on pub/sub: the per-tick batcher that publishes them and the decoder of what a subscriber receives. */

import type { RpcReply } from './stream-queue.js';
import type { PipelineKeys, RedisConnection } from '../redis/index.js';

export class ReplyBatcher {
  /** Replies waiting for the end of this tick, by node id. */
  private readonly replyBatches = new Map<string, { replies: RpcReply[]; sent: Promise<void> }>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly keys: PipelineKeys,
  ) {}

  /**
   * Replies sent to one node in the same event-loop tick go out as one PUBLISH (a JSON array when
   * there are several, in the order they were sent); each call resolves once its batch is published.
   */
  send(nodeId: string, reply: RpcReply): Promise<void> {
    let batch = this.replyBatches.get(nodeId);
    if (batch === undefined) {
      const replies: RpcReply[] = [];
      const sent = new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          this.replyBatches.delete(nodeId);
          const text = replies.length === 1 ? JSON.stringify(replies[0]) : JSON.stringify(replies);
          this.redis.publish(this.keys.rpcReplies(nodeId), text).then(() => resolve(), reject);
        });
      });
      batch = { replies, sent };
      this.replyBatches.set(nodeId, batch);
    }
    batch.replies.push(reply);
    return batch.sent;
  }
}

function isReply(v: unknown): v is RpcReply {
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';
}

/** Decoder boundary for reply payloads from pub/sub: one reply object, or an array of them (a batch); malformed parts are dropped. */
export function parseReplies(text: string): RpcReply[] {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v)) return v.filter(isReply);
    return isReply(v) ? [v] : [];
  } catch {
    return [];
  }
}
