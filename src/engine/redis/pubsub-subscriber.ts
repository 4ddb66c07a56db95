/**
 * The broker's dedicated pub/sub connection: batches SUBSCRIBE/UNSUBSCRIBE calls that arrive in the
 * same tick into one command each, and after a connection loss resubscribes everything the node
 * wants and reports that delivery was restored. On a Redis Cluster it also reports a restore after
 * a topology change that may have cost messages (a node gone, sharded subscribers re-created).
 */

import { Cluster } from 'ioredis';
import type { RedisConnection } from '../../redis/index.js';

export interface PubSubEvents {
  message(redisChannel: string, message: Buffer): void;
  /** The connection came back after a loss and every wanted channel is subscribed again. */
  restored(): void;
  error(err: unknown): void;
}

interface Op {
  subscribe: boolean;
  channel: string;
  resolve: () => void;
  reject: (err: unknown) => void;
}

const RESUBSCRIBE_CHUNK = 1000;

/**
 * After a cluster node went away, ioredis picks another node for the classic subscriber and
 * resubscribes there by itself, without an event: report the restore once that has had time.
 */
const CLUSTER_RESTORE_DELAY_MS = 300;

export class PubSubSubscriber {
  private readonly conn: RedisConnection;
  private readonly sharded: boolean;
  private readonly events: PubSubEvents;
  private restoreTimer: NodeJS.Timeout | null = null;
  /** Redis channels this node wants, whatever the connection's current state. */
  private readonly wanted = new Set<string>();
  /** Per wanted channel, a counter of subscribe calls (to tell a stale failure from a fresh request). */
  private readonly versions = new Map<string, number>();
  private ops: Op[] = [];
  private flushScheduled = false;
  private wasReady = false;
  private lost = false;
  private closed = false;
  private errorReported = false;

  private readonly onMessage = (channel: Buffer, message: Buffer): void => {
    this.events.message(channel.toString('utf8'), message);
  };

  private readonly onReady = (): void => {
    this.wasReady = true;
    this.errorReported = false;
    if (!this.lost || this.closed) return;
    this.lost = false;
    // ioredis' sharded subscriber group resubscribes by itself and says so with 'subscribersReady'.
    if (this.sharded && this.conn instanceof Cluster) return;
    this.resubscribeAll().then(
      () => this.events.restored(),
      (err: unknown) => {
        this.events.error(err);
        // Leave the loss flagged so the next 'ready' tries again.
        this.lost = true;
      },
    );
  };

  private readonly onClose = (): void => {
    if (this.wasReady && !this.closed) this.lost = true;
  };

  /** A cluster node left, or sharded subscribers were re-created: messages of the gap may be lost. */
  private readonly onTopologyChange = (): void => {
    if (!this.wasReady || this.closed || this.restoreTimer !== null) return;
    this.restoreTimer = setTimeout(() => {
      this.restoreTimer = null;
      if (!this.closed && this.conn.status === 'ready') this.events.restored();
    }, CLUSTER_RESTORE_DELAY_MS);
  };

  /** ioredis emits an error on every reconnect attempt: report only the first of an outage. */
  private readonly onError = (err: unknown): void => {
    if (this.errorReported) return;
    this.errorReported = true;
    this.events.error(err);
  };

  /** `sharded`: SSUBSCRIBE/SUNSUBSCRIBE and `smessage` instead of SUBSCRIBE/UNSUBSCRIBE and `message`. */
  constructor(conn: RedisConnection, sharded: boolean, events: PubSubEvents) {
    this.conn = conn;
    this.sharded = sharded;
    this.events = events;
    if (conn.status === 'ready') this.wasReady = true;
    conn.on(this.messageEvent(), this.onMessage);
    conn.on('ready', this.onReady);
    conn.on('close', this.onClose);
    conn.on('error', this.onError);
    if (conn instanceof Cluster) conn.on(this.topologyEvent(), this.onTopologyChange);
  }

  private messageEvent(): 'smessageBuffer' | 'messageBuffer' {
    return this.sharded ? 'smessageBuffer' : 'messageBuffer';
  }

  private topologyEvent(): 'subscribersReady' | '-node' {
    return this.sharded ? 'subscribersReady' : '-node';
  }

  subscribe(channel: string): Promise<void> {
    this.wanted.add(channel);
    const version = this.bump(channel);
    return this.enqueue(true, channel).catch((err: unknown) => {
      // A refused SUBSCRIBE (e.g. Redis down) must not be resubscribed later unless asked again.
      if (this.versions.get(channel) === version) this.wanted.delete(channel);
      throw err;
    });
  }

  unsubscribe(channel: string): Promise<void> {
    this.wanted.delete(channel);
    this.bump(channel);
    return this.enqueue(false, channel);
  }

  private bump(channel: string): number {
    const version = (this.versions.get(channel) ?? 0) + 1;
    if (this.wanted.has(channel)) this.versions.set(channel, version);
    else this.versions.delete(channel);
    return version;
  }

  /** Stops listening; the caller closes the connection if it owns it. */
  detach(): void {
    this.closed = true;
    if (this.restoreTimer !== null) clearTimeout(this.restoreTimer);
    this.restoreTimer = null;
    this.conn.off(this.messageEvent(), this.onMessage);
    this.conn.off('ready', this.onReady);
    this.conn.off('close', this.onClose);
    this.conn.off('error', this.onError);
    this.conn.off(this.topologyEvent(), this.onTopologyChange);
    const err = new Error('broker closed');
    for (const op of this.ops) op.reject(err);
    this.ops = [];
  }

  private enqueue(subscribe: boolean, channel: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('broker closed'));
    return new Promise((resolve, reject) => {
      this.ops.push({ subscribe, channel, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends queued ops as few commands as possible, keeping their order (one connection keeps it). */
  private flush(): void {
    this.flushScheduled = false;
    const ops = this.ops;
    this.ops = [];
    let start = 0;
    while (start < ops.length) {
      const kind = ops[start]!.subscribe;
      let end = start + 1;
      while (end < ops.length && ops[end]!.subscribe === kind) end++;
      const group = ops.slice(start, end);
      const channels = group.map((op) => op.channel);
      const sent = this.send(kind, channels);
      sent.then(
        () => {
          for (const op of group) op.resolve();
        },
        (err: unknown) => {
          for (const op of group) op.reject(err);
        },
      );
      start = end;
    }
  }

  /**
   * One SUBSCRIBE/UNSUBSCRIBE for all `channels`; sharded, one SSUBSCRIBE/SUNSUBSCRIBE each (the
   * channels of one command must share a slot, and every channel has its own hash tag).
   */
  private async send(subscribe: boolean, channels: string[]): Promise<void> {
    if (!this.sharded) {
      await (subscribe ? this.conn.subscribe(...channels) : this.conn.unsubscribe(...channels));
      return;
    }
    await Promise.all(channels.map((c) => (subscribe ? this.conn.ssubscribe(c) : this.conn.sunsubscribe(c))));
  }

  private async resubscribeAll(): Promise<void> {
    const channels = [...this.wanted];
    for (let i = 0; i < channels.length; i += RESUBSCRIBE_CHUNK) {
      await this.send(true, channels.slice(i, i + RESUBSCRIBE_CHUNK));
    }
  }
}
