/** The base of every error class of realtime-message that something may act on: it carries a stable `code`. */

import type { ErrorCode } from './error-codes.js';

export class RealtimeError extends Error {
  /** One of {@link ErrorCodes}: compare this, never the message. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True when `err` is a {@link RealtimeError} with `code`. */
export function hasErrorCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof RealtimeError && err.code === code;
}
