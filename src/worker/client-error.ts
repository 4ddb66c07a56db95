/**
 * The error a handler throws to refuse a client's message with an application code: the client's
 * publish (in a `publish_mode: "handled"` namespace) or rpc rejects with exactly this code, message
 * and `temporary` flag. Not retried and not dead-lettered: the verdict is final for this message.
 */

import { ReplyError } from '../protocol/index.js';

/** Reply error codes the protocol leaves to applications (0-399 are the library's). */
export const CLIENT_ERROR_MIN_CODE = 400;
export const CLIENT_ERROR_MAX_CODE = 1999;

export interface ClientErrorOptions {
  /** The client may retry the same message later; omitted: false. */
  temporary?: boolean;
}

export class ClientError extends ReplyError {
  /** `code`: an integer from 400 to 1999, else a RangeError; `message`: shown to the client. */
  constructor(code: number, message: string, options: ClientErrorOptions = {}) {
    if (!Number.isInteger(code) || code < CLIENT_ERROR_MIN_CODE || code > CLIENT_ERROR_MAX_CODE) {
      throw new RangeError(`ClientError code must be an integer from ${CLIENT_ERROR_MIN_CODE} to ${CLIENT_ERROR_MAX_CODE} (got ${code})`);
    }
    super({ code, message, temporary: options.temporary ?? false }, message);
    this.name = 'ClientError';
  }
}
