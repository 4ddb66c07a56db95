/**
 * Every code the protocol puts on the wire: reply errors, unsubscribe codes and disconnect codes.
 *
 * Ranges (centrifuge `errors.go`, `unsubscribe.go`, `disconnect.go`):
 * - Reply errors: 0-399 reserved for the library, 400-1999 for applications. `temporary: true`
 *   makes the client retry (100, 111); other errors on connect are terminal for the client.
 * - Unsubscribe codes: 2000-2999 on the wire. Below 2500 the client ends the subscription;
 *   2500 and above make it resubscribe (with recovery when recoverable).
 * - Disconnect codes (WebSocket close code): 3000-3499 and 4000-4499 make the client reconnect;
 *   3500-3999 and 4500-4999 are terminal. Reasons are plain text (never JSON) of at most 123 bytes.
 */

import type { Error as ProtocolError } from './types.js';

export interface ErrorCode {
  readonly code: number;
  readonly message: string;
  readonly temporary: boolean;
}

export const Errors = {
  internal: { code: 100, message: 'internal server error', temporary: true },
  unauthorized: { code: 101, message: 'unauthorized', temporary: false },
  unknownChannel: { code: 102, message: 'unknown channel', temporary: false },
  permissionDenied: { code: 103, message: 'permission denied', temporary: false },
  methodNotFound: { code: 104, message: 'method not found', temporary: false },
  alreadySubscribed: { code: 105, message: 'already subscribed', temporary: false },
  limitExceeded: { code: 106, message: 'limit exceeded', temporary: false },
  badRequest: { code: 107, message: 'bad request', temporary: false },
  notAvailable: { code: 108, message: 'not available', temporary: false },
  tokenExpired: { code: 109, message: 'token expired', temporary: false },
  expired: { code: 110, message: 'expired', temporary: false },
  tooManyRequests: { code: 111, message: 'too many requests', temporary: true },
  unrecoverablePosition: { code: 112, message: 'unrecoverable position', temporary: false },
} as const satisfies Record<string, ErrorCode>;

export type ErrorName = keyof typeof Errors;

export interface DisconnectCode {
  readonly code: number;
  readonly reason: string;
}

export const Disconnects = {
  shutdown: { code: 3001, reason: 'shutdown' },
  internal: { code: 3004, reason: 'internal server error' },
  connectionExpired: { code: 3005, reason: 'connection expired' },
  subscriptionExpired: { code: 3006, reason: 'subscription expired' },
  slow: { code: 3008, reason: 'slow' },
  writeError: { code: 3009, reason: 'write error' },
  insufficientState: { code: 3010, reason: 'insufficient state' },
  forceReconnect: { code: 3011, reason: 'force reconnect' },
  noPong: { code: 3012, reason: 'no pong' },
  tooManyRequests: { code: 3013, reason: 'too many requests' },
  invalidToken: { code: 3500, reason: 'invalid token' },
  badRequest: { code: 3501, reason: 'bad request' },
  stale: { code: 3502, reason: 'stale' },
  forceDisconnect: { code: 3503, reason: 'force disconnect' },
  connectionLimit: { code: 3504, reason: 'connection limit' },
  channelLimit: { code: 3505, reason: 'channel limit' },
  inappropriateProtocol: { code: 3506, reason: 'inappropriate protocol' },
  permissionDenied: { code: 3507, reason: 'permission denied' },
  notAvailable: { code: 3508, reason: 'not available' },
  tooManyErrors: { code: 3509, reason: 'too many errors' },
} as const satisfies Record<string, DisconnectCode>;

export type DisconnectName = keyof typeof Disconnects;

export interface UnsubscribeCode {
  readonly code: number;
  readonly reason: string;
}

export const Unsubscribes = {
  server: { code: 2000, reason: 'server unsubscribe' },
  insufficientState: { code: 2500, reason: 'insufficient state' },
  expired: { code: 2501, reason: 'subscription expired' },
} as const satisfies Record<string, UnsubscribeCode>;

/** True when a client receiving this close code must not reconnect. */
export function isTerminalDisconnect(code: number): boolean {
  return (code >= 3500 && code <= 3999) || (code >= 4500 && code <= 4999);
}

/**
 * An error raised while handling a command; the gateway turns it into a reply error.
 * `message` may be more specific than the catalogue's (e.g. what is wrong with a publish).
 */
export class ReplyError extends globalThis.Error {
  readonly code: number;
  readonly temporary: boolean;
  constructor(kind: ErrorCode, message?: string) {
    super(message ?? kind.message);
    this.name = 'ReplyError';
    this.code = kind.code;
    this.temporary = kind.temporary;
  }

  toProtocol(): ProtocolError {
    return this.temporary ? { code: this.code, message: this.message, temporary: true } : { code: this.code, message: this.message };
  }
}

/** A condition that ends the connection with a close code. */
export class DisconnectError extends globalThis.Error {
  readonly code: number;
  readonly reason: string;
  constructor(kind: DisconnectCode, reason?: string) {
    super(reason ?? kind.reason);
    this.name = 'DisconnectError';
    this.code = kind.code;
    this.reason = reason ?? kind.reason;
  }
}
