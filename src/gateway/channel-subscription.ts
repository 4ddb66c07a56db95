/**
 * One connection's subscription to one channel: its negotiated features, its stream position
 * (for positioned subscriptions) and the publications that arrive while the subscribe is in flight.
 */

import type { ChannelOptions } from '../config/index.js';
import type { ChannelName, FilterNode, Publication, StreamPosition } from '../protocol/index.js';
import { deltaPublication } from './delta-publication.js';
import { EncodedPush, clientPublication } from './encoded-push.js';
import { matchesTagsFilter } from './tags-filter.js';

/** Variant key of a delta subscriber's first publication (no base: full payload). */
const NO_BASE = Symbol('no delta base');

/** Publications held while a subscribe is in flight; beyond this the subscriber must resubscribe. */
const maxBufferedPublications = 1000;

/** What a subscription needs from its connection. */
export interface SubscriptionOwner {
  /** Writes a shared push; false when the connection is gone. */
  sendPush(push: EncodedPush): boolean;
  /** Ends this subscription with an unsubscribe push 2500 so the client resubscribes with recovery. */
  unsubscribeToRecover(subscription: ChannelSubscription): void;
}

export type SubscriptionStatus = 'subscribing' | 'subscribed' | 'removed';

interface BufferedPublication {
  pub: Publication;
  epoch: string;
  push: EncodedPush;
}

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
  /** Channel compaction: publications carry this id instead of the channel name; 0: off. */
  compactId = 0;
  /** Fossil delta negotiated: publications after the first are deltas against {@link deltaBase}. */
  delta = false;
  /** The payload this subscriber last received in full or reconstructed (delta subscriptions); null: none yet. */
  deltaBase: Uint8Array | null = null;
  /** Only publications whose tags pass this filter are delivered; null: all. */
  tagsFilter: FilterNode | null = null;
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
        this.owner.unsubscribeToRecover(this);
        return;
      }
      if (offset <= this.offset) return;
      this.offset = offset;
    }
    // A filtered-out publication still moves the position: it is not a gap.
    if (this.tagsFilter !== null && !matchesTagsFilter(this.tagsFilter, pub.tags)) return;
    this.owner.sendPush(this.pushFor(pub, push));
  }

  /** The hub's shared push, or the variant this subscription needs (compacted id, delta). */
  private pushFor(pub: Publication, push: EncodedPush): EncodedPush {
    if (this.compactId === 0 && !this.delta) return push;
    const id = this.compactId;
    const target: { id: number } | { channel: ChannelName } = id > 0 ? { id } : { channel: this.channel };
    const base = id > 0 ? push.variant(id, () => new EncodedPush({ push: { id, pub: clientPublication(pub) } })) : push;
    if (!this.delta) return base;
    const prev = this.deltaBase;
    this.deltaBase = pub.data;
    return base.variant(prev ?? NO_BASE, () => {
      const d = deltaPublication(clientPublication(pub), prev);
      return new EncodedPush({ push: { ...target, pub: d.json } }, { push: { ...target, pub: d.protobuf } });
    });
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
      this.owner.unsubscribeToRecover(this);
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
