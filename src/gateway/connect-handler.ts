/** The `connect` and `refresh` commands: authentication, connection expiry and the ConnectResult. */

import {
  DisconnectError, Disconnects, Errors, ReplyError,
  type Bytes, type ConnectRequest, type ConnectResult, type RefreshRequest, type RefreshResult, type UserId,
} from '../protocol/index.js';
import { InvalidTokenError, TokenExpiredError, verifyConnectToken, type ConnectTokenClaims } from './auth/index.js';
import type { ClientSession } from './client-session.js';

const utf8 = new TextDecoder();

interface Credentials { user: UserId; info: Bytes | null; expireAtMs: number | null }

function verify(session: ClientSession, token: string, secret: string, nowMs: number): ConnectTokenClaims {
  try {
    return verifyConnectToken(token, secret, nowMs);
  } catch (err) {
    if (err instanceof TokenExpiredError) throw new ReplyError(Errors.tokenExpired);
    if (err instanceof InvalidTokenError) {
      session.ctx.logger.info({ client: session.id, reason: err.reason }, 'invalid connection token');
      throw new DisconnectError(Disconnects.invalidToken);
    }
    throw err;
  }
}

function credentials(session: ClientSession, token: string, nowMs: number): Credentials {
  const client = session.ctx.config.client;
  const secret = client.tokenHmacSecretKey;
  if (token !== '' && secret !== null) {
    const claims = verify(session, token, secret, nowMs);
    return { user: claims.user, info: claims.info, expireAtMs: claims.expireAtMs };
  }
  if (client.insecure) return { user: '', info: null, expireAtMs: null };
  // A token that cannot be verified (no secret configured) is not silently downgraded to anonymous.
  if (token !== '') throw new DisconnectError(Disconnects.invalidToken);
  if (!client.allowAnonymousConnectWithoutToken) throw new DisconnectError(Disconnects.badRequest);
  return { user: '', info: null, expireAtMs: null };
}

/** True when the client says this connect replaces an earlier connection (reconnecting wrapper). */
function isReconnect(req: ConnectRequest): boolean {
  const previous = req.headers?.['x-previous-client-id'];
  if (previous !== undefined && previous !== '') return true;
  if (req.data === undefined || req.data.length === 0 || req.data.length > 4096) return false;
  try {
    const data: unknown = JSON.parse(utf8.decode(req.data));
    return typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>)['previous_client_id'] === 'string';
  } catch {
    return false;
  }
}

/** Whole seconds until expiry, rounded down so the client refreshes before it. */
function ttlSeconds(expireAtMs: number, nowMs: number): number {
  return Math.max(1, Math.floor((expireAtMs - nowMs) / 1000));
}

export async function handleConnect(session: ClientSession, req: ConnectRequest): Promise<ConnectResult> {
  const { config, metrics, logger, version } = session.ctx;
  const now = Date.now();
  const creds = credentials(session, req.token ?? '', now);
  if (creds.expireAtMs !== null && creds.expireAtMs <= now) throw new ReplyError(Errors.expired);
  session.user = creds.user;
  if (creds.info !== null) session.connInfo = creds.info;
  session.expireAtMs = creds.expireAtMs ?? 0;
  const result: ConnectResult = {
    client: session.id,
    version,
    ping: Math.ceil(config.client.pingIntervalMs / 1000),
    pong: true,
  };
  if (creds.expireAtMs !== null) {
    result.expires = true;
    result.ttl = ttlSeconds(creds.expireAtMs, now);
  }
  if (session.sessionId !== null) {
    result.session = session.sessionId;
    result.node = config.nodeId;
  }
  session.markConnected();
  metrics.connectsTotal.inc({ transport: session.transport.name, protocol: session.protocol });
  if (isReconnect(req)) metrics.reconnectTotal.inc();
  logger.debug({ client: session.id, user: session.user, protocol: session.protocol }, 'client connected');
  return result;
}

export async function handleRefresh(session: ClientSession, req: RefreshRequest): Promise<RefreshResult> {
  const token = req.token ?? '';
  const secret = session.ctx.config.client.tokenHmacSecretKey;
  if (token === '') throw new DisconnectError(Disconnects.badRequest);
  if (secret === null) throw new ReplyError(Errors.notAvailable);
  const now = Date.now();
  let claims: ConnectTokenClaims;
  try {
    claims = verifyConnectToken(token, secret, now);
  } catch (err) {
    if (err instanceof TokenExpiredError) throw new DisconnectError(Disconnects.connectionExpired);
    if (err instanceof InvalidTokenError) throw new DisconnectError(Disconnects.invalidToken);
    throw err;
  }
  if (claims.user !== session.user) throw new DisconnectError(Disconnects.invalidToken);
  if (claims.expireAtMs !== null && claims.expireAtMs <= now) throw new DisconnectError(Disconnects.connectionExpired);
  session.expireAtMs = claims.expireAtMs ?? 0;
  if (claims.info !== null) session.connInfo = claims.info;
  session.scheduleExpiry();
  const result: RefreshResult = { client: session.id, version: session.ctx.version };
  if (claims.expireAtMs !== null) {
    result.expires = true;
    result.ttl = ttlSeconds(claims.expireAtMs, now);
  }
  return result;
}
