/**
 * The client sessions of this gateway node, by client and by emulation session id, and the
 * server API's per-user operations on them (the control plane's {@link LocalNode} work).
 */

import type { LocalNodeStats, RefreshCommand, SubscribeCommand } from '../engine/index.js';
import { Disconnects, Unsubscribes, type ChannelName, type ClientId, type DisconnectCode, type UserId } from '../protocol/index.js';
import type { ClientSession } from './client-session.js';
import { refreshChanges, subscribeSession } from './server-api-commands.js';

export class LocalSessions {
  private readonly sessions = new Set<ClientSession>();
  /** Sessions of emulation transports by their session id. */
  private readonly emulationSessions = new Map<string, ClientSession>();

  get size(): number {
    return this.sessions.size;
  }

  add(session: ClientSession): void {
    this.sessions.add(session);
    if (session.sessionId !== null) this.emulationSessions.set(session.sessionId, session);
  }

  delete(session: ClientSession): void {
    this.sessions.delete(session);
    if (session.sessionId !== null) this.emulationSessions.delete(session.sessionId);
  }

  byEmulationId(sessionId: string): ClientSession | undefined {
    return this.emulationSessions.get(sessionId);
  }

  /** Refreshes the presence entries of every session. */
  refreshPresence(): void {
    for (const s of this.sessions) s.refreshPresence();
  }

  closeAll(code: DisconnectCode): void {
    for (const s of [...this.sessions]) s.close(code);
  }

  /**
   * Closes one client connection with a disconnect code (default 3011 force reconnect); false
   * when no such client is connected here.
   */
  disconnectClient(clientId: string, code: DisconnectCode = Disconnects.forceReconnect): boolean {
    for (const s of this.sessions) {
      if (s.id === clientId) {
        s.close(code);
        return true;
      }
    }
    return false;
  }

  disconnectUser(user: UserId, code: number, reason: string, client?: ClientId): number {
    let count = 0;
    for (const s of [...this.sessions]) {
      if (!s.connected || s.user !== user || (client !== undefined && s.id !== client)) continue;
      s.close({ code, reason });
      count++;
    }
    return count;
  }

  unsubscribeUser(user: UserId, channel: ChannelName, client?: ClientId): number {
    let count = 0;
    for (const s of this.sessions) {
      if (!s.connected || s.user !== user || (client !== undefined && s.id !== client)) continue;
      const sub = s.subscriptions.get(channel);
      if (sub === undefined) continue;
      s.unsubscribeWithPush(sub, Unsubscribes.server);
      count++;
    }
    return count;
  }

  subscribeUser(command: SubscribeCommand): number {
    let count = 0;
    for (const s of this.sessions) {
      if (!s.connected || s.user !== command.user || (command.client !== undefined && s.id !== command.client)) continue;
      if (subscribeSession(s, command)) count++;
    }
    return count;
  }

  refreshUser(command: RefreshCommand): number {
    let count = 0;
    for (const s of [...this.sessions]) {
      if (!s.connected || s.user !== command.user || (command.client !== undefined && s.id !== command.client)) continue;
      const changes = refreshChanges(command);
      if (changes === null) s.close(Disconnects.connectionExpired);
      else s.apply(changes);
      count++;
    }
    return count;
  }

  stats(): LocalNodeStats {
    let numClients = 0;
    let numSubs = 0;
    const users = new Set<UserId>();
    for (const s of this.sessions) {
      if (!s.connected) continue;
      numClients++;
      numSubs += s.subscriptions.size;
      users.add(s.user);
    }
    return { numClients, numUsers: users.size, numSubs };
  }
}
