/**
 * {@link WorkerRegistry} in Redis: sorted sets of members (id -> last heartbeat ms) and orphans
 * (id -> deregistration ms); changes are announced on a pub/sub channel so gateways refresh early.
 */

import { duplicateConnection, type RedisClient, type WorkerId } from '../queue/index.js';
import { type PipelineKeys, validateWorkerId } from './keys.js';
import type { WorkerBeat, WorkerRegistry } from './worker-registry.js';

export interface RedisWorkerRegistryOptions {
  /**
   * Command connection, standalone or cluster (shared, not owned: not closed by the registry). On a
   * cluster the keys need `hashTags` so the MULTI of register/deregister stays in one slot.
   */
  redis: RedisClient;
  keys: PipelineKeys;
}

export class RedisWorkerRegistry implements WorkerRegistry {
  private readonly redis: RedisClient;
  private readonly keys: PipelineKeys;
  private subscriber: RedisClient | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(options: RedisWorkerRegistryOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
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
    await sub.subscribe(this.keys.workersChanged());
  }

  async close(): Promise<void> {
    const sub = this.subscriber;
    this.subscriber = null;
    if (sub !== null) sub.disconnect();
  }

  async register(id: WorkerId): Promise<void> {
    validateWorkerId(id);
    await this.redis.multi()
      .zadd(this.keys.workers(), Date.now(), id)
      .zrem(this.keys.orphans(), id)
      .publish(this.keys.workersChanged(), id)
      .exec();
  }

  async heartbeat(id: WorkerId): Promise<void> {
    await this.redis.zadd(this.keys.workers(), 'XX', 'GT', Date.now(), validateWorkerId(id));
  }

  async deregister(id: WorkerId): Promise<void> {
    validateWorkerId(id);
    await this.redis.multi()
      .zrem(this.keys.workers(), id)
      .zadd(this.keys.orphans(), Date.now(), id)
      .publish(this.keys.workersChanged(), id)
      .exec();
  }

  async members(): Promise<WorkerBeat[]> {
    return pairs(await this.redis.zrange(this.keys.workers(), 0, '-1', 'WITHSCORES') as string[]);
  }

  async orphans(): Promise<WorkerBeat[]> {
    return pairs(await this.redis.zrange(this.keys.orphans(), 0, '-1', 'WITHSCORES') as string[]);
  }

  async forgetOrphan(id: WorkerId): Promise<void> {
    await this.redis.zrem(this.keys.orphans(), id);
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
