/**
 * The node-local registry of channel subscribers. It subscribes the node to a channel at the
 * broker when the first local subscriber arrives and unsubscribes when the last leaves, and it
 * receives broker events, encoding each push once per protocol for all subscribers.
 */

import type { Logger } from 'pino';
import type { Broker, BrokerEventHandler } from '../engine/index.js';
import type { ChannelName, ClientInfo, Publication, Reply } from '../protocol/index.js';
import type { ChannelSubscription } from './channel-subscription.js';
import { EncodedPush, clientPublication } from './encoded-push.js';

interface ChannelEntry {
  /** Node-wide number of the channel while it has local subscribers: its id for channel compaction. */
  readonly id: number;
  readonly subscribers: Set<ChannelSubscription>;
  brokerSubscribed: boolean;
  /** Serialises broker subscribe/unsubscribe calls of this channel. */
  brokerOp: Promise<void>;
}

export class Hub implements BrokerEventHandler {
  private readonly channels = new Map<ChannelName, ChannelEntry>();
  private lastChannelId = 0;

  constructor(
    private readonly broker: Broker,
    private readonly logger: Logger,
  ) {}

  /** Adds a local subscriber; resolves once the node receives the channel's events. */
  async addSubscriber(sub: ChannelSubscription): Promise<void> {
    let entry = this.channels.get(sub.channel);
    if (entry === undefined) {
      entry = { id: ++this.lastChannelId, subscribers: new Set(), brokerSubscribed: false, brokerOp: Promise.resolve() };
      this.channels.set(sub.channel, entry);
    }
    entry.subscribers.add(sub);
    try {
      await this.sync(sub.channel, entry);
    } catch (err) {
      entry.subscribers.delete(sub);
      void this.sync(sub.channel, entry).catch(() => undefined);
      throw err;
    }
  }

  /** Removes a local subscriber; the broker subscription goes away with the last one. */
  async removeSubscriber(sub: ChannelSubscription): Promise<void> {
    const entry = this.channels.get(sub.channel);
    if (entry === undefined || !entry.subscribers.delete(sub)) return;
    await this.sync(sub.channel, entry);
  }

  /**
   * The channel's compaction id (SubscribeResult.id), stable while it has local subscribers;
   * 0 when it has none.
   */
  channelId(channel: ChannelName): number {
    return this.channels.get(channel)?.id ?? 0;
  }

  /** Subscribed connections per channel on this node. */
  subscriberCounts(): Map<ChannelName, number> {
    const counts = new Map<ChannelName, number>();
    for (const [channel, entry] of this.channels) {
      let n = 0;
      for (const sub of entry.subscribers) if (sub.status === 'subscribed') n++;
      if (n > 0) counts.set(channel, n);
    }
    return counts;
  }

  /** Number of channels with local subscribers. */
  get channelCount(): number {
    return this.channels.size;
  }

  private sync(channel: ChannelName, entry: ChannelEntry): Promise<void> {
    const op = entry.brokerOp.then(async () => {
      const wanted = entry.subscribers.size > 0;
      if (wanted && !entry.brokerSubscribed) {
        await this.broker.subscribe(channel);
        entry.brokerSubscribed = true;
      } else if (!wanted && entry.brokerSubscribed) {
        entry.brokerSubscribed = false;
        await this.broker.unsubscribe(channel);
      }
      if (entry.subscribers.size === 0 && !entry.brokerSubscribed && this.channels.get(channel) === entry) {
        this.channels.delete(channel);
      }
    });
    entry.brokerOp = op.catch((err: unknown) => {
      this.logger.warn({ err, channel }, 'broker subscription change failed');
    });
    return op;
  }

  handlePublication(channel: ChannelName, pub: Publication, epoch: string): void {
    const entry = this.channels.get(channel);
    if (entry === undefined || entry.subscribers.size === 0) return;
    const push = new EncodedPush({ push: { channel, pub: clientPublication(pub) } });
    for (const sub of entry.subscribers) sub.handlePublication(pub, epoch, push);
  }

  handleJoin(channel: ChannelName, info: ClientInfo): void {
    this.joinLeave(channel, { push: { channel, join: { info } } });
  }

  handleLeave(channel: ChannelName, info: ClientInfo): void {
    this.joinLeave(channel, { push: { channel, leave: { info } } });
  }

  private joinLeave(channel: ChannelName, reply: Reply): void {
    const entry = this.channels.get(channel);
    if (entry === undefined) return;
    let push: EncodedPush | undefined;
    for (const sub of entry.subscribers) {
      if (!sub.pushJoinLeave) continue;
      push ??= new EncodedPush(reply);
      sub.handleJoinLeave(push);
    }
  }

  /** Delivery was interrupted: every positioned subscriber resubscribes so recovery fills the gap. */
  handleDeliveryRestored(): void {
    let count = 0;
    for (const entry of this.channels.values()) {
      for (const sub of entry.subscribers) {
        if (sub.positioned && sub.status === 'subscribed') {
          sub.owner.resubscribe(sub);
          count++;
        }
      }
    }
    if (count > 0) this.logger.info({ subscriptions: count }, 'broker delivery restored, positioned subscribers resubscribe');
  }
}
