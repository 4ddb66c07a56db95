/**
 * Reads the workers' handling records (a Redis list, RPUSHed by bin/chaos-worker.ts) into a
 * `HandledLog`, in list order, and trims what it has read so Redis memory stays bounded. The trim
 * is idempotent (compare-and-trim on a counter), so a reply lost to a Redis kill never drops a
 * record that was not read.
 */

import { Redis } from 'ioredis';
import { parseHandled, type HandledLog } from './checker.js';

// Trims ARGV[2] records from the head of KEYS[1] if KEYS[2] (records trimmed so far) still equals ARGV[1].
// KEYS[1] the record list, KEYS[2] the trimmed counter; ARGV[1] expected counter, ARGV[2] records to trim.
const TRIM = `local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n ~= tonumber(ARGV[1]) then return n end
redis.call('LTRIM', KEYS[1], tonumber(ARGV[2]), -1)
return redis.call('INCRBY', KEYS[2], tonumber(ARGV[2]))`;

export class HandledReader {
  private readonly redis: Redis;
  /** Absolute index of the next record to read. */
  private consumed = 0;
  private trimmed = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy: Promise<void> = Promise.resolve();

  constructor(
    url: string,
    private readonly key: string,
    private readonly log: HandledLog,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: false });
    this.redis.on('error', () => {});
  }

  start(intervalMs = 100): void {
    this.timer = setInterval(() => {
      void this.readOnce().catch(() => 0);
    }, intervalMs);
  }

  /**
   * Reads everything there is now; resolves with the number of records read. Calls run one after
   * another: two reads at once would both start at the same index, count one page twice and skip
   * the next (which then looked lost, or first handled only at a redelivery).
   */
  readOnce(): Promise<number> {
    const run = this.busy.then(() => this.readAll());
    this.busy = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async readAll(): Promise<number> {
    let total = 0;
    for (;;) {
      // The counter is the truth (a trim whose reply was lost still counts).
      this.trimmed = Number((await this.redis.get(`${this.key}:trimmed`)) ?? '0');
      const from = this.consumed - this.trimmed;
      const lines = await this.redis.lrange(this.key, from, from + 4999);
      for (const line of lines) {
        const rec = parseHandled(line);
        if (rec !== null) this.log.add(rec);
      }
      this.consumed += lines.length;
      total += lines.length;
      if (this.consumed - this.trimmed >= 20_000) {
        const n = this.consumed - this.trimmed;
        this.trimmed = Number(await this.redis.eval(TRIM, 2, this.key, `${this.key}:trimmed`, this.trimmed, n));
      }
      if (lines.length < 5000) return total;
    }
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    await this.busy;
    this.redis.disconnect();
  }
}
