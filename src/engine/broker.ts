/**
 * The broker fans publications, joins and leaves out to every gateway that has subscribers of a
 * channel, and keeps each history-enabled channel's stream (offset + epoch) for recovery.
 * Implementations: memory (one process) and Redis (many gateways); one contract test suite runs
 * against both.
 */

import type { Bytes, ChannelName, ClientInfo, Publication, StreamPosition } from '../protocol/index.js';

/** History settings of a channel; a channel without them keeps no history (offsets stay 0). */
export interface HistoryOptions {
  /** Max publications kept; must be > 0. */
  size: number;
  /** How long publications are kept, ms; must be > 0. */
  ttlMs: number;
  /** How long the stream's offset/epoch survive without publications, ms; 0/omitted: a default well above ttlMs. */
  metaTtlMs?: number;
}

export interface PublishOptions {
  /** Omitted: the publication is only broadcast, not kept. */
  history?: HistoryOptions;
  /** Publisher, shown to subscribers as `pub.info`. */
  info?: ClientInfo;
  tags?: Record<string, string>;
}

export interface HistoryFilter {
  /** Forward: publications after since.offset. Reverse: before since.offset. Omitted: from the start/end. */
  since?: StreamPosition;
  /** 0: none (only the position); -1: all; N > 0: at most N. */
  limit: number;
  reverse?: boolean;
}

export interface HistoryPage {
  publications: Publication[];
  /** Current top of the stream. */
  position: StreamPosition;
}

/** Receives what the broker delivers to this node. Called synchronously, in publication order per channel. */
export interface BrokerEventHandler {
  /** `pub.offset` is set for history-enabled channels. `epoch` is the stream's epoch ('' without history). */
  handlePublication(channel: ChannelName, pub: Publication, epoch: string): void;
  handleJoin(channel: ChannelName, info: ClientInfo): void;
  handleLeave(channel: ChannelName, info: ClientInfo): void;
  /**
   * The node's delivery was interrupted (e.g. the Redis connection dropped) and is back:
   * publications may have been missed; positioned subscribers must re-check their position.
   */
  handleDeliveryRestored?(): void;
}

export interface Broker {
  start(handler: BrokerEventHandler): Promise<void>;
  close(): Promise<void>;
  /** Appends to history (when enabled) and broadcasts atomically; resolves with the publication's position. */
  publish(channel: ChannelName, data: Bytes, options: PublishOptions): Promise<StreamPosition>;
  publishJoin(channel: ChannelName, info: ClientInfo): Promise<void>;
  publishLeave(channel: ChannelName, info: ClientInfo): Promise<void>;
  /** Start receiving this channel's events on this node (called when the first local subscriber arrives). */
  subscribe(channel: ChannelName): Promise<void>;
  /** Stop receiving (called when the last local subscriber leaves). */
  unsubscribe(channel: ChannelName): Promise<void>;
  history(channel: ChannelName, filter: HistoryFilter, options: HistoryOptions): Promise<HistoryPage>;
  removeHistory(channel: ChannelName): Promise<void>;
}
