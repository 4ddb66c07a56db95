/**
 * One connection's subscription to one channel: its negotiated features, its stream position
 * (for positioned subscriptions) and the publications that arrive while the subscribe is in flight.
 */

import type { ChannelOptions } from '../config/index.js';
import type { ChannelName, Publication, StreamPosition } from '../protocol/index.js';
import type { EncodedPush } from './encoded-push.js';

/** Publications held while a subscribe is in flight; beyond this the subscriber must resubscribe. */
const maxBufferedPublications = 1000;

/** What a subscription needs from its connection. */
export interface SubscriptionOwner {
  /** Writes a shared push; false when the connection is gone. */
  sendPush(push: EncodedPush): boolean;
  /** Ends this subscription with an unsubscribe push 2500 so the client resubscribes with recovery. */
  resubscribe(subscription: ChannelSubscription): void;
}

export type SubscriptionStatus = 'subscribing' | 'subscribed' | 'removed';

interface BufferedPublication { pub: Publication; epoch: string; push: EncodedPush }

export class ChannelSubscription {
  status: SubscriptionStatus = 'subscribing';
  /** Offsets are tracked and gaps end the subscription with 2500. */
  positioned = false;
  recoverable = false;
  /** Join/leave pushes are delivered. */
  pushJoinLeave = false;
  /** Presence entry is kept for this subscription. */
  presence = false;
  /** Last delivered offset and the stream's epoch (positioned subscriptions). */
  offset = 0;
  epoch = '';
  /** Unix ms after which an unrefreshed subscription ends; 0: never. */
  expireAtMs = 0;
  chanInfo: Uint8Array | undefined;
  /** Established by the server (token or proxy `channels`/`subs`), not by a subscribe command. */
  serverSide = false;
  /** Granted by the subscribe proxy: sub_refresh goes to the sub_refresh proxy. */
  grantedByProxy = false;
  /** A join was published for this subscription, so a leave must follow. */
  joinAnnounced = false;
  /** Fires when an unrefreshed subscription expires. */
  expiryTimer: NodeJS.Timeout | null = null;
  private buffer: BufferedPublication[] = [];
  private overflowed = false;

  constructor(
    readonly owner: SubscriptionOwner,
    readonly channel: ChannelName,
    readonly namespace: string,
    readonly options: ChannelOptions,
  ) {}

  /** Delivers a publication from the hub, buffering it while subscribing and checking its position. */
  handlePublication(pub: Publication, epoch: string, push: EncodedPush): void {
    if (this.status === 'subscribing') {
      if (this.buffer.length < maxBufferedPublications) this.buffer.push({ pub, epoch, push });
      else this.overflowed = true;
      return;
    }
    if (this.status !== 'subscribed') return;
    const offset = pub.offset ?? 0;
    if (this.positioned && offset > 0) {
      if (epoch !== this.epoch || offset > this.offset + 1) {
        this.owner.resubscribe(this);
        return;
      }
      if (offset <= this.offset) return;
      this.offset = offset;
    }
    this.owner.sendPush(push);
  }

  /** Delivers a join/leave push when the subscriber asked for them. */
  handleJoinLeave(push: EncodedPush): void {
    if (this.status === 'subscribed' && this.pushJoinLeave) this.owner.sendPush(push);
  }

  /**
   * Called right after the subscribe reply was queued: from now on publications flow, starting
   * with the buffered ones the reply did not already cover. `position` is the last position the
   * reply gave the client (positioned subscriptions).
   */
  activate(position: StreamPosition | null): void {
    if (this.status !== 'subscribing') return;
    this.status = 'subscribed';
    if (position !== null) {
      this.offset = position.offset;
      this.epoch = position.epoch;
    }
    const buffered = this.buffer;
    this.buffer = [];
    if (this.overflowed && this.positioned) {
      this.owner.resubscribe(this);
      return;
    }
    for (const b of buffered) {
      if (this.status !== 'subscribed') return;
      this.handlePublication(b.pub, b.epoch, b.push);
    }
  }

  /** Stops all delivery. */
  remove(): void {
    this.status = 'removed';
    this.buffer = [];
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
  }
}
