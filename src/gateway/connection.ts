/**
 * The seam between a client connection and its command handlers: what a handler may read of the
 * connection and which transitions it may ask for. Handlers never write the connection's fields;
 * they return a {@link ConnectionChanges} that the connection applies (`ClientSession` is
 * the one implementation).
 */

import type { Bytes, ChannelName, ClientInfo, DisconnectCode, Reply, UserId } from '../protocol/index.js';
import type { ChannelCreationBudget } from './channel-creation-budget.js';
import type { ChannelSubscription, SubscriptionOwner } from './channel-subscription.js';
import type { GatewayContext } from './gateway-context.js';
import type { ProxiedConnection } from './proxy/backend-proxies.js';
import type { TransportName } from './transport/index.js';

/** What a command changes about its connection; an omitted field stays as it is. */
export interface ConnectionChanges {
  user?: UserId;
  /** Connection info from the token or a proxy, as JSON bytes. */
  connInfo?: Bytes;
  /** `meta` from the token or connect proxy (JSON text). */
  meta?: Bytes;
  /** Authenticated by the connect proxy: expiry is extended through the refresh proxy. */
  authByProxy?: boolean;
  /** Unix ms at which the connection expires unless refreshed; 0: never. Re-arms the expiry timer. */
  expireAtMs?: number;
  /** Headers of the transport request that some proxy forwards (lower-case names). */
  transportHeaders?: Readonly<Record<string, string>>;
}

/** What a command handler produced: the reply (without id), what changes, and work to run right after the reply is queued. */
export interface HandlerOutcome {
  reply: Reply;
  changes?: ConnectionChanges;
  afterReply?: () => void;
}

/** What a handler sees of a client connection. */
export interface Connection extends ProxiedConnection, SubscriptionOwner {
  readonly ctx: GatewayContext;
  /** Emulation transports: the secret id `/emulation` requests name; null otherwise. */
  readonly sessionId: string | null;
  readonly connInfo: Bytes | undefined;
  /** Unix ms at which the connection expires unless refreshed; 0: never. */
  readonly expireAtMs: number;
  readonly authByProxy: boolean;
  readonly transport: { readonly name: TransportName; readonly unidirectional: boolean };
  readonly subscriptions: ReadonlyMap<ChannelName, ChannelSubscription>;
  /** Bounds how fast this connection brings history channels into use (CLIENT_CHANNEL_CREATE_RATE_LIMIT). */
  readonly newChannels: ChannelCreationBudget;
  readonly closed: boolean;
  /** ClientInfo for presence, join/leave and publications. */
  clientInfo(chanInfo?: Bytes): ClientInfo;
  /** Counts the connection as authenticated (per-user limit); the connect handler calls it once. */
  markConnected(): void;
  /** Registers a subscription that is about to be negotiated. */
  addSubscription(sub: ChannelSubscription): void;
  /** Ends a subscription locally: hub, presence, leave. Idempotent. */
  removeSubscription(sub: ChannelSubscription): void;
  /** Ends a subscription and tells the client with an unsubscribe push. */
  unsubscribeWithPush(sub: ChannelSubscription, code: { code: number; reason: string }): void;
  /** Encodes and queues one reply or push; false when it was not queued. */
  sendReply(reply: Reply): boolean;
  /** Closes the connection with a protocol close code. */
  close(code: DisconnectCode, flush?: boolean): void;
}
