/**
 * The last step of a client publish: hand the message to the worker pool that owns the channel's
 * namespace. `publish_mode: "append"` settles once it is durably stored; "handled" once the owning
 * worker's handler returned (rejecting with its ClientError), or with a temporary error after
 * `publish_timeout` (default RPC_TIMEOUT) while the message stays queued and is still handled.
 */

import type { ChannelOptions } from '../config/index.js';
import type { MessagePipeline, StreamMessage, SubmitOptions } from '../queue/index.js';

type SubmittedMessage = Omit<StreamMessage, 'id' | 'node' | 'ts'>;

/** Issues the append before returning (appends leave in command order); the promise is the reply. */
export function submitPublication(
  pipeline: MessagePipeline,
  message: SubmittedMessage,
  options: ChannelOptions,
  rpcTimeoutMs: number,
): Promise<void> {
  if (options.publishMode !== 'handled') {
    return options.workerPool === 'default' ? pipeline.submit(message) : pipeline.submit(message, { pool: options.workerPool });
  }
  const submit: SubmitOptions = { pool: options.workerPool, verdictTimeoutMs: options.publishTimeoutMs || rpcTimeoutMs };
  return pipeline.submit(message, submit);
}
