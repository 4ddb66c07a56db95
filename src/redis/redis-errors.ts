/** Errors of the Redis layer, each with a stable `code` (see docs/errors.md). */

export const redisErrorCodes = {
  /** A script was called with a number of keys other than the one it declares. */
  SCRIPT_KEY_COUNT: 'ERR_REDIS_SCRIPT_KEY_COUNT',
  /** Redis answered with a reply of a shape the caller does not expect. */
  UNEXPECTED_REPLY: 'ERR_REDIS_UNEXPECTED_REPLY',
  /** A key prefix, worker id or pool name that would break key names. */
  INVALID_KEY_PART: 'ERR_REDIS_INVALID_KEY_PART',
  /** The ioredis client lacks a command the layer relies on (the Buffer-reply EVAL twins). */
  UNSUPPORTED_CLIENT: 'ERR_REDIS_UNSUPPORTED_CLIENT',
  /** Connection settings that cannot work (a Cluster seed list that is empty, not redis://, or names a database). */
  INVALID_TARGET: 'ERR_REDIS_INVALID_TARGET',
} as const;

export type RedisErrorKind = keyof typeof redisErrorCodes;
export type RedisErrorCode = (typeof redisErrorCodes)[RedisErrorKind];

/** An error raised by the Redis layer itself (errors from Redis are passed on as ioredis raises them). */
export class RedisLayerError extends TypeError {
  readonly code: RedisErrorCode;

  constructor(kind: RedisErrorKind, message: string) {
    super(message);
    this.name = 'RedisLayerError';
    this.code = redisErrorCodes[kind];
  }
}
