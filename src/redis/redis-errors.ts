/** Errors of the Redis layer, each with a stable `code` from the catalogue (see docs/errors.md). */

import { ErrorCodes, RealtimeError } from '../errors/index.js';

/** The Redis layer's part of {@link ErrorCodes}, by kind. */
export const redisErrorCodes = {
  SCRIPT_KEY_COUNT: ErrorCodes.REDIS_SCRIPT_KEY_COUNT,
  UNEXPECTED_REPLY: ErrorCodes.REDIS_UNEXPECTED_REPLY,
  INVALID_KEY_PART: ErrorCodes.REDIS_INVALID_KEY_PART,
  UNSUPPORTED_CLIENT: ErrorCodes.REDIS_UNSUPPORTED_CLIENT,
  INVALID_TARGET: ErrorCodes.REDIS_INVALID_TARGET,
} as const;

export type RedisErrorKind = keyof typeof redisErrorCodes;
export type RedisErrorCode = (typeof redisErrorCodes)[RedisErrorKind];

/** An error raised by the Redis layer itself (errors from Redis are passed on as ioredis raises them). */
export class RedisLayerError extends RealtimeError {
  declare readonly code: RedisErrorCode;

  constructor(kind: RedisErrorKind, message: string) {
    super(redisErrorCodes[kind], message);
  }
}
