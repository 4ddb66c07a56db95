/**
 * One-process presence: per channel a map client id -> entry with an expiry time. Expired entries
 * are dropped on read and by a periodic sweep, like the Redis twin drops them in its scripts.
 */

import type { ChannelName, ClientId, ClientInfo, UserId } from '../../protocol/index.js';
import type { PresenceManager, PresenceStats } from '../presence-manager.js';

export interface MemoryPresenceManagerOptions {
  /** How often channels are swept for expired entries, ms; 0/omitted: 10 s. */
  sweepIntervalMs?: number;
}

interface Entry {
  info: ClientInfo;
  expireAt: number;
}

export class MemoryPresenceManager implements PresenceManager {
  private readonly channels = new Map<ChannelName, Map<ClientId, Entry>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly sweepIntervalMs: number;

  constructor(options: MemoryPresenceManagerOptions = {}) {
    this.sweepIntervalMs = options.sweepIntervalMs !== undefined && options.sweepIntervalMs > 0 ? options.sweepIntervalMs : 10_000;
  }

  async addPresence(channel: ChannelName, clientId: ClientId, info: ClientInfo, ttlMs: number): Promise<void> {
    let entries = this.channels.get(channel);
    if (entries === undefined) {
      entries = new Map();
      this.channels.set(channel, entries);
    }
    entries.set(clientId, { info, expireAt: Date.now() + ttlMs });
    if (this.sweepTimer === null) {
      this.sweepTimer = setInterval(() => this.sweep(), this.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async removePresence(channel: ChannelName, clientId: ClientId, _userId: UserId): Promise<void> {
    const entries = this.channels.get(channel);
    if (entries === undefined) return;
    entries.delete(clientId);
    if (entries.size === 0) this.channels.delete(channel);
  }

  async presence(channel: ChannelName): Promise<Record<ClientId, ClientInfo>> {
    const result: Record<ClientId, ClientInfo> = {};
    const entries = this.liveEntries(channel, Date.now());
    if (entries !== undefined) for (const [clientId, entry] of entries) result[clientId] = entry.info;
    return result;
  }

  async presenceStats(channel: ChannelName): Promise<PresenceStats> {
    const entries = this.liveEntries(channel, Date.now());
    if (entries === undefined) return { numClients: 0, numUsers: 0 };
    const users = new Set<UserId>();
    for (const entry of entries.values()) users.add(entry.info.user);
    return { numClients: entries.size, numUsers: users.size };
  }

  async close(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.channels.clear();
  }

  private liveEntries(channel: ChannelName, now: number): Map<ClientId, Entry> | undefined {
    const entries = this.channels.get(channel);
    if (entries === undefined) return undefined;
    for (const [clientId, entry] of entries) if (entry.expireAt <= now) entries.delete(clientId);
    if (entries.size > 0) return entries;
    this.channels.delete(channel);
    return undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const channel of this.channels.keys()) this.liveEntries(channel, now);
  }
}
