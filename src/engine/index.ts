export type * from './broker.js';
export type * from './presence-manager.js';
export { DEFAULT_META_TTL_MS } from './stream-meta.js';
export { MemoryBroker, type MemoryBrokerOptions } from './memory/memory-broker.js';
export { MemoryPresenceManager, type MemoryPresenceManagerOptions } from './memory/memory-presence-manager.js';
export { RedisBroker, type RedisBrokerOptions } from './redis/redis-broker.js';
export { RedisPresenceManager, type RedisPresenceManagerOptions } from './redis/redis-presence-manager.js';
export { ChannelPublisher, historyOptionsFor, type ChannelPublishOptions } from './channel-publisher.js';
export * from './control/index.js';
