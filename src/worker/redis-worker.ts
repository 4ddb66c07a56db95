/**
 * `createRedisWorker`: the convenience over {@link createWorker} for a worker that opens and owns
 * its Redis connection, given a URL or Sentinel settings. The queue and registry come from composeRedisPipeline, the
 * one composition of the Redis pipeline parts.
 */

import { composeRedisPipeline, type StreamInfo, type StreamQueue, type WorkerId } from '../queue/index.js';
import { connectRedis, openRedisConnection, validateWorkerId, type RedisConnection, type RedisSentinelTarget } from '../redis/index.js';
import { createWorker } from './create-worker.js';
import type { Worker, WorkerOptions } from './worker-types.js';

export interface RedisWorkerOptions extends Omit<WorkerOptions, 'queue' | 'registry'> {
  /** The Redis the worker connects to (standalone; a worker runner composes Cluster connections itself). */
  redisUrl?: string;
  /** Redis through Sentinel (config `redisSentinel`), instead of `redisUrl`. */
  redisSentinel?: RedisSentinelTarget;
  /** Key prefix (config `redisPrefix`); '' when omitted. */
  prefix?: string;
  /** Hash-tag key names (Redis Cluster); omitted: false. */
  hashTags?: boolean;
  /**
   * The worker pool to join (`WORKER_POOL`): it handles the channels of namespaces with this
   * `worker_pool`, and takes over only streams of its own pool. Omitted: "default".
   */
  pool?: string;
}

export function createRedisWorker(options: RedisWorkerOptions): Worker {
  return new RedisWorker(options);
}

class RedisWorker implements Worker {
  readonly id: WorkerId;
  private readonly redis: RedisConnection;
  private readonly queue: StreamQueue;
  private readonly worker: Worker;

  constructor(options: RedisWorkerOptions) {
    const { redisUrl, redisSentinel, prefix, hashTags, pool, ...workerOptions } = options;
    this.id = validateWorkerId(options.id);
    if (redisUrl === undefined && redisSentinel === undefined) throw new TypeError('createRedisWorker: pass redisUrl or redisSentinel');
    const target = redisSentinel === undefined ? { url: redisUrl ?? '' } : { url: '', sentinel: redisSentinel };
    const redis = openRedisConnection(target, { role: 'worker', name: `worker:${this.id}` });
    redis.on('error', () => {});
    this.redis = redis;
    const parts = composeRedisPipeline({
      redis,
      prefix: prefix ?? '',
      hashTags: hashTags ?? false,
      ...(pool === undefined ? {} : { pool }),
    });
    this.queue = parts.queue;
    this.worker = createWorker({ ...workerOptions, queue: parts.queue, registry: parts.registry });
  }

  async start(): Promise<void> {
    await connectRedis(this.redis);
    await this.worker.start();
  }

  async close(): Promise<void> {
    await this.worker.close();
    await this.queue.close();
    this.redis.disconnect();
  }

  info(): Promise<StreamInfo> {
    return this.worker.info();
  }

  consumedStreams(): WorkerId[] {
    return this.worker.consumedStreams();
  }
}
