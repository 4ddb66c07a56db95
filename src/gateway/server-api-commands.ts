/**
 * The per-connection effects of the server API's `subscribe` and `refresh` (delivered to every
 * node as control commands): a server-side subscription announced with a subscribe push, and the
 * new expiry (or an immediate 3005) of a connection.
 */

import { resolveChannel, validateChannelName } from '../config/index.js';
import type { RefreshCommand, SubscribeCommand } from '../engine/index.js';
import type { Push } from '../protocol/index.js';
import type { SubscribeGrant } from './channel-access.js';
import type { Connection, ConnectionChanges } from './connection.js';
import { negotiateSubscription } from './subscribe-handler.js';

const bytes = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));

/** Subscribes one connection; false when it is already subscribed or the channel is not acceptable. */
export function subscribeSession(session: Connection, command: SubscribeCommand): boolean {
  const { config, logger } = session.ctx;
  const channel = command.channel;
  if (session.subscriptions.has(channel) || session.subscriptions.size >= config.client.channelLimit) return false;
  if (validateChannelName(config.channel, channel) !== null) return false;
  const resolved = resolveChannel(config.channel, channel);
  if (resolved === null) return false;
  const grant: SubscribeGrant = {};
  if (command.info !== undefined) grant.chanInfo = bytes(command.info);
  if (command.data !== undefined) grant.data = bytes(command.data);
  if (command.override !== undefined) grant.override = command.override;
  const since = command.recoverSince;
  const req = since === undefined ? {} : { recover: true, offset: since.offset, epoch: since.epoch };
  negotiateSubscription(session, channel, resolved, grant, req, true).then(
    (negotiated) => {
      if (session.closed) return;
      const r = negotiated.result;
      const push: Push = { channel, subscribe: {} };
      const sub = push.subscribe!;
      if (r.recoverable === true) sub.recoverable = true;
      if (r.positioned === true) sub.positioned = true;
      if (r.epoch !== undefined) sub.epoch = r.epoch;
      if (r.offset !== undefined) sub.offset = r.offset;
      if (r.data !== undefined) sub.data = r.data;
      session.sendReply({ push });
      // Recovered publications (recover_since) follow the subscribe push, before live ones.
      for (const pub of r.publications ?? []) session.sendReply({ push: { channel, pub } });
      negotiated.activate();
    },
    (err: unknown) => logger.warn({ err, channel, client: session.id }, 'server API subscribe failed for a connection'),
  );
  return true;
}

/**
 * What a server API refresh changes for a connection; null when the connection is to be closed
 * as expired (`expired`, or an expiry already past).
 */
export function refreshChanges(command: RefreshCommand): ConnectionChanges | null {
  if (command.expired === true) return null;
  const expireAtMs = command.expireAt === undefined || command.expireAt === 0 ? 0 : Math.floor(command.expireAt * 1000);
  if (expireAtMs > 0 && expireAtMs <= Date.now()) return null;
  const changes: ConnectionChanges = { expireAtMs };
  if (command.info !== undefined) changes.connInfo = bytes(command.info);
  return changes;
}
