/**
 * `createRedisWorker`: the convenience over {@link createWorker} for a worker that opens and owns
 * its Redis connection, given a URL. The queue and registry come from composeRedisPipeline, the
 * one composition of the Redis pipeline parts.
 */

import { composeRedisPipeline, type StreamInfo, type StreamQueue, type WorkerId } from '../queue/index.js';
import { connectRedis, openRedis, validateWorkerId, type RedisConnection } from '../redis/index.js';
import { createWorker } from './create-worker.js';
import type { Worker, WorkerOptions } from './worker-types.js';

export interface RedisWorkerOptions extends Omit<WorkerOptions, 'queue' | 'registry'> {
  /** The Redis the worker connects to (standalone; a worker runner composes Cluster connections itself). */
  redisUrl: string;
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
    const { redisUrl, prefix, hashTags, pool, ...workerOptions } = options;
    this.id = validateWorkerId(options.id);
    const redis = openRedis(redisUrl, { role: 'worker', name: `worker:${this.id}` });
    redis.on('error', () => {});
    this.redis = redis;
    const parts = composeRedisPipeline({ redis, prefix: prefix ?? '', hashTags: hashTags ?? false, ...(pool === undefined ? {} : { pool }) });
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
