/**
 * Connection admission on one node: `client.connection_rate_limit` (new connections per second,
 * a token bucket with a one-second burst; beyond it the transport answers HTTP 503) and
 * `client.user_connection_limit` (connections of one non-anonymous user; beyond it `connect`
 * gets error 106). Counts are per node, as in Centrifugo.
 */

import { performance } from 'node:perf_hooks';
import type { AdmissionConfig } from '../config/index.js';
import type { UserId } from '../protocol/index.js';

export class ConnectionAdmission {
  private readonly perUser = new Map<UserId, number>();
  private tokens: number;
  private at = performance.now();

  constructor(private readonly config: Pick<AdmissionConfig, 'userConnectionLimit' | 'connectionRateLimit'>) {
    this.tokens = config.connectionRateLimit;
  }

  /** Takes one token of the connection rate; false when a new connection must be refused now. */
  takeConnectionToken(): boolean {
    const rate = this.config.connectionRateLimit;
    if (rate <= 0) return true;
    const now = performance.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.at) * rate) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** True when `user` already has the allowed number of connections here (anonymous users are never limited). */
  userAtLimit(user: UserId): boolean {
    const limit = this.config.userConnectionLimit;
    return limit > 0 && user !== '' && (this.perUser.get(user) ?? 0) >= limit;
  }

  userConnected(user: UserId): void {
    if (user === '' || this.config.userConnectionLimit <= 0) return;
    this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
  }

  userDisconnected(user: UserId): void {
    const n = this.perUser.get(user);
    if (n === undefined) return;
    if (n <= 1) this.perUser.delete(user);
    else this.perUser.set(user, n - 1);
  }
}
