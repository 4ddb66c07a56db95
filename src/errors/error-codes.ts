/**
 * The catalogue of stable error codes of realtime-message (docs/errors.md lists them with what to
 * do about each). A code never changes meaning; new ones are added, retired ones are not reused.
 * Errors at the protocol edge carry a Centrifuge code instead (ReplyError, DisconnectError).
 */

export const ErrorCodes = {
  /** The configuration (env, config file) has problems; `problems` lists them. */
  CONFIG_INVALID: 'ERR_CONFIG_INVALID',
  /** An inbound frame is not a valid sequence of commands (the gateway closes with 3501). */
  PROTOCOL_DECODE: 'ERR_PROTOCOL_DECODE',
  /** A Lua script was called with a number of keys other than the one it declares. */
  REDIS_SCRIPT_KEY_COUNT: 'ERR_REDIS_SCRIPT_KEY_COUNT',
  /** Redis answered with a reply of a shape the caller does not expect. */
  REDIS_UNEXPECTED_REPLY: 'ERR_REDIS_UNEXPECTED_REPLY',
  /** A key prefix, worker id or pool name that would break key names. */
  REDIS_INVALID_KEY_PART: 'ERR_REDIS_INVALID_KEY_PART',
  /** The ioredis client lacks a command the layer relies on (the Buffer-reply EVAL twins). */
  REDIS_UNSUPPORTED_CLIENT: 'ERR_REDIS_UNSUPPORTED_CLIENT',
  /** Connection settings that cannot work (a Cluster seed list that is empty, not redis://, or names a database). */
  REDIS_INVALID_TARGET: 'ERR_REDIS_INVALID_TARGET',
  /** The routing set is empty: no worker has registered (or all deregistered). */
  ROUTING_NO_WORKERS: 'ERR_ROUTING_NO_WORKERS',
  /** A stream was read or acknowledged before its consumer group was created (ensureGroup). */
  QUEUE_NO_GROUP: 'ERR_QUEUE_NO_GROUP',
  /** A message on the engine's pub/sub channels or in a history stream that does not decode. */
  ENGINE_MALFORMED_MESSAGE: 'ERR_ENGINE_MALFORMED_MESSAGE',
  /** A token whose `exp` has passed or whose `nbf` is ahead. */
  TOKEN_EXPIRED: 'ERR_TOKEN_EXPIRED',
  /** A token that cannot be trusted or used: malformed, bad signature, wrong algorithm, bad claims. */
  TOKEN_INVALID: 'ERR_TOKEN_INVALID',
  /** A valid subscription token issued for another channel, user or client. */
  TOKEN_MISMATCH: 'ERR_TOKEN_MISMATCH',
  /** The JWKS endpoint could not be reached or answered garbage (temporary). */
  TOKEN_KEYS_UNAVAILABLE: 'ERR_TOKEN_KEYS_UNAVAILABLE',
  /** A worker handler module cannot be imported, or its default export is not a function. */
  WORKER_HANDLER_MODULE: 'ERR_WORKER_HANDLER_MODULE',
  /** The reconnecting client was given options it cannot work with (no url, not ws://, no WebSocket). */
  CLIENT_INVALID_OPTIONS: 'ERR_CLIENT_INVALID_OPTIONS',
  /** The reconnecting client was used after close(). */
  CLIENT_CLOSED: 'ERR_CLIENT_CLOSED',
  /** The reconnecting client already has a subscription to this channel. */
  CLIENT_ALREADY_SUBSCRIBED: 'ERR_CLIENT_ALREADY_SUBSCRIBED',
  /** A web UI request the server refuses (`status` is the HTTP status sent). */
  WEB_UI_REQUEST: 'ERR_WEB_UI_REQUEST',
  /** An operator command (`realtime-message ...`) that is refused or misused; `exitCode` is the process's. */
  OPERATOR_COMMAND: 'ERR_OPERATOR_COMMAND',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
