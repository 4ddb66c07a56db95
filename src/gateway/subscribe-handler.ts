/**
 * The `subscribe`, `unsubscribe` and `sub_refresh` commands: validation in the protocol's order,
 * permissions, recovery and positioning from the channel's history, presence and join/leave.
 */

import { validateChannelName, type ResolvedChannel } from '../config/index.js';
import { historyOptionsFor, type HistoryFilter, type HistoryPage } from '../engine/index.js';
import {
  DisconnectError,
  Disconnects,
  Errors,
  ReplyError,
  Unsubscribes,
  type ChannelName,
  type StreamPosition,
  type SubRefreshRequest,
  type SubRefreshResult,
  type SubscribeRequest,
  type SubscribeResult,
  type UnsubscribeRequest,
  type UnsubscribeResult,
} from '../protocol/index.js';
import { authorizeSubscribe, verifySubscriptionToken, type SubscribeGrant } from './channel-access.js';
import { resolveOrThrow } from './channel-access.js';
import { ChannelSubscription } from './channel-subscription.js';
import type { Connection, HandlerOutcome } from './connection.js';
import { deltaPublications } from './delta-publication.js';
import { clientPublication } from './encoded-push.js';
import { armExpiry, ttlSeconds } from './session-timers.js';
import { matchesTagsFilter, validateTagsFilter } from './tags-filter.js';

/** SubscribeRequest.flag bits. */
const FLAG_CHANNEL_COMPACTION = 1;
const FLAG_REJECT_UNRECOVERED = 2;

/** Thrown when the connection or subscription went away while the subscribe was in flight. */
class SubscriptionGone extends Error {}

/** Recovered iff the epoch matches and the returned publications reach from since+1 to the top without a gap. */
function isRecovered(page: HistoryPage, since: StreamPosition): boolean {
  if (since.epoch !== '' && since.epoch !== page.position.epoch) return false;
  const pubs = page.publications;
  const first = pubs[0];
  const last = pubs[pubs.length - 1];
  if (first === undefined || last === undefined) return page.position.offset === since.offset;
  return first.offset === since.offset + 1 && last.offset === page.position.offset;
}

/** True when the server refreshes this subscription through the sub_refresh proxy (the client has no token). */
function refreshedByProxy(session: Connection, sub: ChannelSubscription): boolean {
  return sub.grantedByProxy && sub.options.subRefreshProxyEnabled && session.ctx.proxies.has('subRefresh');
}

/** Asks the sub_refresh proxy at expiry: `expired` ends the subscription (2501), a new `expire_at` extends it. */
async function refreshSubscriptionThroughProxy(session: Connection, sub: ChannelSubscription): Promise<void> {
  try {
    const grant = await session.ctx.proxies.subRefresh(session, sub.channel);
    if (sub.status !== 'subscribed') return;
    if (grant.expired || (grant.expireAtMs !== null && grant.expireAtMs <= Date.now())) {
      session.unsubscribeWithPush(sub, Unsubscribes.expired);
      return;
    }
    if (grant.info !== null) sub.chanInfo = grant.info;
    sub.expireAtMs = grant.expireAtMs ?? 0;
  } catch (err) {
    if (err instanceof DisconnectError) {
      session.close(err);
      return;
    }
    sub.expireAtMs = Date.now() + 5000;
  }
  scheduleSubscriptionExpiry(session, sub);
}

/** Ends the subscription with 2501 unless it was refreshed in time. */
function scheduleSubscriptionExpiry(session: Connection, sub: ChannelSubscription): void {
  if (sub.expiryTimer !== null) clearTimeout(sub.expiryTimer);
  sub.expiryTimer = armExpiry({
    expireAtMs: () => sub.expireAtMs,
    graceMs: session.ctx.expiredCloseDelayMs,
    ...(refreshedByProxy(session, sub)
      ? {
          refresh: () => {
            sub.expiryTimer = null;
            void refreshSubscriptionThroughProxy(session, sub);
          },
        }
      : {}),
    expired: () => {
      sub.expiryTimer = null;
      session.unsubscribeWithPush(sub, Unsubscribes.expired);
    },
    rearm: () => scheduleSubscriptionExpiry(session, sub),
  });
}

export async function handleSubscribe(session: Connection, req: SubscribeRequest): Promise<HandlerOutcome> {
  const { config } = session.ctx;
  const channel = req.channel ?? '';
  if (channel === '') throw new DisconnectError(Disconnects.badRequest);
  if ((req.type ?? 0) !== 0) throw new ReplyError(Errors.notAvailable, 'map subscriptions are not supported: subscribe without a type');
  if (req.delta !== undefined && req.delta !== '' && req.delta !== 'fossil') throw new DisconnectError(Disconnects.badRequest);
  const invalid = validateChannelName(config.channel, channel);
  if (invalid !== null) throw new ReplyError(Errors.badRequest, invalid);
  if (session.subscriptions.has(channel)) throw new ReplyError(Errors.alreadySubscribed);
  if (session.subscriptions.size >= config.client.channelLimit) throw new ReplyError(Errors.limitExceeded);
  const resolved = resolveOrThrow(session, channel);
  if (req.tf !== undefined) {
    if (resolved.options.allowTagsFilter !== true)
      throw new ReplyError(Errors.badRequest, 'tags filter not allowed in this namespace (set allow_tags_filter)');
    if (req.delta === 'fossil') throw new ReplyError(Errors.badRequest, 'a tags filter and delta compression exclude each other');
    const problem = validateTagsFilter(req.tf);
    if (problem !== null) throw new ReplyError(Errors.badRequest, problem);
  }
  const grant = await authorizeSubscribe(session, channel, resolved, req.token ?? '', req.data);
  const negotiated = await negotiateSubscription(session, channel, resolved, grant, req, false);
  return { reply: { subscribe: negotiated.result }, afterReply: negotiated.activate };
}

/** A subscription whose result is ready; `activate` must run right after the result was queued to the client. */
export interface NegotiatedSubscription {
  result: SubscribeResult;
  activate: () => void;
}

/**
 * The part of a subscribe after permission was granted, shared by the subscribe command and
 * server-side subscriptions (token `channels`/`subs`, connect proxy `channels`/`subs`): hub
 * membership, recovery/positioning from history (the client's `recover`/`offset`/`epoch`),
 * presence; publications flow once `activate` runs.
 */
export async function negotiateSubscription(
  session: Connection,
  channel: ChannelName,
  resolved: ResolvedChannel,
  grant: SubscribeGrant,
  req: SubscribeRequest,
  serverSide: boolean,
): Promise<NegotiatedSubscription> {
  const { hub, broker, presence, presenceTtlMs } = session.ctx;
  const sub = newSubscription(session, channel, resolved, grant, req, serverSide);
  const history = historyOptionsFor(sub.options);
  session.addSubscription(sub);
  const alive = (): void => {
    if (sub.status !== 'subscribing' || session.closed) throw new SubscriptionGone();
  };
  try {
    await hub.addSubscriber(sub);
    alive();
    const result: SubscribeResult = {};
    if (sub.delta) result.delta = true;
    // Client-side JSON subscriptions only: server-side subscriptions are routed by channel name, and
    // the protobuf build of centrifuge-js decodes the int64 ids as Long objects compared by identity,
    // so it would drop every compacted push.
    if (!serverSide && ((req.flag ?? 0) & FLAG_CHANNEL_COMPACTION) !== 0 && session.protocol === 'json') {
      sub.compactId = hub.channelId(channel);
      if (sub.compactId > 0) result.id = sub.compactId;
    }
    let position: StreamPosition | null = null;
    if (sub.positioned && history !== undefined) {
      const page = await broker.history(channel, historyFilter(sub, req), history);
      alive();
      position = page.position;
      positionResult(session, sub, req, page, result);
    }
    if (grant.data !== undefined) result.data = grant.data;
    if (sub.expireAtMs > 0 && !refreshedByProxy(session, sub)) {
      result.expires = true;
      result.ttl = ttlSeconds(sub.expireAtMs);
    }
    if (sub.presence) {
      await presence.addPresence(channel, session.id, session.clientInfo(sub.chanInfo), presenceTtlMs);
      alive();
    }
    return { result, activate: () => activate(session, sub, position) };
  } catch (err) {
    session.removeSubscription(sub);
    if (err instanceof SubscriptionGone) {
      // The connection closed while presence was being added: its cleanup may have run first.
      if (sub.presence) presence.removePresence(channel, session.id, session.user).catch(() => undefined);
      throw new ReplyError(Errors.internal);
    }
    throw err;
  }
}

/** The subscription with its negotiated features (not yet registered). */
function newSubscription(
  session: Connection,
  channel: ChannelName,
  resolved: ResolvedChannel,
  grant: SubscribeGrant,
  req: SubscribeRequest,
  serverSide: boolean,
): ChannelSubscription {
  // A token's or proxy's `override` replaces these five namespace options for this subscription only.
  const o = grant.override === undefined ? resolved.options : { ...resolved.options, ...grant.override };
  const history = historyOptionsFor(o);
  if (history !== undefined) session.newChannels.admit(channel);
  const sub = new ChannelSubscription(session, channel, resolved.namespace, o);
  sub.serverSide = serverSide;
  if (!serverSide) {
    sub.delta = req.delta === 'fossil' && (o.allowedDeltaTypes?.includes('fossil') ?? false);
    if (req.tf !== undefined) sub.tagsFilter = req.tf;
  }
  sub.recoverable = history !== undefined && (o.forceRecovery || req.recoverable === true || (serverSide && req.recover === true));
  sub.positioned = history !== undefined && (sub.recoverable || o.forcePositioning || req.positioned === true);
  sub.pushJoinLeave = o.forcePushJoinLeave || (o.joinLeave && req.join_leave === true);
  sub.presence = o.presence;
  if (grant.chanInfo !== undefined) sub.chanInfo = grant.chanInfo;
  if (grant.expireAtMs !== undefined) sub.expireAtMs = grant.expireAtMs;
  if (grant.viaProxy === true) sub.grantedByProxy = true;
  return sub;
}

/** What a positioned subscription reads from history: everything since the client's position when it recovers, else the top only. */
function historyFilter(sub: ChannelSubscription, req: SubscribeRequest): HistoryFilter {
  if (!(sub.recoverable && req.recover === true)) return { limit: 0 };
  return { since: { offset: req.offset ?? 0, epoch: req.epoch ?? '' }, limit: -1 };
}

/**
 * Fills the position fields of `result` from the history page and, when the client recovers
 * without a gap, the missed publications (filtered, as deltas for a delta subscription). A gap
 * with FLAG_REJECT_UNRECOVERED fails the subscribe with 112.
 */
function positionResult(
  session: Connection,
  sub: ChannelSubscription,
  req: SubscribeRequest,
  page: HistoryPage,
  result: SubscribeResult,
): void {
  result.positioned = true;
  result.epoch = page.position.epoch;
  result.offset = page.position.offset;
  if (sub.recoverable) result.recoverable = true;
  if (req.recover !== true) return;
  result.was_recovering = true;
  const recover = sub.recoverable;
  const since: StreamPosition = { offset: req.offset ?? 0, epoch: req.epoch ?? '' };
  if (recover && isRecovered(page, since)) {
    result.recovered = true;
    result.offset = since.offset;
    const pubs = page.publications.map(clientPublication);
    const filter = sub.tagsFilter;
    const delivered = filter === null ? pubs : pubs.filter((p) => matchesTagsFilter(filter, p.tags));
    const last = delivered[delivered.length - 1];
    if (last === undefined) return;
    if (sub.delta) {
      const d = deltaPublications(delivered, null);
      result.publications = session.protocol === 'json' ? d.json : d.protobuf;
      sub.deltaBase = last.data;
    } else {
      result.publications = delivered;
    }
  } else if (recover && ((req.flag ?? 0) & FLAG_REJECT_UNRECOVERED) !== 0) {
    // The client reloads its state (getState) and subscribes again instead of resuming with a gap.
    throw new ReplyError(Errors.unrecoverablePosition);
  }
}

/** Starts delivery right after the subscribe result was queued: buffered publications, expiry, join. */
function activate(session: Connection, sub: ChannelSubscription, position: StreamPosition | null): void {
  sub.activate(position);
  if (sub.status !== 'subscribed') return;
  scheduleSubscriptionExpiry(session, sub);
  const o = sub.options;
  if (o.joinLeave || o.forcePushJoinLeave) {
    sub.joinAnnounced = true;
    session.ctx.broker
      .publishJoin(sub.channel, session.clientInfo(sub.chanInfo))
      .catch((err: unknown) => session.ctx.logger.warn({ err, channel: sub.channel }, 'join failed'));
  }
}

export async function handleUnsubscribe(session: Connection, req: UnsubscribeRequest): Promise<UnsubscribeResult> {
  const sub = session.subscriptions.get(req.channel ?? '');
  if (sub !== undefined) session.removeSubscription(sub);
  return {};
}

export async function handleSubRefresh(session: Connection, req: SubRefreshRequest): Promise<SubRefreshResult> {
  const channel = req.channel ?? '';
  if (channel === '') throw new DisconnectError(Disconnects.badRequest);
  const sub = session.subscriptions.get(channel);
  if (sub === undefined || sub.status !== 'subscribed') throw new ReplyError(Errors.permissionDenied);
  const token = req.token ?? '';
  if (token === '') throw new ReplyError(Errors.badRequest, 'sub_refresh needs a token');
  const grant = await verifySubscriptionToken(session, channel, token);
  sub.expireAtMs = grant.expireAtMs ?? 0;
  scheduleSubscriptionExpiry(session, sub);
  return sub.expireAtMs > 0 ? { expires: true, ttl: ttlSeconds(sub.expireAtMs) } : {};
}
