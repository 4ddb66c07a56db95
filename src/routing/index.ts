export * from './rendezvous.js';
export type * from './worker-registry.js';
export * from './memory-worker-registry.js';
export * from './redis-worker-registry.js';
export * from './channel-router.js';
