export type * from './control-bus.js';
export type * from './node-registry.js';
export { encodeControlCommand, decodeControlCommand } from './control-bus.js';
export { MemoryControlBus, MemoryControlNetwork, type MemoryControlBusOptions } from './memory-control-bus.js';
export { MemoryNodeRegistry, type MemoryNodeRegistryOptions } from './memory-node-registry.js';
export { RedisControlBus, type RedisControlBusOptions } from './redis-control-bus.js';
export { RedisNodeRegistry, type RedisNodeRegistryOptions } from './redis-node-registry.js';
export {
  ControlPlane,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  type ControlPlaneOptions,
  type LocalNode,
  type LocalNodeStats,
} from './control-plane.js';
