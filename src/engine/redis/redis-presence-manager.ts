/**
 * Presence over Redis: per channel a hash of entries, a zset of their expiry times and a per-user
 * count, all in one hash tag; every script first drops expired entries (Redis TIME is the clock),
 * so a dead gateway's entries disappear after their ttl.
 */

import type { ChannelName, ClientId, ClientInfo, UserId } from '../../protocol/index.js';
import type { PresenceManager, PresenceStats } from '../presence-manager.js';
import { LuaScript, RedisKeys, type RedisConnection, RedisLayerError } from '../../redis/index.js';
import { decodeInfo, encodeInfo } from './publication-codec.js';

export interface RedisPresenceManagerOptions {
  /** Connection (standalone or Cluster); may be shared; never closed by the manager. */
  redis: RedisConnection;
  /** Prefix of every key; must not contain `{` or `}`. */
  prefix: string;
}

export class RedisPresenceManager implements PresenceManager {
  private readonly redis: RedisConnection;
  private readonly keys: RedisKeys;
  private readonly addScript = LuaScript.load('presence-add');
  private readonly removeScript = LuaScript.load('presence-remove');
  private readonly getScript = LuaScript.load('presence-get');
  private readonly statsScript = LuaScript.load('presence-stats');

  constructor(options: RedisPresenceManagerOptions) {
    this.redis = options.redis;
    this.keys = new RedisKeys(options.prefix);
  }

  async addPresence(channel: ChannelName, clientId: ClientId, info: ClientInfo, ttlMs: number): Promise<void> {
    if (!(ttlMs > 0)) throw new RangeError(`presence ttl must be > 0 ms, got ${ttlMs}`);
    await this.addScript.runBuffer(this.redis, this.keys.presenceKeys(channel), [clientId, encodeInfo(info), info.user, Math.ceil(ttlMs)]);
  }

  async removePresence(channel: ChannelName, clientId: ClientId, _userId: UserId): Promise<void> {
    await this.removeScript.runBuffer(this.redis, this.keys.presenceKeys(channel), [clientId]);
  }

  async presence(channel: ChannelName): Promise<Record<ClientId, ClientInfo>> {
    const reply = await this.getScript.runBuffer(this.redis, this.keys.presenceKeys(channel), []);
    if (!Array.isArray(reply)) throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected presence script reply');
    const result: Record<ClientId, ClientInfo> = {};
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const clientId: unknown = reply[i];
      const value: unknown = reply[i + 1];
      if (!Buffer.isBuffer(clientId) || !Buffer.isBuffer(value)) throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected presence entry');
      result[clientId.toString('utf8')] = decodeInfo(value);
    }
    return result;
  }

  async presenceStats(channel: ChannelName): Promise<PresenceStats> {
    const reply = await this.statsScript.runBuffer(this.redis, this.keys.presenceKeys(channel), []);
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number')
      throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected presence stats reply');
    return { numClients: reply[0], numUsers: reply[1] };
  }

  async close(): Promise<void> {
    // Owns no connection: the composition root closes `redis`.
  }
}
