/**
 * Server-side subscriptions: channels a connection is subscribed to by the server at connect time
 * (connection token `channels`/`subs`, connect proxy `channels`/`subs`) rather than by subscribe
 * commands. Their results travel in ConnectResult `subs`; a reconnecting client asks for recovery
 * through ConnectRequest `subs` (`recover`, `offset`, `epoch`), exactly as a subscribe would.
 * Transport-independent: any transport's connect flow calls {@link subscribeServerSide}.
 */

import { resolveChannel, validateChannelName } from '../config/index.js';
import { Errors, ReplyError, type ChannelName, type SubscribeRequest, type SubscribeResult } from '../protocol/index.js';
import type { ServerSideSubscription } from './auth/index.js';
import type { SubscribeGrant } from './channel-access.js';
import type { Connection } from './connection.js';
import { negotiateSubscription, type NegotiatedSubscription } from './subscribe-handler.js';

/** The ConnectResult `subs` and the step that starts delivery once the connect reply is queued. */
export interface ServerSideOutcome {
  results: Record<ChannelName, SubscribeResult>;
  activate: () => void;
}

function grantOf(s: ServerSideSubscription): SubscribeGrant {
  const grant: SubscribeGrant = {};
  if (s.info !== null) grant.chanInfo = s.info;
  if (s.data !== null) grant.data = s.data;
  if (s.override !== null) grant.override = s.override;
  return grant;
}

/**
 * Subscribes `session` to every channel of `subs` (no permission check: the token or backend
 * granted them). Rejects with 107 (bad name), 102 (unknown namespace) or 106 (over the channel
 * limit), having undone the subscriptions already made, so the connect fails as a whole.
 */
export async function subscribeServerSide(
  session: Connection,
  subs: readonly ServerSideSubscription[],
  requested: Readonly<Record<ChannelName, SubscribeRequest>> | undefined,
): Promise<ServerSideOutcome> {
  const { config } = session.ctx;
  const done: NegotiatedSubscription[] = [];
  const results: Record<ChannelName, SubscribeResult> = {};
  try {
    for (const s of subs) {
      const invalid = validateChannelName(config.channel, s.channel);
      if (invalid !== null) throw new ReplyError(Errors.badRequest, `server-side subscription: ${invalid}`);
      const resolved = resolveChannel(config.channel, s.channel);
      if (resolved === null) throw new ReplyError(Errors.unknownChannel, `server-side subscription to an unknown channel`);
      if (session.subscriptions.has(s.channel)) continue;
      if (session.subscriptions.size >= config.client.channelLimit) throw new ReplyError(Errors.limitExceeded);
      const asked = requested?.[s.channel] ?? {};
      const negotiated = await negotiateSubscription(session, s.channel, resolved, grantOf(s), asked, true);
      done.push(negotiated);
      results[s.channel] = negotiated.result;
    }
  } catch (err) {
    for (const sub of [...session.subscriptions.values()]) if (sub.serverSide) session.removeSubscription(sub);
    throw err;
  }
  return {
    results,
    activate: () => {
      for (const n of done) n.activate();
    },
  };
}
