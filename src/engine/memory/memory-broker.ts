/**
 * One-process broker: history streams kept in memory, delivery by direct synchronous calls to the
 * handler. Same semantics as the Redis broker (offsets from 1, stream-wide ttl, meta ttl, new epoch
 * when the meta is lost), so a single gateway can run without Redis.
 */

import type { Logger } from 'pino';
import type { Bytes, ChannelName, ClientInfo, Publication, StreamPosition } from '../../protocol/index.js';
import type { Broker, BrokerEventHandler, HistoryFilter, HistoryOptions, HistoryPage, PublishOptions } from '../broker.js';
import { checkHistoryOptions, newEpoch, resolveMetaTtlMs } from '../stream-meta.js';

export interface MemoryBrokerOptions {
  /** Reports errors thrown by the handler; omitted: they are swallowed. */
  logger?: Logger;
  /** How often expired streams are dropped, ms; 0/omitted: 10 s. Reads check expiry themselves. */
  sweepIntervalMs?: number;
}

interface Stream {
  epoch: string;
  /** Offset of the last publication; 0 before the first. */
  offset: number;
  /** Publications in offset order, each with `offset` set. */
  pubs: Publication[];
  pubsExpireAt: number;
  metaExpireAt: number;
}

export class MemoryBroker implements Broker {
  private handler: BrokerEventHandler | null = null;
  private readonly subscribed = new Set<ChannelName>();
  private readonly streams = new Map<ChannelName, Stream>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly logger: Logger | undefined;
  private readonly sweepIntervalMs: number;

  constructor(options: MemoryBrokerOptions = {}) {
    this.logger = options.logger;
    this.sweepIntervalMs = options.sweepIntervalMs !== undefined && options.sweepIntervalMs > 0 ? options.sweepIntervalMs : 10_000;
  }

  async start(handler: BrokerEventHandler): Promise<void> {
    this.handler = handler;
    if (this.sweepTimer === null) {
      this.sweepTimer = setInterval(() => this.sweep(Date.now()), this.sweepIntervalMs);
      this.sweepTimer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.handler = null;
    this.subscribed.clear();
  }

  async publish(channel: ChannelName, data: Bytes, options: PublishOptions): Promise<StreamPosition> {
    const pub: Publication = { data };
    if (options.info !== undefined) pub.info = options.info;
    if (options.tags !== undefined) pub.tags = options.tags;
    if (options.history === undefined) {
      this.deliver(channel, pub, '');
      return { offset: 0, epoch: '' };
    }
    checkHistoryOptions(options.history);
    const now = Date.now();
    const stream = this.liveStream(channel, now) ?? this.createStream(channel, now, options.history);
    stream.offset += 1;
    pub.offset = stream.offset;
    stream.pubs.push(pub);
    if (stream.pubs.length > options.history.size) stream.pubs.splice(0, stream.pubs.length - options.history.size);
    stream.pubsExpireAt = now + options.history.ttlMs;
    stream.metaExpireAt = now + resolveMetaTtlMs(options.history);
    this.deliver(channel, { ...pub }, stream.epoch);
    return { offset: stream.offset, epoch: stream.epoch };
  }

  async publishJoin(channel: ChannelName, info: ClientInfo): Promise<void> {
    const handler = this.handler;
    if (handler === null || !this.subscribed.has(channel)) return;
    this.guard(() => handler.handleJoin(channel, info));
  }

  async publishLeave(channel: ChannelName, info: ClientInfo): Promise<void> {
    const handler = this.handler;
    if (handler === null || !this.subscribed.has(channel)) return;
    this.guard(() => handler.handleLeave(channel, info));
  }

  async subscribe(channel: ChannelName): Promise<void> {
    this.subscribed.add(channel);
  }

  async unsubscribe(channel: ChannelName): Promise<void> {
    this.subscribed.delete(channel);
  }

  async history(channel: ChannelName, filter: HistoryFilter, options: HistoryOptions): Promise<HistoryPage> {
    checkHistoryOptions(options);
    const now = Date.now();
    const stream = this.liveStream(channel, now) ?? this.createStream(channel, now, options);
    const position = { offset: stream.offset, epoch: stream.epoch };
    if (filter.limit === 0) return { publications: [], position };
    const max = filter.limit < 0 ? Infinity : filter.limit;
    const publications: Publication[] = [];
    const pubs = stream.pubs;
    if (filter.reverse === true) {
      const before = filter.since !== undefined ? filter.since.offset : Infinity;
      for (let i = pubs.length - 1; i >= 0 && publications.length < max; i--) {
        const pub = pubs[i]!;
        if (pub.offset! < before) publications.push({ ...pub });
      }
    } else {
      const after = filter.since !== undefined ? filter.since.offset : 0;
      for (let i = 0; i < pubs.length && publications.length < max; i++) {
        const pub = pubs[i]!;
        if (pub.offset! > after) publications.push({ ...pub });
      }
    }
    return { publications, position };
  }

  async removeHistory(channel: ChannelName): Promise<void> {
    const stream = this.streams.get(channel);
    if (stream !== undefined) stream.pubs = [];
  }

  private deliver(channel: ChannelName, pub: Publication, epoch: string): void {
    const handler = this.handler;
    if (handler === null || !this.subscribed.has(channel)) return;
    this.guard(() => handler.handlePublication(channel, pub, epoch));
  }

  private guard(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.logger?.error({ err }, 'broker event handler threw');
    }
  }

  /** The channel's stream with expired parts dropped, or undefined if its meta is gone. */
  private liveStream(channel: ChannelName, now: number): Stream | undefined {
    const stream = this.streams.get(channel);
    if (stream === undefined) return undefined;
    if (now >= stream.metaExpireAt) {
      this.streams.delete(channel);
      return undefined;
    }
    if (now >= stream.pubsExpireAt) stream.pubs = [];
    return stream;
  }

  private createStream(channel: ChannelName, now: number, options: HistoryOptions): Stream {
    const stream: Stream = { epoch: newEpoch(), offset: 0, pubs: [], pubsExpireAt: now, metaExpireAt: now + resolveMetaTtlMs(options) };
    this.streams.set(channel, stream);
    return stream;
  }

  private sweep(now: number): void {
    for (const channel of this.streams.keys()) this.liveStream(channel, now);
  }
}
