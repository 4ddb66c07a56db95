/**
 * Publishes server-side data to a channel with the history settings of the channel's namespace.
 * Used by the gateway's direct pipeline, the HTTP API and workers.
 */

import { resolveChannel, type ChannelConfig, type ChannelOptions } from '../config/index.js';
import { Errors, ReplyError, type Bytes, type ChannelName, type ClientInfo, type StreamPosition } from '../protocol/index.js';
import type { Broker, HistoryOptions, PublishOptions } from './broker.js';

export interface ChannelPublishOptions {
  /** Publisher shown to subscribers as `pub.info`; omitted: none. */
  info?: ClientInfo;
  tags?: Record<string, string>;
  /** Broadcast only, not kept in history (server API `skip_history`). */
  skipHistory?: boolean;
}

/** History settings of a namespace, or undefined when it keeps no history. */
export function historyOptionsFor(options: ChannelOptions): HistoryOptions | undefined {
  if (options.historySize <= 0 || options.historyTtlMs <= 0) return undefined;
  const history: HistoryOptions = { size: options.historySize, ttlMs: options.historyTtlMs };
  if (options.historyMetaTtlMs > 0) history.metaTtlMs = options.historyMetaTtlMs;
  return history;
}

const encoder = new TextEncoder();

export class ChannelPublisher {
  constructor(
    private readonly broker: Broker,
    private readonly channels: ChannelConfig,
  ) {}

  /**
   * Publishes `data` (bytes, or a string sent as its UTF-8 bytes; JSON clients need JSON text)
   * and resolves with the publication's stream position. Rejects with ReplyError 102 for a
   * channel no namespace covers.
   */
  async publish(channel: ChannelName, data: Bytes | string, options: ChannelPublishOptions = {}): Promise<StreamPosition> {
    const resolved = resolveChannel(this.channels, channel);
    if (resolved === null) throw new ReplyError(Errors.unknownChannel);
    const publishOptions: PublishOptions = {};
    const history = historyOptionsFor(resolved.options);
    if (history !== undefined && options.skipHistory !== true) publishOptions.history = history;
    if (options.info !== undefined) publishOptions.info = options.info;
    if (options.tags !== undefined) publishOptions.tags = options.tags;
    const bytes = typeof data === 'string' ? encoder.encode(data) : data;
    return this.broker.publish(channel, bytes, publishOptions);
  }
}
