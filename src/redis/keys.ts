/**
 * Every Redis key and pub/sub channel name, built from one prefix: {@link PipelineKeys} for the
 * pipeline (routing registry per worker pool, worker streams, their locks and dead-letter streams,
 * rpc replies) and {@link RedisKeys} for the engine (history, pub/sub, presence, control, nodes).
 */

import type { ChannelName } from '../protocol/index.js';
import { RedisLayerError } from './redis-errors.js';

/** A worker's id: 1-64 characters of `[A-Za-z0-9_.-]`, unique across pools (stream keys do not name the pool). */
export type WorkerId = string;

const workerIdPattern = /^[A-Za-z0-9_.-]{1,64}$/;

/** A worker pool's name (namespace option `worker_pool`, worker `WORKER_POOL`). */
export type PoolName = string;
/** The pool of workers and namespaces that name none. */
export const defaultPool: PoolName = 'default';

/** Throws unless `pool` is 1-64 characters of `[A-Za-z0-9_.-]` (it is part of key names). */
export function validatePoolName(pool: string): PoolName {
  if (!workerIdPattern.test(pool)) {
    throw new RedisLayerError('INVALID_KEY_PART', `invalid worker pool ${JSON.stringify(pool)}: use 1-64 characters of A-Z a-z 0-9 _ . -`);
  }
  return pool;
}

/** Throws unless `id` is 1-64 characters of `[A-Za-z0-9_.-]` (so it cannot escape into other keys). */
export function validateWorkerId(id: string): WorkerId {
  if (!workerIdPattern.test(id)) {
    throw new RedisLayerError('INVALID_KEY_PART', `invalid worker id ${JSON.stringify(id)}: use 1-64 characters of A-Z a-z 0-9 _ . -`);
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

/** Throws unless `prefix` is free of braces (a brace would capture or break the `{hash tag}`). */
function checkPrefix(prefix: string): void {
  if (/[{}]/.test(prefix)) throw new RedisLayerError('INVALID_KEY_PART', `Redis prefix must not contain "{" or "}": ${prefix}`);
}

/** Pipeline key names; one instance per prefix. */
export class PipelineKeys {
  /** The prefix with its `:` separator ('' when none). */
  readonly prefix: string;
  private readonly hashTags: boolean;

  constructor(options: PipelineKeysOptions) {
    checkPrefix(options.prefix);
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

/**
 * The channel as a hash tag body: `%`, `{` and `}` are percent-escaped, so the tag cannot end early
 * and two channels never share a tag. The empty channel becomes `%` (an empty tag would disable tagging).
 */
export function channelTag(channel: ChannelName): string {
  if (channel === '') return '%';
  // Most names have none of the three characters: skip the regex (three keys are built per publication).
  if (channel.indexOf('%') === -1 && channel.indexOf('{') === -1 && channel.indexOf('}') === -1) return channel;
  return channel.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
}

/**
 * Engine key names under one prefix. All names of one channel share a Redis Cluster hash tag
 * `{<escaped channel>}`, so a channel's scripts touch a single slot.
 */
export class RedisKeys {
  readonly prefix: string;
  /** The prefix with its `:` separator; '' for the empty prefix (keys are then `history:...`). */
  private readonly base: string;

  constructor(prefix: string) {
    checkPrefix(prefix);
    this.prefix = prefix;
    this.base = prefix === '' ? '' : `${prefix}:`;
  }

  /** Stream of a channel's kept publications; entry id `<offset>-0`, field `d`. */
  historyStream(channel: ChannelName): string {
    return `${this.base}history:{${channelTag(channel)}}:stream`;
  }

  /** Hash with the channel's top offset (`s`) and epoch (`e`). */
  historyMeta(channel: ChannelName): string {
    return `${this.base}history:{${channelTag(channel)}}:meta`;
  }

  /** Pub/sub channel carrying the channel's publications, joins and leaves to every gateway. */
  pubsubChannel(channel: ChannelName): string {
    return `${this.base}pubsub:{${channelTag(channel)}}`;
  }

  /** Presence keys of a channel, in the order the presence scripts take them. */
  presenceKeys(channel: ChannelName): [info: string, expiry: string, userOfClient: string, userCount: string] {
    const base = `${this.base}presence:{${channelTag(channel)}}`;
    return [`${base}:info`, `${base}:expiry`, `${base}:client-user`, `${base}:user-count`];
  }

  /** Result of one server API call with an idempotency key on a channel (the key follows the tag, so it cannot reach another channel). */
  idempotencyKey(channel: ChannelName, key: string): string {
    return `${this.base}idempotency:{${channelTag(channel)}}:${key}`;
  }

  /** Pub/sub channel carrying control commands (disconnect, unsubscribe) to every gateway node. */
  controlChannel(): string {
    return `${this.base}control`;
  }

  /** Node registry keys (one hash tag): hash nodeId -> info JSON, zset nodeId -> expiry (Redis time, ms). */
  nodeKeys(): [info: string, expiry: string] {
    return [`${this.base}{nodes}:info`, `${this.base}{nodes}:expiry`];
  }
}
