/**
 * What differs for unidirectional connections (uni_websocket, uni_http_stream, uni_sse) at connect:
 * channels named in the ConnectRequest `subs` are subscribed server-side when the connection may
 * subscribe to them as a client would, and a failed connect becomes a disconnect (there is no
 * reply to carry an error).
 */

import { resolveChannel } from '../config/index.js';
import { Disconnects, Errors, ReplyError, type ConnectRequest, type DisconnectCode } from '../protocol/index.js';
import type { ServerSideSubscription } from './auth/index.js';
import { authorizeSubscribe } from './channel-access.js';
import type { Connection } from './connection.js';

/**
 * Server-side subscriptions a unidirectional client asks for in its ConnectRequest `subs`
 * (`{"subs": {"news": {}}}`), besides those its token grants; each needs the permission a
 * subscribe command would need (namespace rules, a subscription token in the entry's `token`).
 * Throws the subscribe's error (102, 103, ...): the connect fails as a whole.
 */
export async function requestedUniSubscriptions(
  session: Connection,
  req: ConnectRequest,
  granted: readonly ServerSideSubscription[],
): Promise<ServerSideSubscription[]> {
  const have = new Set(granted.map((s) => s.channel));
  const out: ServerSideSubscription[] = [];
  for (const [channel, asked] of Object.entries(req.subs ?? {})) {
    if (have.has(channel)) continue;
    const resolved = resolveChannel(session.ctx.config.channel, channel);
    if (resolved === null) throw new ReplyError(Errors.unknownChannel);
    const grant = await authorizeSubscribe(session, channel, resolved, asked.token ?? '', asked.data);
    out.push({ channel, info: grant.chanInfo ?? null, data: grant.data ?? null, override: grant.override ?? null });
  }
  return out;
}

/** The disconnect a unidirectional client gets for a connect error reply. */
export function uniConnectDisconnect(err: ReplyError): DisconnectCode {
  if (err.temporary) return Disconnects.internal;
  switch (err.code) {
    case Errors.tokenExpired.code:
    case Errors.expired.code:
      return Disconnects.connectionExpired;
    case Errors.unauthorized.code:
    case Errors.permissionDenied.code:
    case Errors.unknownChannel.code:
      return Disconnects.permissionDenied;
    case Errors.limitExceeded.code:
      return Disconnects.connectionLimit;
    default:
      return Disconnects.badRequest;
  }
}
