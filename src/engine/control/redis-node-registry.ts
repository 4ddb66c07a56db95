/**
 * NodeRegistry in Redis: a hash of node infos and a zset of their expiry times under one hash tag;
 * Lua scripts use the Redis clock, so gateways with skewed clocks agree on who is alive.
 */

import { LuaScript, RedisKeys, type RedisConnection, RedisLayerError } from '../../redis/index.js';
import { checkNodeTtl, decodeNodeInfo, type NodeId, type NodeInfo, type NodeRegistry } from './node-registry.js';

export interface RedisNodeRegistryOptions {
  /** Connection (standalone or Cluster); may be shared; never closed by the registry. */
  redis: RedisConnection;
  /** Prefix of every key; must not contain `{` or `}`. */
  prefix: string;
}

export class RedisNodeRegistry implements NodeRegistry {
  private readonly redis: RedisConnection;
  private readonly keys: [info: string, expiry: string];
  private readonly heartbeatScript = LuaScript.load('node-heartbeat');
  private readonly listScript = LuaScript.load('node-list');

  constructor(options: RedisNodeRegistryOptions) {
    this.redis = options.redis;
    this.keys = new RedisKeys(options.prefix).nodeKeys();
  }

  async heartbeat(info: NodeInfo, ttlMs: number): Promise<void> {
    checkNodeTtl(ttlMs);
    await this.heartbeatScript.runBuffer(this.redis, this.keys, [info.nodeId, JSON.stringify(info), Math.ceil(ttlMs)]);
  }

  async remove(nodeId: NodeId): Promise<void> {
    await this.redis.multi().hdel(this.keys[0], nodeId).zrem(this.keys[1], nodeId).exec();
  }

  async list(): Promise<NodeInfo[]> {
    const reply = await this.listScript.runBuffer(this.redis, this.keys, []);
    if (!Array.isArray(reply)) throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected node list reply');
    const nodes: NodeInfo[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const value: unknown = reply[i + 1];
      if (!Buffer.isBuffer(value)) throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected node list entry');
      const info = decodeNodeInfo(value.toString('utf8'));
      // A malformed entry (written by an incompatible version) is skipped, not fatal for the listing.
      if (info !== null) nodes.push(info);
    }
    return nodes;
  }

  async close(): Promise<void> {
    // Owns no connection: the composition root closes `redis`.
  }
}
