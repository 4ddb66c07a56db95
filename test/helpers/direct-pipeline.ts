/**
 * A MessagePipeline without workers: client publications go straight to their channel with the
 * publisher's ClientInfo, `send` is dropped and `rpc` has no methods. Test helper: stands in for the stream
 * pipeline where a test needs no workers.
 */

import type { ChannelPublisher } from '../../src/engine/index.js';
import type { MessagePipeline, StreamMessage } from '../../src/queue/index.js';
import { Errors, ReplyError, type ClientInfo } from '../../src/protocol/index.js';

const encoder = new TextEncoder();

export class DirectPipeline implements MessagePipeline {
  constructor(private readonly publisher: ChannelPublisher) {}

  async submit(message: Omit<StreamMessage, 'id' | 'node' | 'ts'>): Promise<void> {
    if (message.kind !== 'publish') return;
    const info: ClientInfo = { user: message.user, client: message.client };
    if (message.connInfo !== undefined) info.conn_info = encoder.encode(message.connInfo);
    const data = message.dataEncoding === 'base64' ? new Uint8Array(Buffer.from(message.data, 'base64')) : message.data;
    await this.publisher.publish(message.channel, data, { info });
  }

  async rpc(_message: Omit<StreamMessage, 'id' | 'node' | 'ts'>, _timeoutMs: number): Promise<string> {
    throw new ReplyError(Errors.methodNotFound);
  }

  async start(): Promise<void> {}

  async close(): Promise<void> {}
}
