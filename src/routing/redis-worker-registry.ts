/**
 * {@link WorkerRegistry} in Redis: sorted sets of members (id -> last heartbeat ms) and orphans
 * (id -> deregistration ms); changes are announced on a pub/sub channel so gateways refresh early.
 */

import { duplicateConnection, type RedisConnection, type WorkerId } from '../redis/index.js';
import { defaultPool, type PipelineKeys, type PoolName, validateWorkerId } from '../redis/index.js';
import type { WorkerBeat, WorkerRegistry } from './worker-registry.js';

export interface RedisWorkerRegistryOptions {
  /**
   * Command connection, standalone or cluster (shared, not owned: not closed by the registry). On a
   * cluster the keys need `hashTags` so the MULTI of register/deregister stays in one slot.
   */
  redis: RedisConnection;
  keys: PipelineKeys;
  /** The worker pool whose routing set this is; omitted: the default pool. */
  pool?: PoolName;
}

export class RedisWorkerRegistry implements WorkerRegistry {
  private readonly redis: RedisConnection;
  private readonly keys: PipelineKeys;
  readonly pool: PoolName;
  private subscriber: RedisConnection | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(options: RedisWorkerRegistryOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.pool = options.pool ?? defaultPool;
  }

  /** Opens the subscriber connection used for change announcements. */
  async start(): Promise<void> {
    if (this.subscriber !== null) return;
    const sub = duplicateConnection(this.redis, { enableOfflineQueue: true, maxRetriesPerRequest: null });
    this.subscriber = sub;
    sub.on('error', () => {});
    sub.on('message', () => this.announceLocally());
    // After a reconnect, announcements may have been missed: make listeners refresh.
    let first = true;
    sub.on('ready', () => {
      if (!first) this.announceLocally();
      first = false;
    });
    await sub.subscribe(this.keys.workersChanged(this.pool));
  }

  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = null;
    if (sub !== null) sub.disconnect();
  }

  async register(id: WorkerId): Promise<void> {
    validateWorkerId(id);
    await this.redis
      .multi()
      .zadd(this.keys.workers(this.pool), Date.now(), id)
      .zrem(this.keys.orphans(this.pool), id)
      .publish(this.keys.workersChanged(this.pool), id)
      .exec();
  }

  async heartbeat(id: WorkerId): Promise<void> {
    await this.redis.zadd(this.keys.workers(this.pool), 'XX', 'GT', Date.now(), validateWorkerId(id));
  }

  async deregister(id: WorkerId): Promise<void> {
    validateWorkerId(id);
    await this.redis
      .multi()
      .zrem(this.keys.workers(this.pool), id)
      .zadd(this.keys.orphans(this.pool), Date.now(), id)
      .publish(this.keys.workersChanged(this.pool), id)
      .exec();
  }

  async members(): Promise<WorkerBeat[]> {
    return pairs(await this.redis.zrange(this.keys.workers(this.pool), 0, '-1', 'WITHSCORES'));
  }

  async orphans(): Promise<WorkerBeat[]> {
    return pairs(await this.redis.zrange(this.keys.orphans(this.pool), 0, '-1', 'WITHSCORES'));
  }

  async forgetOrphan(id: WorkerId): Promise<void> {
    await this.redis.zrem(this.keys.orphans(this.pool), id);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private announceLocally(): void {
    for (const listener of this.listeners) listener();
  }
}

function pairs(flat: string[]): WorkerBeat[] {
  const out: WorkerBeat[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i] ?? '', atMs: Number(flat[i + 1]) });
  return out;
}
