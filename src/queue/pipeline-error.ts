/** Why the pipeline could not accept a message or complete an rpc; always temporary (the client may retry). */

import { Errors, ReplyError } from '../protocol/index.js';

export type PipelineErrorReason = 'unavailable' | 'no_workers' | 'rpc_timeout' | 'verdict_timeout' | 'closed';

/** A temporary `internal` (100) reply error with a stable `reason`. */
export class PipelineError extends ReplyError {
  readonly reason: PipelineErrorReason;

  constructor(reason: PipelineErrorReason, message: string, options?: { cause?: unknown }) {
    super(Errors.internal, message);
    this.name = 'PipelineError';
    this.reason = reason;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
