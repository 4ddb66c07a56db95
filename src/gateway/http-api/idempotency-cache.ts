/**
 * The server API's `idempotency_key` (publish, broadcast): a repeat of a key on the same channel
 * within the window gets the first call's result and publishes nothing. A repeat that arrives while
 * the first call is still running waits for it. Kept in this node's memory, bounded in entries; a
 * failed first call is forgotten so it can be retried.
 */

/** Centrifugo keeps idempotent results for 5 minutes. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 5 * 60_000;
const DEFAULT_MAX_ENTRIES = 100_000;
const MAX_KEY_LENGTH = 256;

interface Entry { result: Promise<string>; expiresAt: number }

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly windowMs = DEFAULT_IDEMPOTENCY_WINDOW_MS, private readonly maxEntries = DEFAULT_MAX_ENTRIES) {}

  /** True when `key` is acceptable (non-empty, at most 256 characters). */
  static validKey(key: string): boolean {
    return key.length > 0 && key.length <= MAX_KEY_LENGTH;
  }

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
