/**
 * The package's public entry point: what an application needs to build workers, connect clients,
 * sign tokens and embed a gateway. Subpaths `realtime-message/client` (browser-safe) and
 * `realtime-message/worker` expose the same pieces on their own.
 */

export { createReconnectClient, ReconnectClient } from './client/index.js';
export type { ReconnectClientEvents, ReconnectClientOptions } from './client/index.js';
export { createRedisWorker, createWorker, runWorker } from './worker/index.js';
export type { MessageHandler, RedisWorkerOptions, WorkerContext, WorkerOptions } from './worker/index.js';
export type { StreamMessage } from './queue/index.js';
export { loadConfig, readDotEnv, withDotEnv, ConfigError } from './config/index.js';
export type { Config } from './config/index.js';
export { signToken } from './gateway/auth/index.js';
export { Gateway } from './gateway/index.js';
export { Errors, Disconnects, Unsubscribes } from './protocol/index.js';
export { ErrorCodes, RealtimeError, hasErrorCode } from './errors/index.js';
export type { ErrorCode } from './errors/index.js';
