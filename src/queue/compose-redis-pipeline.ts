/**
 * The one composition of the Redis pipeline parts (key names, stream queue, worker registries) on a
 * connection, used alike by the gateway (`bin/gateway.ts`), the worker runner (`runWorker`,
 * `createWorker` given a URL) and the tests (`createRedisPipeline`).
 */

import { PipelineKeys, defaultPool, type PoolName, type RedisConnection } from '../redis/index.js';
import { RedisWorkerRegistry } from '../routing/index.js';
import { RedisStreamQueue } from './redis-stream-queue.js';

export interface ComposeRedisPipelineOptions {
  /** Command connection shared by the queue and the registries (not owned: closing the parts leaves it open). */
  redis: RedisConnection;
  /** Key prefix (config `redisPrefix`). */
  prefix: string;
  /** Hash-tag worker ids in keys (Redis Cluster); omitted: false (the historical key names). */
  hashTags?: boolean;
  /** The pool of {@link RedisPipelineParts.registry}; omitted: the default pool. */
  pool?: PoolName;
  /** Pools that get a registry in {@link RedisPipelineParts.pools}; omitted: none. */
  pools?: Iterable<PoolName>;
  /** Producer-side `XADD MAXLEN ~`; 0/omitted: none (see RedisStreamQueueOptions.maxLen). */
  maxLen?: number;
}

export interface RedisPipelineParts {
  keys: PipelineKeys;
  queue: RedisStreamQueue;
  /** The routing set of `pool`. */
  registry: RedisWorkerRegistry;
  /** One registry per listed pool. */
  pools: Map<PoolName, RedisWorkerRegistry>;
}

export function composeRedisPipeline(options: ComposeRedisPipelineOptions): RedisPipelineParts {
  const { redis } = options;
  const keys = new PipelineKeys({ prefix: options.prefix, hashTags: options.hashTags ?? false });
  const queue = new RedisStreamQueue({ redis, keys, ...(options.maxLen === undefined ? {} : { maxLen: options.maxLen }) });
  const registry = new RedisWorkerRegistry({ redis, keys, pool: options.pool ?? defaultPool });
  const pools = new Map([...(options.pools ?? [])].map((pool) => [pool, new RedisWorkerRegistry({ redis, keys, pool })]));
  return { keys, queue, registry, pools };
}
