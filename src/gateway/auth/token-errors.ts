/**
 * Errors thrown by token verification (ERR_TOKEN_*). `reason` is a short fixed text for logs and
 * metrics and never contains the token or any of its claims.
 */

import { ErrorCodes, RealtimeError, type ErrorCode } from '../../errors/index.js';

/** The token is well-formed and correctly signed but `exp` has passed or `nbf` is ahead (reply 109). */
export class TokenExpiredError extends RealtimeError {
  constructor() {
    super(ErrorCodes.TOKEN_EXPIRED, 'token expired');
  }
}

/** The token cannot be trusted or used: malformed, bad signature, wrong algorithm, bad claims. */
export class InvalidTokenError extends RealtimeError {
  readonly reason: string;
  constructor(reason: string, code: ErrorCode = ErrorCodes.TOKEN_INVALID) {
    super(code, `invalid token: ${reason}`);
    this.reason = reason;
  }
}

/**
 * A valid subscription token issued for another channel, user or client (Centrifugo closes
 * the connection with 3500 here, while other invalid subscription tokens get reply 103).
 */
export class TokenMismatchError extends InvalidTokenError {
  constructor(reason: 'channel mismatch' | 'user mismatch' | 'client mismatch') {
    super(reason, ErrorCodes.TOKEN_MISMATCH);
  }
}

/** The JWKS endpoint could not be reached or answered garbage: a temporary failure, not a bad token. */
export class TokenKeysUnavailableError extends RealtimeError {
  constructor() {
    super(ErrorCodes.TOKEN_KEYS_UNAVAILABLE, 'token key set unavailable');
  }
}
