/** Opens ioredis connections with the options each pipeline role needs. */

import { Redis } from 'ioredis';

export type RedisRole =
  /** Gateway producer: fails fast while Redis is unreachable (no offline queue), auto-pipelined. */
  | 'producer'
  /** Worker: commands wait for a reconnect instead of failing; loops retry on errors. */
  | 'worker';

export interface OpenRedisOptions {
  role: RedisRole;
  /** Producer: max time a command may take before it rejects, ms; 0/omitted: 2000. */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  name?: string;
}

/**
 * Creates a connection that is not yet connected (`lazyConnect`); call `connect()`. It reconnects
 * by itself forever with a backoff capped at 2 s.
 */
export function openRedis(url: string, options: OpenRedisOptions): Redis {
  const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);
  const common = { lazyConnect: true, retryStrategy, ...(options.name === undefined ? {} : { connectionName: options.name }) };
  if (options.role === 'producer') {
    return new Redis(url, {
      ...common,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs || 2000,
    });
  }
  return new Redis(url, { ...common, enableOfflineQueue: true, enableAutoPipelining: true, maxRetriesPerRequest: null });
}

/** Connects a lazy connection; resolves false (and keeps retrying in the background) if Redis is down now. */
export async function connectRedis(redis: Redis): Promise<boolean> {
  if (redis.status !== 'wait') return redis.status === 'ready';
  try {
    await redis.connect();
    return true;
  } catch {
    return false;
  }
}
