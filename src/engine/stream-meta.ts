/** Epoch generation and meta-ttl defaults shared by the memory and Redis brokers. */

import { randomBytes } from 'node:crypto';
import type { HistoryOptions } from './broker.js';

/** Default lifetime of a stream's offset/epoch after its last publication: 30 days. */
export const DEFAULT_META_TTL_MS = 30 * 24 * 3600 * 1000;

/** Random bytes drawn 6 at a time: one system call per 256 epochs (the Redis broker draws one per publish batch). */
let pool = Buffer.alloc(0);
let poolAt = 0;

/** A new random stream epoch: 8 URL-safe characters. */
export function newEpoch(): string {
  if (poolAt + 6 > pool.length) {
    pool = randomBytes(6 * 256);
    poolAt = 0;
  }
  poolAt += 6;
  return pool.toString('base64url', poolAt - 6, poolAt);
}

/** The meta ttl actually applied: the option, or the default; never shorter than the history ttl. */
export function resolveMetaTtlMs(options: HistoryOptions): number {
  const requested = options.metaTtlMs !== undefined && options.metaTtlMs > 0 ? options.metaTtlMs : DEFAULT_META_TTL_MS;
  return Math.max(requested, options.ttlMs);
}

/** Rejects history options the brokers cannot honour. */
export function checkHistoryOptions(options: HistoryOptions): void {
  if (!Number.isInteger(options.size) || options.size <= 0)
    throw new RangeError(`history size must be a positive integer, got ${options.size}`);
  if (!Number.isFinite(options.ttlMs) || options.ttlMs <= 0) throw new RangeError(`history ttl must be > 0 ms, got ${options.ttlMs}`);
}
