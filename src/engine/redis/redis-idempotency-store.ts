/**
 * IdempotencyStore in Redis, shared by every gateway: the first call claims the key with
 * SET NX PX (value `p`), runs, then stores `r<result>` for the window; a repeat finds the result,
 * or waits (polling) while the claim is pending. A failed call deletes its claim. A claim whose
 * gateway died expires with the window; a waiter gives up after `waitMs` with a temporary error.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { Errors, ReplyError } from '../../protocol/index.js';
import { DEFAULT_IDEMPOTENCY_WINDOW_MS, type IdempotencyStore } from '../idempotency-store.js';
import { RedisKeys, type RedisConnection } from '../../redis/index.js';

export interface RedisIdempotencyStoreOptions {
  redis: RedisConnection;
  prefix: string;
  /** How long a result is kept; omitted: 5 minutes. */
  windowMs?: number;
  /** How long a repeat waits for a pending first call; omitted: 5 s. */
  waitMs?: number;
}

const PENDING = 'p';
const POLL_MS = 20;

export class RedisIdempotencyStore implements IdempotencyStore {
  private readonly keys: RedisKeys;
  private readonly windowMs: number;
  private readonly waitMs: number;

  constructor(private readonly options: RedisIdempotencyStoreOptions) {
    this.keys = new RedisKeys(options.prefix);
    this.windowMs = options.windowMs ?? DEFAULT_IDEMPOTENCY_WINDOW_MS;
    this.waitMs = options.waitMs ?? 5000;
  }

  async run(channel: string, key: string, call: () => Promise<string>): Promise<string> {
    const redisKey = this.keys.idempotencyKey(channel, key);
    const redis = this.options.redis;
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const claimed = await redis.set(redisKey, PENDING, 'PX', this.windowMs, 'NX');
      if (claimed === 'OK') {
        let result: string;
        try {
          result = await call();
        } catch (err) {
          await redis.del(redisKey).catch(() => undefined);
          throw err;
        }
        await redis.set(redisKey, `r${result}`, 'PX', this.windowMs);
        return result;
      }
      const value = await redis.get(redisKey);
      if (value !== null && value.startsWith('r')) return value.slice(1);
      if (Date.now() > deadline) throw new ReplyError(Errors.internal, 'an earlier call with this idempotency_key is still running');
      // Pending elsewhere (or just deleted after a failure: the next claim attempt takes it over).
      if (value !== null) await sleep(POLL_MS);
    }
  }
}
