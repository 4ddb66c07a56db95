/**
 * Broker over Redis for many gateways: one Lua script appends to a channel's history stream and
 * PUBLISHes atomically; each broker holds one dedicated pub/sub connection, subscribed to a channel
 * only while this node has local subscribers, and decodes each message once for the node.
 */

import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import type { Bytes, ChannelName, ClientInfo, Publication, StreamPosition } from '../../protocol/index.js';
import type { Broker, BrokerEventHandler, HistoryFilter, HistoryOptions, HistoryPage, PublishOptions } from '../broker.js';
import { checkHistoryOptions, newEpoch, resolveMetaTtlMs } from '../stream-meta.js';
import { duplicateConnection, LuaScript, RedisKeys, type RedisConnection, type ScriptArg, RedisLayerError } from '../../redis/index.js';
import { decodeBody, decodePubSubMessage, encodeBody, encodeInfo } from './publication-codec.js';
import { PubSubSubscriber } from './pubsub-subscriber.js';

export interface RedisBrokerOptions {
  /** Connection (standalone or Cluster) for scripts and PUBLISH; may be shared; never closed by the broker. */
  redis: RedisConnection;
  /**
   * Dedicated connection for SUBSCRIBE, used by nothing else; not closed by the broker.
   * Omitted: `duplicateConnection(redis)` is created in `start()` and closed in `close()`.
   */
  subscriber?: RedisConnection;
  /** Prefix of every key and pub/sub channel; must not contain `{` or `}`. */
  prefix: string;
  /** Receives connection errors and handler exceptions; omitted: they are dropped. */
  logger?: Logger;
  /**
   * Sharded pub/sub (Redis >= 7: SPUBLISH/SSUBSCRIBE; a channel's messages stay on the shard of its
   * slot instead of crossing the whole cluster bus). Every broker on the same prefix must agree.
   * On a Cluster the subscriber connection must be opened with `shardedPubSub`. Omitted: false.
   */
  sharded?: boolean;
}

/** Most publications one publish-many call carries (a long script holds up every other Redis client). */
const maxPublishBatch = 64;

interface PendingPublish {
  resolve: (position: StreamPosition) => void;
  reject: (err: unknown) => void;
}

/** Publications queued within one event-loop turn: two keys and five arguments each, after the shared epoch. */
interface PublishBatch {
  keys: string[];
  args: ScriptArg[];
  waiters: PendingPublish[];
}

export class RedisBroker implements Broker {
  private readonly redis: RedisConnection;
  private readonly givenSubscriber: RedisConnection | undefined;
  private readonly keys: RedisKeys;
  private readonly logger: Logger | undefined;
  private readonly sharded: boolean;
  private readonly publishScript = LuaScript.load('publish');
  private readonly historyScript = LuaScript.load('history');
  private readonly publishManyScript = LuaScript.load('publish-many');
  private readonly pubsubSendScript = LuaScript.load('pubsub-send');
  private publishBatch: PublishBatch | null = null;
  private publishScheduled = false;
  private handler: BrokerEventHandler | null = null;
  private subscriberConn: RedisConnection | null = null;
  private subscriber: PubSubSubscriber | null = null;
  /** Redis pub/sub channel -> channel, for channels with local subscribers. */
  private readonly channelsByPubSub = new Map<string, ChannelName>();

  constructor(options: RedisBrokerOptions) {
    this.redis = options.redis;
    this.givenSubscriber = options.subscriber;
    this.keys = new RedisKeys(options.prefix);
    this.logger = options.logger;
    this.sharded = options.sharded === true;
  }

  async start(handler: BrokerEventHandler): Promise<void> {
    if (this.subscriber !== null) throw new Error('RedisBroker already started');
    this.handler = handler;
    const conn = this.givenSubscriber ?? duplicateConnection(this.redis);
    this.subscriberConn = conn;
    this.subscriber = new PubSubSubscriber(conn, this.sharded, {
      message: (redisChannel, message) => this.handleMessage(redisChannel, message),
      restored: () => {
        this.logger?.info('broker pub/sub connection restored; channels resubscribed');
        this.guard(() => this.handler?.handleDeliveryRestored?.());
      },
      error: (err) => this.logger?.warn({ err }, 'broker pub/sub connection error'),
    });
    // A duplicate of a lazy connection is lazy too, and one without an offline queue would refuse
    // the first SUBSCRIBE instead of connecting for it: connect now. If Redis is down, ioredis
    // keeps retrying and the subscriber resubscribes once it is ready.
    if (conn.status === 'wait')
      await conn.connect().catch((err: unknown) => this.logger?.warn({ err }, 'broker pub/sub connection not ready yet'));
  }

  async close(): Promise<void> {
    this.handler = null;
    this.subscriber?.detach();
    this.subscriber = null;
    const conn = this.subscriberConn;
    this.subscriberConn = null;
    this.channelsByPubSub.clear();
    if (conn !== null && this.givenSubscriber === undefined) {
      try {
        await conn.quit();
      } catch {
        conn.disconnect();
      }
    }
  }

  async publish(channel: ChannelName, data: Bytes, options: PublishOptions): Promise<StreamPosition> {
    const pubsub = this.keys.pubsubChannel(channel);
    if (options.history === undefined) {
      await this.send(channel, encodeBody(data, options.info, options.tags, 'p0,\n'));
      return { offset: 0, epoch: '' };
    }
    const history = options.history;
    checkHistoryOptions(history);
    if (!(this.redis instanceof Cluster) && !this.sharded) {
      return this.enqueuePublish(
        this.keys.historyStream(channel),
        this.keys.historyMeta(channel),
        encodeBody(data, options.info, options.tags),
        history.size,
        Math.ceil(history.ttlMs),
        Math.ceil(resolveMetaTtlMs(history)),
        pubsub,
      );
    }
    // A cluster cannot take keys of different slots in one script: one call per publication.
    const reply = await this.publishScript.runBuffer(
      this.redis,
      [this.keys.historyStream(channel), this.keys.historyMeta(channel)],
      [
        encodeBody(data, options.info, options.tags),
        history.size,
        Math.ceil(history.ttlMs),
        Math.ceil(resolveMetaTtlMs(history)),
        newEpoch(),
        pubsub,
        this.sharded ? '1' : '0',
      ],
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || !Buffer.isBuffer(reply[1]))
      throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected publish script reply');
    return { offset: reply[0], epoch: reply[1].toString('latin1') };
  }

  /**
   * Queues a publication for this event-loop turn's publish-many call: publications issued together
   * (a worker's channels, an API burst) cost one Redis command, applied in call order.
   */
  private enqueuePublish(
    stream: string,
    meta: string,
    body: Buffer,
    size: number,
    ttlMs: number,
    metaTtlMs: number,
    pubsub: string,
  ): Promise<StreamPosition> {
    let batch = this.publishBatch;
    if (batch === null || batch.waiters.length >= maxPublishBatch) {
      if (batch !== null) this.sendPublishes(batch);
      batch = { keys: [], args: [newEpoch()], waiters: [] };
      this.publishBatch = batch;
      if (!this.publishScheduled) {
        this.publishScheduled = true;
        setImmediate(() => {
          this.publishScheduled = false;
          const pending = this.publishBatch;
          this.publishBatch = null;
          if (pending !== null) this.sendPublishes(pending);
        });
      }
    }
    batch.keys.push(stream, meta);
    batch.args.push(body, size, ttlMs, metaTtlMs, pubsub);
    const { waiters } = batch;
    return new Promise<StreamPosition>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  private sendPublishes(batch: PublishBatch): void {
    const { waiters } = batch;
    this.publishManyScript
      .runBuffer(this.redis, batch.keys, batch.args)
      .then((reply) => {
        if (!Array.isArray(reply) || reply.length !== waiters.length * 2)
          throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected publish script reply');
        for (let i = 0; i < waiters.length; i++) {
          const offset: unknown = reply[2 * i];
          const epoch: unknown = reply[2 * i + 1];
          if (typeof offset !== 'number' || !Buffer.isBuffer(epoch))
            throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected publish script reply');
          (waiters[i] as PendingPublish).resolve({ offset, epoch: epoch.toString('latin1') });
        }
      })
      .catch((err: unknown) => {
        for (const w of waiters) w.reject(err);
      });
  }

  async publishJoin(channel: ChannelName, info: ClientInfo): Promise<void> {
    await this.send(channel, encodeInfo(info, 'j\n'));
  }

  async publishLeave(channel: ChannelName, info: ClientInfo): Promise<void> {
    await this.send(channel, encodeInfo(info, 'l\n'));
  }

  /**
   * PUBLISH, or SPUBLISH on sharded pub/sub. On a Cluster with classic pub/sub a bare PUBLISH (it has
   * no key) would leave from any node, and two messages of one channel could then overtake each other
   * on the cluster bus; a one-line script keyed on the channel sends it from the channel's slot, the
   * node its publish script runs on.
   */
  private async send(channel: ChannelName, message: Buffer): Promise<void> {
    const pubsub = this.keys.pubsubChannel(channel);
    if (this.sharded) await this.redis.spublish(pubsub, message);
    else if (this.redis instanceof Cluster)
      await this.pubsubSendScript.run(this.redis, [this.keys.historyMeta(channel)], [pubsub, message]);
    else await this.redis.publish(pubsub, message);
  }

  async subscribe(channel: ChannelName): Promise<void> {
    const subscriber = this.started();
    const pubsub = this.keys.pubsubChannel(channel);
    this.channelsByPubSub.set(pubsub, channel);
    await subscriber.subscribe(pubsub);
  }

  async unsubscribe(channel: ChannelName): Promise<void> {
    const subscriber = this.started();
    const pubsub = this.keys.pubsubChannel(channel);
    this.channelsByPubSub.delete(pubsub);
    await subscriber.unsubscribe(pubsub);
  }

  async history(channel: ChannelName, filter: HistoryFilter, options: HistoryOptions): Promise<HistoryPage> {
    checkHistoryOptions(options);
    const reply = await this.historyScript.runBuffer(
      this.redis,
      [this.keys.historyStream(channel), this.keys.historyMeta(channel)],
      [
        Math.trunc(filter.limit),
        filter.reverse === true ? '1' : '0',
        filter.since !== undefined ? Math.trunc(filter.since.offset) : '',
        newEpoch(),
        Math.ceil(resolveMetaTtlMs(options)),
      ],
    );
    if (!Array.isArray(reply) || typeof reply[0] !== 'number' || !Buffer.isBuffer(reply[1]) || !Array.isArray(reply[2])) {
      throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected history script reply');
    }
    const publications: Publication[] = [];
    for (const entry of reply[2] as unknown[]) publications.push(decodeStreamEntry(entry));
    return { publications, position: { offset: reply[0], epoch: reply[1].toString('latin1') } };
  }

  async removeHistory(channel: ChannelName): Promise<void> {
    await this.redis.del(this.keys.historyStream(channel));
  }

  private started(): PubSubSubscriber {
    if (this.subscriber === null) throw new Error('RedisBroker not started');
    return this.subscriber;
  }

  private handleMessage(redisChannel: string, message: Buffer): void {
    const channel = this.channelsByPubSub.get(redisChannel);
    const handler = this.handler;
    if (channel === undefined || handler === null) return;
    this.guard(() => {
      const decoded = decodePubSubMessage(message);
      if (decoded.kind === 'publication') handler.handlePublication(channel, decoded.pub, decoded.epoch);
      else if (decoded.kind === 'join') handler.handleJoin(channel, decoded.info);
      else handler.handleLeave(channel, decoded.info);
    });
  }

  private guard(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.logger?.error({ err }, 'broker message handling failed');
    }
  }
}

/** One XRANGE entry `[id "<offset>-0", ["d", body]]` as a publication. */
function decodeStreamEntry(entry: unknown): Publication {
  if (!Array.isArray(entry) || !Buffer.isBuffer(entry[0]) || !Array.isArray(entry[1]) || !Buffer.isBuffer(entry[1][1])) {
    throw new RedisLayerError('UNEXPECTED_REPLY', 'unexpected history stream entry');
  }
  const id = entry[0].toString('latin1');
  const offset = Number(id.slice(0, id.indexOf('-')));
  return decodeBody(entry[1][1], 0, offset);
}
