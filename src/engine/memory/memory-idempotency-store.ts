/**
 * IdempotencyStore in this process's memory (embedded mode), bounded in entries: with several
 * gateways use the Redis twin, or a retry sent to another gateway publishes again.
 */

import { DEFAULT_IDEMPOTENCY_WINDOW_MS, type IdempotencyStore } from '../idempotency-store.js';

const DEFAULT_MAX_ENTRIES = 100_000;

interface Entry {
  result: Promise<string>;
  expiresAt: number;
}

export class MemoryIdempotencyStore implements IdempotencyStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly windowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** Runs `call` once per (channel, key) within the window; repeats resolve with its result. */
  run(channel: string, key: string, call: () => Promise<string>, now = Date.now()): Promise<string> {
    const id = `${channel}\u0000${key}`;
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.expiresAt > now) return hit.result;
    if (hit !== undefined) this.entries.delete(id);
    this.evict(now);
    const result = call();
    this.entries.set(id, { result, expiresAt: now + this.windowMs });
    result.catch(() => {
      if (this.entries.get(id)?.result === result) this.entries.delete(id);
    });
    return result;
  }

  /** Drops expired entries from the oldest end, then the oldest ones while over the bound. */
  private evict(now: number): void {
    for (const [id, entry] of this.entries) {
      if (entry.expiresAt > now && this.entries.size < this.maxEntries) break;
      this.entries.delete(id);
    }
  }
}
