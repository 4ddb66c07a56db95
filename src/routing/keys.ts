/**
 * Every Redis key and pub/sub channel name of the pipeline (routing registry per worker pool,
 * worker streams, their locks and dead-letter streams, rpc replies), built from one prefix.
 * Stream keys do not name the pool: worker ids are unique across pools.
 */

import type { WorkerId } from '../queue/index.js';

const workerIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** A worker pool's name (namespace option `worker_pool`, worker `WORKER_POOL`). */
export type PoolName = string;
/** The pool of workers and namespaces that name none. */
export const defaultPool: PoolName = 'default';

/** Throws unless `pool` is 1-64 characters of `[A-Za-z0-9_.-]` (it is part of key names). */
export function validatePoolName(pool: string): PoolName {
  if (!workerIdPattern.test(pool)) {
    throw new TypeError(`invalid worker pool ${JSON.stringify(pool)}: use 1-64 characters of A-Z a-z 0-9 _ . -`);
  }
  return pool;
}

/** Throws unless `id` is 1-64 characters of `[A-Za-z0-9_.-]` (so it cannot escape into other keys). */
export function validateWorkerId(id: string): WorkerId {
  if (!workerIdPattern.test(id)) {
    throw new TypeError(`invalid worker id ${JSON.stringify(id)}: use 1-64 characters of A-Z a-z 0-9 _ . -`);
  }
  return id;
}

export interface PipelineKeysOptions {
  /** Namespace of every key: `<prefix>:messages:worker:<id>`; '': no namespace. Must not contain `{` or `}`. */
  prefix: string;
  /**
   * Wrap the worker id in a `{hash tag}` so a stream, its lock and its dead-letter stream share one
   * Redis Cluster slot. Off: the stream key is exactly `<prefix>:messages:worker:<workerId>`.
   */
  hashTags?: boolean;
}

/** Key names; one instance per prefix. */
export class PipelineKeys {
  /** The prefix with its `:` separator ('' when none). */
  readonly prefix: string;
  private readonly hashTags: boolean;

  constructor(options: PipelineKeysOptions) {
    if (/[{}]/.test(options.prefix)) throw new TypeError(`Redis prefix must not contain "{" or "}": ${options.prefix}`);
    this.prefix = options.prefix === '' ? '' : `${options.prefix}:`;
    this.hashTags = options.hashTags ?? false;
  }

  private tagged(id: WorkerId): string {
    validateWorkerId(id);
    return this.hashTags ? `{${id}}` : id;
  }

  /** The worker's message stream (consumer group {@link consumerGroup}). */
  workerStream(id: WorkerId): string {
    return `${this.prefix}messages:worker:${this.tagged(id)}`;
  }

  /** Entries that failed `maxAttempts` times, with the error. */
  deadLetterStream(id: WorkerId): string {
    return `${this.workerStream(id)}:dead`;
  }

  /**
   * The stream and entry id of the channel's last appended message (the hand-off fence); null with
   * hash tags (Redis Cluster), where it cannot share a slot with every worker stream.
   */
  channelLastAppend(channel: string): string | null {
    return this.hashTags ? null : `${this.prefix}messages:channel-last:${channel}`;
  }

  /** Held (SET NX PX) by whichever worker process currently consumes the stream. */
  streamLock(id: WorkerId): string {
    return `${this.workerStream(id)}:lock`;
  }

  /** The default pool keeps the historical names (`workers`); pool `p` has `workers:pool:p`. */
  private registryBase(pool: PoolName): string {
    validatePoolName(pool);
    const name = pool === defaultPool ? 'workers' : `workers:pool:${pool}`;
    return this.hashTags ? `${this.prefix}{${name}}` : `${this.prefix}${name}`;
  }

  /** Sorted set: worker id -> last heartbeat, Unix ms. The routing set of the pool. */
  workers(pool: PoolName = defaultPool): string {
    return this.registryBase(pool);
  }

  /** Sorted set: deregistered worker id -> deregistration time, Unix ms, until its stream is drained. */
  orphans(pool: PoolName = defaultPool): string {
    return `${this.registryBase(pool)}:orphans`;
  }

  /** Pub/sub channel announcing changes of the pool's routing set (payload: the worker id). */
  workersChanged(pool: PoolName = defaultPool): string {
    return `${this.registryBase(pool)}:changed`;
  }

  /** Pub/sub channel where workers publish rpc replies for one gateway node. */
  rpcReplies(nodeId: string): string {
    return `${this.prefix}rpc:reply:${nodeId}`;
  }
}

/** Name of the consumer group every worker stream is read with. */
export const consumerGroup = 'workers';
