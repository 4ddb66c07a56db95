/**
 * Who is subscribed to a channel, across all gateways. Entries expire unless refreshed, so a gateway
 * that dies takes its entries with it. Implementations: memory and Redis.
 */

import type { ChannelName, ClientId, ClientInfo, UserId } from '../protocol/index.js';

export interface PresenceStats {
  numClients: number;
  numUsers: number;
}

export interface PresenceManager {
  /** Adds or refreshes an entry; it expires `ttlMs` after the last call. */
  addPresence(channel: ChannelName, clientId: ClientId, info: ClientInfo, ttlMs: number): Promise<void>;
  removePresence(channel: ChannelName, clientId: ClientId, userId: UserId): Promise<void>;
  presence(channel: ChannelName): Promise<Record<ClientId, ClientInfo>>;
  presenceStats(channel: ChannelName): Promise<PresenceStats>;
  close(): Promise<void>;
}
