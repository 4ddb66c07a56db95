/**
 * One channel subscription of a reconnect client: a centrifuge `Subscription` asked to be
 * recoverable and positioned, whose events are mapped to the client's typed events and whose
 * publications say whether they were delivered live or by recovery.
 */

import type { Centrifuge, PublicationContext, SubscribedContext, Subscription, SubscriptionOptions } from 'centrifuge';

export interface SubscribedEvent {
  channel: string;
  /** The subscription was subscribed before (this is a resubscribe after a reconnect). */
  resubscribe: boolean;
  /** The client asked the server to recover missed publications. */
  wasRecovering: boolean;
  /** Every missed publication was recovered (they follow as `publication` with `recovered`). */
  recovered: boolean;
  streamPosition?: { offset: number; epoch: string };
}

export interface PublicationEvent {
  channel: string;
  data: unknown;
  offset?: number;
  /** Publisher, when the publication came from a client. */
  info?: { client: string; user: string };
  /** Delivered by recovery after a reconnect rather than live. */
  recovered: boolean;
}

export interface UnsubscribedEvent {
  channel: string;
  code: number;
  reason: string;
}

export interface SubscriptionErrorEvent {
  channel: string;
  type: string;
  code: number;
  message: string;
}

/** Callbacks for one channel; all optional. */
export interface SubscriptionHandlers {
  publication?: (ctx: PublicationEvent) => void;
  subscribed?: (ctx: SubscribedEvent) => void;
  unsubscribed?: (ctx: UnsubscribedEvent) => void;
  error?: (ctx: SubscriptionErrorEvent) => void;
}

export interface SubscribeOptions {
  /** Ask the server to keep history for recovery; omitted: true. */
  recoverable?: boolean | undefined;
  /** Ask the server to detect gaps in the stream; omitted: true. */
  positioned?: boolean | undefined;
  joinLeave?: boolean | undefined;
  /** Subscribe data (JSON value; bytes with protobuf). */
  data?: unknown;
  /** Subscription JWT for channels that require one. */
  token?: string | undefined;
  getToken?: ((channel: string) => Promise<string>) | undefined;
  /** Recover from this position on the first subscribe (e.g. one saved across page loads). */
  since?: { offset: number; epoch: string } | undefined;
}

/** Where a subscription reports to its client. */
export interface SubscriptionSink {
  subscribed(ctx: SubscribedEvent): void;
  unsubscribed(ctx: UnsubscribedEvent): void;
  publication(ctx: PublicationEvent): void;
  removed(): void;
}

export class ChannelSubscription {
  readonly channel: string;
  /** The underlying centrifuge subscription. */
  readonly subscription: Subscription;
  private readonly centrifuge: Centrifuge;
  private readonly handlers: SubscriptionHandlers;
  private readonly sink: SubscriptionSink;
  private everSubscribed = false;
  /** True while centrifuge delivers the publications of a recovering subscribe reply. */
  private deliveringRecovered = false;
  private removed = false;

  constructor(centrifuge: Centrifuge, channel: string, handlers: SubscriptionHandlers, options: SubscribeOptions, sink: SubscriptionSink) {
    this.centrifuge = centrifuge;
    this.channel = channel;
    this.handlers = handlers;
    this.sink = sink;
    const config: SubscriptionOptions = {
      recoverable: options.recoverable ?? true,
      positioned: options.positioned ?? true,
    };
    if (options.joinLeave !== undefined) config.joinLeave = options.joinLeave;
    if (options.data !== undefined) config.data = options.data;
    if (options.token !== undefined) config.token = options.token;
    if (options.getToken !== undefined) {
      const getToken = options.getToken;
      config.getToken = (ctx) => getToken(ctx.channel);
    }
    if (options.since !== undefined) config.since = options.since;
    this.subscription = centrifuge.newSubscription(channel, config);
    this.listen();
  }

  get state(): 'unsubscribed' | 'subscribing' | 'subscribed' {
    return this.subscription.state;
  }

  subscribe(): void {
    this.subscription.subscribe();
  }

  /** Resolves once subscribed; rejects if the subscription ends or on timeout. */
  ready(timeoutMs?: number): Promise<void> {
    return this.subscription.ready(timeoutMs);
  }

  /** Resolves when the gateway acknowledged the publication. */
  async publish(data: unknown): Promise<void> {
    await this.subscription.publish(data);
  }

  history(
    options: { limit?: number; since?: { offset: number; epoch: string }; reverse?: boolean } = {},
  ): ReturnType<Subscription['history']> {
    return this.subscription.history(options);
  }

  presence(): ReturnType<Subscription['presence']> {
    return this.subscription.presence();
  }

  /** Unsubscribes for good and removes the subscription from its client. */
  unsubscribe(): void {
    if (this.removed) return;
    this.removed = true;
    this.centrifuge.removeSubscription(this.subscription);
    this.sink.removed();
  }

  private listen(): void {
    const s = this.subscription;
    s.on('subscribed', (ctx: SubscribedContext) => {
      const event: SubscribedEvent = {
        channel: this.channel,
        resubscribe: this.everSubscribed,
        wasRecovering: ctx.wasRecovering,
        recovered: ctx.recovered,
      };
      if (ctx.streamPosition !== undefined) event.streamPosition = { offset: ctx.streamPosition.offset, epoch: ctx.streamPosition.epoch };
      this.everSubscribed = true;
      if (ctx.hasRecoveredPublications) {
        // centrifuge delivers the recovered publications synchronously right after this event
        // and dispatches the next server message only after that, in a later microtask.
        this.deliveringRecovered = true;
        queueMicrotask(() => {
          this.deliveringRecovered = false;
        });
      }
      this.handlers.subscribed?.(event);
      this.sink.subscribed(event);
    });
    s.on('unsubscribed', (ctx) => {
      const event = { channel: this.channel, code: ctx.code, reason: ctx.reason };
      this.handlers.unsubscribed?.(event);
      this.sink.unsubscribed(event);
    });
    s.on('publication', (ctx: PublicationContext) => {
      const event: PublicationEvent = { channel: this.channel, data: ctx.data, recovered: this.deliveringRecovered };
      if (ctx.offset !== undefined) event.offset = ctx.offset;
      if (ctx.info !== undefined) event.info = { client: ctx.info.client, user: ctx.info.user };
      this.handlers.publication?.(event);
      this.sink.publication(event);
    });
    s.on('error', (ctx) => {
      const error = ctx.error as { code?: number; message?: string };
      this.handlers.error?.({ channel: this.channel, type: ctx.type, code: error.code ?? 0, message: error.message ?? '' });
    });
  }
}
