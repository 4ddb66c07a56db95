/**
 * Failed admin logins per client address in a fixed window: after `maxFailures` a client is
 * refused (even with the right password) until its window ends. Holds at most `maxClients`
 * addresses; the oldest is forgotten first.
 */

export interface LoginLimiterOptions {
  /** Failures allowed per window; omitted: 5. */
  maxFailures?: number;
  /** Window length, ms; omitted: 60 000. */
  windowMs?: number;
  /** Addresses remembered; omitted: 10 000. */
  maxClients?: number;
  /** Clock, for tests; omitted: Date.now. */
  now?: () => number;
}

interface Window {
  startedAt: number;
  failures: number;
}

export class LoginLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(options: LoginLimiterOptions = {}) {
    this.maxFailures = options.maxFailures ?? 5;
    this.windowMs = options.windowMs ?? 60_000;
    this.maxClients = options.maxClients ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Seconds until `client` may try again; 0 when it may try now. */
  retryAfterSeconds(client: string): number {
    const w = this.current(client);
    if (w === undefined || w.failures < this.maxFailures) return 0;
    return Math.max(1, Math.ceil((w.startedAt + this.windowMs - this.now()) / 1000));
  }

  recordFailure(client: string): void {
    const w = this.current(client);
    if (w !== undefined) {
      w.failures++;
      return;
    }
    if (this.windows.size >= this.maxClients) {
      const oldest = this.windows.keys().next();
      if (oldest.done !== true) this.windows.delete(oldest.value);
    }
    this.windows.set(client, { startedAt: this.now(), failures: 1 });
  }

  recordSuccess(client: string): void {
    this.windows.delete(client);
  }

  private current(client: string): Window | undefined {
    const w = this.windows.get(client);
    if (w !== undefined && this.now() - w.startedAt >= this.windowMs) {
      this.windows.delete(client);
      return undefined;
    }
    return w;
  }
}
