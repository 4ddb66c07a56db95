/**
 * How fast one connection may bring history channels into use: each such channel keeps stream
 * metadata (offset, epoch) for `history_meta_ttl` after its last publication, so a connection
 * walking through `chat:<random>` names would create metadata at its full command rate. A token
 * bucket of `ratePerSecond` (burst = the same number) pays for channels the connection has not
 * used recently; the last {@link RECENT_CHANNELS} it used are free.
 */

import { performance } from 'node:perf_hooks';
import { Errors, ReplyError, type ChannelName } from '../protocol/index.js';

/** Channels remembered per connection as recently used (a bound on what this costs per connection). */
export const RECENT_CHANNELS = 32;

export class ChannelCreationBudget {
  /**
   * Most recent last; allocated on first use, as most connections never need it. An array, not a
   * Map: most connections use one or a few channels, and a Map's table costs ~180 bytes even then.
   */
  private recent: ChannelName[] | null = null;
  private tokens: number;
  private at = performance.now();

  constructor(private readonly ratePerSecond: number) {
    this.tokens = ratePerSecond;
  }

  /** Admits the use of history channel `channel`, or throws ReplyError 111 (temporary: retry later). */
  admit(channel: ChannelName): void {
    const recent = this.recent;
    if (recent !== null) {
      const i = recent.indexOf(channel);
      if (i >= 0) {
        if (i !== recent.length - 1) {
          recent.splice(i, 1);
          recent.push(channel);
        }
        return;
      }
    }
    this.takeToken();
    if (recent === null) {
      this.recent = [channel];
    } else {
      recent.push(channel);
      if (recent.length > RECENT_CHANNELS) recent.shift();
    }
  }

  private takeToken(): void {
    const now = performance.now();
    this.tokens = Math.min(this.ratePerSecond, this.tokens + ((now - this.at) * this.ratePerSecond) / 1000);
    this.at = now;
    if (this.tokens < 1)
      throw new ReplyError(Errors.tooManyRequests, `too many new channels: at most ${this.ratePerSecond} a second per connection`);
    this.tokens -= 1;
  }
}
