/**
 * The `connect` and `refresh` commands: authentication (token verified by jose, or the connect
 * proxy for a connect without token), the per-user limit, server-side subscriptions, connection
 * expiry and the ConnectResult; and the server-side refresh through the refresh proxy.
 */

import {
  DisconnectError,
  Disconnects,
  Errors,
  ReplyError,
  type Bytes,
  type ConnectRequest,
  type ConnectResult,
  type RefreshRequest,
  type RefreshResult,
  type UserId,
} from '../protocol/index.js';
import {
  InvalidTokenError,
  TokenExpiredError,
  TokenKeysUnavailableError,
  verifyConnectToken,
  type ConnectTokenClaims,
  type ServerSideSubscription,
} from './auth/index.js';
import type { Connection, ConnectionChanges, HandlerOutcome } from './connection.js';
import { subscribeServerSide } from './server-side-subscriptions.js';
import { ttlSeconds } from './session-timers.js';
import { requestedUniSubscriptions } from './uni-connect.js';

const utf8 = new TextDecoder();

interface Credentials {
  user: UserId;
  info: Bytes | null;
  expireAtMs: number | null;
  subs: readonly ServerSideSubscription[];
  meta: Bytes | null;
  /** ConnectResult `data` (connect proxy). */
  data: Bytes | null;
  byProxy: boolean;
}

const ANONYMOUS: Credentials = { user: '', info: null, expireAtMs: null, subs: [], meta: null, data: null, byProxy: false };

async function verify(session: Connection, token: string, nowMs: number): Promise<ConnectTokenClaims> {
  try {
    return await verifyConnectToken(token, session.ctx.tokens.connection, nowMs);
  } catch (err) {
    if (err instanceof TokenExpiredError) throw new ReplyError(Errors.tokenExpired);
    if (err instanceof TokenKeysUnavailableError) {
      session.ctx.logger.warn({ client: session.id }, 'token key set unavailable; connect gets a temporary error');
      throw new ReplyError(Errors.internal);
    }
    if (err instanceof InvalidTokenError) {
      session.ctx.logger.info({ client: session.id, reason: err.reason }, 'invalid connection token');
      throw new DisconnectError(Disconnects.invalidToken);
    }
    throw err;
  }
}

async function credentials(
  session: Connection,
  req: ConnectRequest,
  transportHeaders: Readonly<Record<string, string>>,
  nowMs: number,
): Promise<Credentials> {
  const { config, tokens, proxies } = session.ctx;
  const token = req.token ?? '';
  if (token !== '' && tokens.connection.configured) {
    const c = await verify(session, token, nowMs);
    if (c.user === '' && session.ctx.config.tokens.disallowAnonymousConnectionTokens) {
      session.ctx.logger.info({ client: session.id, reason: 'anonymous connection token' }, 'invalid connection token');
      throw new DisconnectError(Disconnects.invalidToken);
    }
    return { user: c.user, info: c.info, expireAtMs: c.expireAtMs, subs: c.subs, meta: c.meta, data: null, byProxy: false };
  }
  // Like Centrifugo, the connect proxy is asked only when the client brings no token.
  if (token === '' && proxies.has('connect')) {
    const asked = { id: session.id, user: session.user, protocol: session.protocol, meta: session.meta, transportHeaders };
    const g = await proxies.connect(asked, req.data, req.name, req.version);
    return { user: g.user, info: g.info, expireAtMs: g.expireAtMs, subs: g.subs, meta: g.meta, data: g.data, byProxy: true };
  }
  if (config.client.insecure) return ANONYMOUS;
  // A token that cannot be verified (no key configured) is not silently downgraded to anonymous.
  if (token !== '') throw new DisconnectError(Disconnects.invalidToken);
  if (!config.client.allowAnonymousConnectWithoutToken) throw new DisconnectError(Disconnects.badRequest);
  return ANONYMOUS;
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

/** Longest emulated header value kept, characters. */
const MAX_EMULATED_HEADER = 8192;

/**
 * centrifuge-js's header emulation (`headers` option, sent in ConnectRequest `headers`): the ones
 * some proxy forwards are kept for proxy calls, under the transport's real headers, which win.
 */
function withEmulatedHeaders(session: Connection, req: ConnectRequest): Readonly<Record<string, string>> {
  const emulated = req.headers;
  if (emulated === undefined) return session.transportHeaders;
  const names = session.ctx.proxies.forwardedHeaders;
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(emulated)) {
    const lower = name.toLowerCase();
    if (names.has(lower) && value.length <= MAX_EMULATED_HEADER && !/[\r\n]/.test(value)) kept[lower] = value;
  }
  return { ...kept, ...session.transportHeaders };
}

/** A connect whose client is authenticated: the identity to apply before {@link completeConnect} runs. */
export interface AuthenticatedConnect {
  changes: ConnectionChanges;
  /** Unix ms of the credentials' expiry; null: never. */
  expireAtMs: number | null;
  subs: readonly ServerSideSubscription[];
  /** ConnectResult `data` (connect proxy). */
  data: Bytes | null;
  byProxy: boolean;
  nowMs: number;
}

/**
 * The connect's first step: emulated headers, credentials (token or connect proxy), their expiry
 * and the per-user limit. Returns who the client is, for the connection to apply.
 */
export async function authenticateConnect(session: Connection, req: ConnectRequest): Promise<AuthenticatedConnect> {
  const now = Date.now();
  const transportHeaders = withEmulatedHeaders(session, req);
  const creds = await credentials(session, req, transportHeaders, now);
  if (creds.expireAtMs !== null && creds.expireAtMs <= now) throw new ReplyError(Errors.expired);
  if (session.ctx.admission.userAtLimit(creds.user)) throw new ReplyError(Errors.limitExceeded, 'user connection limit reached');
  const changes: ConnectionChanges = { user: creds.user, authByProxy: creds.byProxy, expireAtMs: creds.expireAtMs ?? 0, transportHeaders };
  if (creds.info !== null) changes.connInfo = creds.info;
  if (creds.meta !== null) changes.meta = creds.meta;
  return { changes, expireAtMs: creds.expireAtMs, subs: creds.subs, data: creds.data, byProxy: creds.byProxy, nowMs: now };
}

/**
 * The connect's second step, once the identity is applied: server-side subscriptions, the
 * per-user limit again, the ConnectResult; marks the connection connected.
 */
export async function completeConnect(session: Connection, req: ConnectRequest, auth: AuthenticatedConnect): Promise<HandlerOutcome> {
  const { config, metrics, logger, version, admission } = session.ctx;
  const uni = session.transport.unidirectional;
  const subs = uni ? [...auth.subs, ...(await requestedUniSubscriptions(session, req, auth.subs))] : auth.subs;
  const serverSide = subs.length > 0 ? await subscribeServerSide(session, subs, req.subs) : null;
  // Checked again now that nothing awaits before markConnected counts this connection, so two
  // connects of one user in flight together cannot both take the last slot.
  if (admission.userAtLimit(session.user)) {
    for (const sub of [...session.subscriptions.values()]) session.removeSubscription(sub);
    throw new ReplyError(Errors.limitExceeded, 'user connection limit reached');
  }
  const result: ConnectResult = {
    client: session.id,
    version,
    ping: Math.ceil(config.client.pingIntervalMs / 1000),
    pong: !uni,
  };
  if (auth.data !== null) result.data = auth.data;
  if (serverSide !== null) result.subs = serverSide.results;
  // With the refresh proxy the server extends the connection itself; the client has no token to refresh with.
  if (auth.expireAtMs !== null && !(auth.byProxy && session.ctx.proxies.has('refresh'))) {
    result.expires = true;
    result.ttl = ttlSeconds(auth.expireAtMs, auth.nowMs);
  }
  if (session.sessionId !== null) {
    result.session = session.sessionId;
    result.node = config.nodeId;
  }
  session.markConnected();
  metrics.connectsTotal.inc({ transport: session.transport.name, protocol: session.protocol });
  if (isReconnect(req)) metrics.reconnectTotal.inc();
  logger.debug({ client: session.id, user: session.user, protocol: session.protocol }, 'client connected');
  return serverSide === null ? { reply: { connect: result } } : { reply: { connect: result }, afterReply: serverSide.activate };
}

/** The client's refresh with a new connection token: the new expiry and info, applied by the connection. */
export async function handleRefresh(session: Connection, req: RefreshRequest): Promise<HandlerOutcome> {
  const token = req.token ?? '';
  const verifier = session.ctx.tokens.connection;
  if (token === '') throw new DisconnectError(Disconnects.badRequest);
  if (!verifier.configured) throw new ReplyError(Errors.notAvailable);
  const now = Date.now();
  let claims: ConnectTokenClaims;
  try {
    claims = await verifyConnectToken(token, verifier, now);
  } catch (err) {
    if (err instanceof TokenExpiredError) throw new DisconnectError(Disconnects.connectionExpired);
    if (err instanceof TokenKeysUnavailableError) throw new ReplyError(Errors.internal);
    if (err instanceof InvalidTokenError) throw new DisconnectError(Disconnects.invalidToken);
    throw err;
  }
  if (claims.user !== session.user) throw new DisconnectError(Disconnects.invalidToken);
  if (claims.expireAtMs !== null && claims.expireAtMs <= now) throw new DisconnectError(Disconnects.connectionExpired);
  const changes: ConnectionChanges = { expireAtMs: claims.expireAtMs ?? 0 };
  if (claims.info !== null) changes.connInfo = claims.info;
  const result: RefreshResult = { client: session.id, version: session.ctx.version };
  if (claims.expireAtMs !== null) {
    result.expires = true;
    result.ttl = ttlSeconds(claims.expireAtMs, now);
  }
  return { reply: { refresh: result }, changes };
}

/** How long to wait before asking a refresh proxy again after it failed. */
const REFRESH_RETRY_MS = 5000;

/**
 * Server-side refresh when a proxy-authenticated connection expires: the backend says `expired`
 * (close 3005) or gives a new `expire_at` (returned for the connection to apply); a backend `disconnect` closes with that code; a backend
 * that is down is asked again shortly (the connection is kept meanwhile, as Centrifugo does).
 */
export async function refreshThroughProxy(session: Connection): Promise<ConnectionChanges | null> {
  if (session.closed) return null;
  try {
    const grant = await session.ctx.proxies.refresh(session);
    if (session.closed) return null;
    if (grant.expired || (grant.expireAtMs !== null && grant.expireAtMs <= Date.now())) {
      session.close(Disconnects.connectionExpired);
      return null;
    }
    const changes: ConnectionChanges = { expireAtMs: grant.expireAtMs ?? 0 };
    if (grant.info !== null) changes.connInfo = grant.info;
    return changes;
  } catch (err) {
    if (err instanceof DisconnectError) {
      session.close(err);
      return null;
    }
    return { expireAtMs: Date.now() + REFRESH_RETRY_MS };
  }
}
