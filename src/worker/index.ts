export type * from './worker-types.js';
export * from './publisher.js';
export * from './create-worker.js';
export * from './redis-worker.js';
export * from './run-worker.js';
export * from './client-error.js';
export * from './message-data.js';
// Everything a handler's signature mentions, so a handler module imports only from this package.
export type { StreamMessage, MessageKind, MessageId, WorkerId, StreamInfo } from '../queue/index.js';
export type { ChannelName, ClientId, ClientInfo, UserId } from '../protocol/index.js';
export type { Logger } from '../log/index.js';
export type { RedisSentinelTarget, SentinelAddress } from '../redis/index.js';
export { withDotEnv } from '../config/index.js';
export * from './load-handler.js';
