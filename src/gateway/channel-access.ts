/**
 * Channel permission checks for one connection: which namespace a channel belongs to and whether
 * the connection may subscribe, publish, read history or presence there (Centrifugo's rules).
 */

import { channelOwner, resolveChannel, userLimitedAllows, validateChannelName, type ResolvedChannel } from '../config/index.js';
import { DisconnectError, Disconnects, Errors, ReplyError, type Bytes, type ChannelName } from '../protocol/index.js';
import {
  InvalidTokenError,
  TokenExpiredError,
  TokenKeysUnavailableError,
  TokenMismatchError,
  verifySubscribeToken,
  type SubscriptionOverride,
} from './auth/index.js';
import type { Connection } from './connection.js';

/** What a subscription is granted beyond the namespace's options. */
export interface SubscribeGrant {
  /** ClientInfo `chan_info` from the subscription token. */
  chanInfo?: Bytes;
  /** SubscribeResult `data` from the subscription token. */
  data?: Bytes;
  /** Unix ms at which the subscription expires unless refreshed. */
  expireAtMs?: number;
  /** Namespace options overridden for this subscription (token `override`). */
  override?: SubscriptionOverride;
  /** Granted by the subscribe proxy (its sub_refresh proxy refreshes it). */
  viaProxy?: boolean;
}

/** The channel's namespace: ReplyError 107 when the name breaks the channel-name policy, 102 when no namespace has it. */
export function resolveOrThrow(session: Connection, channel: ChannelName): ResolvedChannel {
  const invalid = validateChannelName(session.ctx.config.channel, channel);
  if (invalid !== null) throw new ReplyError(Errors.badRequest, invalid);
  const resolved = resolveChannel(session.ctx.config.channel, channel);
  if (resolved === null) throw new ReplyError(Errors.unknownChannel);
  return resolved;
}

function isOwner(session: Connection, channel: ChannelName): boolean {
  const owner = channelOwner(session.ctx.config.channel, channel);
  return owner !== null && owner === session.user;
}

/** Verifies a subscription token: expired 109, invalid 103, issued for another channel/user/client 3500. */
export async function verifySubscriptionToken(session: Connection, channel: ChannelName, token: string): Promise<SubscribeGrant> {
  const verifier = session.ctx.tokens.subscription;
  if (!verifier.configured) throw new ReplyError(Errors.permissionDenied);
  try {
    const claims = await verifySubscribeToken(token, verifier, Date.now(), { channel, user: session.user, client: session.id });
    const grant: SubscribeGrant = {};
    if (claims.info !== null) grant.chanInfo = claims.info;
    if (claims.data !== null) grant.data = claims.data;
    if (claims.override !== null) grant.override = claims.override;
    if (claims.expireAtMs !== null) {
      if (claims.expireAtMs <= Date.now()) throw new ReplyError(Errors.expired);
      grant.expireAtMs = claims.expireAtMs;
    }
    return grant;
  } catch (err) {
    if (err instanceof TokenExpiredError) throw new ReplyError(Errors.tokenExpired);
    if (err instanceof TokenMismatchError) throw new DisconnectError(Disconnects.invalidToken);
    if (err instanceof TokenKeysUnavailableError) throw new ReplyError(Errors.internal);
    if (err instanceof InvalidTokenError) throw new ReplyError(Errors.permissionDenied);
    throw err;
  }
}

/**
 * May this connection subscribe? Rejects with ReplyError 103/109/110 or DisconnectError 3500. A
 * token decides first; without one, a namespace with `subscribe_proxy_enabled` asks the backend.
 */
export async function authorizeSubscribe(
  session: Connection,
  channel: ChannelName,
  resolved: ResolvedChannel,
  token: string,
  data?: Bytes,
): Promise<SubscribeGrant> {
  if (token !== '') return verifySubscriptionToken(session, channel, token);
  if (resolved.options.subscribeProxyEnabled && session.ctx.proxies.has('subscribe')) {
    return session.ctx.proxies.subscribe(session, channel, data);
  }
  if (session.ctx.config.client.insecure) return {};
  const o = resolved.options;
  if (o.allowUserLimitedChannels && channel.includes('#')) {
    if (userLimitedAllows(channel, session.user)) return {};
    throw new ReplyError(Errors.permissionDenied);
  }
  if (!o.allowSubscribeForClient) throw new ReplyError(Errors.permissionDenied);
  if (o.userOwned && !isOwner(session, channel)) throw new ReplyError(Errors.permissionDenied);
  return {};
}

function isSubscribed(session: Connection, channel: ChannelName): boolean {
  return session.subscriptions.get(channel)?.status === 'subscribed';
}

/** May this connection publish? Throws ReplyError 103. */
export function authorizePublish(session: Connection, channel: ChannelName, resolved: ResolvedChannel): void {
  if (session.ctx.config.client.insecure) return;
  const o = resolved.options;
  if (o.userOwned && !isOwner(session, channel)) throw new ReplyError(Errors.permissionDenied);
  if (o.allowPublishForClient) return;
  if (o.allowPublishForSubscriber && isSubscribed(session, channel)) return;
  throw new ReplyError(Errors.permissionDenied);
}

/** May this connection read history? Throws 108 when the namespace keeps none, 103 when not allowed. */
export function authorizeHistory(session: Connection, channel: ChannelName, resolved: ResolvedChannel): void {
  const o = resolved.options;
  if (o.historySize <= 0 || o.historyTtlMs <= 0) throw new ReplyError(Errors.notAvailable);
  if (session.ctx.config.client.insecure) return;
  if (o.allowHistoryForSubscriber && isSubscribed(session, channel)) return;
  throw new ReplyError(Errors.permissionDenied);
}

/** May this connection read presence? Throws 108 when the namespace keeps none, 103 when not allowed. */
export function authorizePresence(session: Connection, channel: ChannelName, resolved: ResolvedChannel): void {
  if (!resolved.options.presence) throw new ReplyError(Errors.notAvailable);
  if (session.ctx.config.client.insecure) return;
  if (resolved.options.allowPresenceForSubscriber && isSubscribed(session, channel)) return;
  throw new ReplyError(Errors.permissionDenied);
}
