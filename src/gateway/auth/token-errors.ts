/**
 * Errors thrown by token verification. `reason` is a short fixed text for logs and metrics
 * and never contains the token or any of its claims.
 */

/** The token is well-formed and correctly signed but `exp` has passed or `nbf` is ahead (reply 109). */
export class TokenExpiredError extends Error {
  constructor() {
    super('token expired');
    this.name = 'TokenExpiredError';
  }
}

/** The token cannot be trusted or used: malformed, bad signature, wrong algorithm, bad claims. */
export class InvalidTokenError extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(`invalid token: ${reason}`);
    this.name = 'InvalidTokenError';
    this.reason = reason;
  }
}

/**
 * A valid subscription token issued for another channel, user or client (Centrifugo closes
 * the connection with 3500 here, while other invalid subscription tokens get reply 103).
 */
export class TokenMismatchError extends InvalidTokenError {
  constructor(reason: 'channel mismatch' | 'user mismatch' | 'client mismatch') {
    super(reason);
    this.name = 'TokenMismatchError';
  }
}

/** The JWKS endpoint could not be reached or answered garbage: a temporary failure, not a bad token. */
export class TokenKeysUnavailableError extends Error {
  constructor() {
    super('token key set unavailable');
    this.name = 'TokenKeysUnavailableError';
  }
}
