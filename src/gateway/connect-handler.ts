/**
 * The `connect` and `refresh` commands: authentication (token verified by jose, or the connect
 * proxy for a connect without token), the per-user limit, server-side subscriptions, connection
 * expiry and the ConnectResult; and the server-side refresh through the refresh proxy.
 */

import {
  DisconnectError, Disconnects, Errors, ReplyError,
  type Bytes, type ConnectRequest, type ConnectResult, type RefreshRequest, type RefreshResult, type UserId,
} from '../protocol/index.js';
import {
  InvalidTokenError, TokenExpiredError, TokenKeysUnavailableError, verifyConnectToken,
  type ConnectTokenClaims, type ServerSideSubscription,
} from './auth/index.js';
import type { ClientSession, HandlerOutcome } from './client-session.js';
import { subscribeServerSide } from './server-side-subscriptions.js';
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

async function verify(session: ClientSession, token: string, nowMs: number): Promise<ConnectTokenClaims> {
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

async function credentials(session: ClientSession, req: ConnectRequest, nowMs: number): Promise<Credentials> {
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
    const g = await proxies.connect(session, req.data, req.name, req.version);
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

/** Whole seconds until expiry, rounded down so the client refreshes before it. */
function ttlSeconds(expireAtMs: number, nowMs: number): number {
  return Math.max(1, Math.floor((expireAtMs - nowMs) / 1000));
}

/** Longest emulated header value kept, characters. */
const MAX_EMULATED_HEADER = 8192;

/**
 * centrifuge-js's header emulation (`headers` option, sent in ConnectRequest `headers`): the ones
 * some proxy forwards are kept for proxy calls, under the transport's real headers, which win.
 */
function withEmulatedHeaders(session: ClientSession, req: ConnectRequest): void {
  const emulated = req.headers;
  if (emulated === undefined) return;
  const names = session.ctx.proxies.forwardedHeaders;
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(emulated)) {
    const lower = name.toLowerCase();
    if (names.has(lower) && value.length <= MAX_EMULATED_HEADER && !/[\r\n]/.test(value)) kept[lower] = value;
  }
  session.transportHeaders = { ...kept, ...session.transportHeaders };
}

export async function handleConnect(session: ClientSession, req: ConnectRequest): Promise<HandlerOutcome> {
  const { config, metrics, logger, version, admission } = session.ctx;
  const now = Date.now();
  withEmulatedHeaders(session, req);
  const creds = await credentials(session, req, now);
  if (creds.expireAtMs !== null && creds.expireAtMs <= now) throw new ReplyError(Errors.expired);
  if (admission.userAtLimit(creds.user)) throw new ReplyError(Errors.limitExceeded, 'user connection limit reached');
  session.user = creds.user;
  if (creds.info !== null) session.connInfo = creds.info;
  if (creds.meta !== null) session.meta = creds.meta;
  session.authByProxy = creds.byProxy;
  session.expireAtMs = creds.expireAtMs ?? 0;
  const uni = session.transport.unidirectional;
  const subs = uni ? [...creds.subs, ...await requestedUniSubscriptions(session, req, creds.subs)] : creds.subs;
  const serverSide = subs.length > 0 ? await subscribeServerSide(session, subs, req.subs) : null;
  // Checked again now that nothing awaits before markConnected counts this connection, so two
  // connects of one user in flight together cannot both take the last slot.
  if (admission.userAtLimit(creds.user)) {
    for (const sub of [...session.subscriptions.values()]) session.removeSubscription(sub);
    throw new ReplyError(Errors.limitExceeded, 'user connection limit reached');
  }
  const result: ConnectResult = {
    client: session.id,
    version,
    ping: Math.ceil(config.client.pingIntervalMs / 1000),
    pong: !uni,
  };
  if (creds.data !== null) result.data = creds.data;
  if (serverSide !== null) result.subs = serverSide.results;
  // With the refresh proxy the server extends the connection itself; the client has no token to refresh with.
  if (creds.expireAtMs !== null && !(creds.byProxy && session.ctx.proxies.has('refresh'))) {
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
  return serverSide === null ? { reply: { connect: result } } : { reply: { connect: result }, afterReply: serverSide.activate };
}

export async function handleRefresh(session: ClientSession, req: RefreshRequest): Promise<RefreshResult> {
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

/** How long to wait before asking a refresh proxy again after it failed. */
const REFRESH_RETRY_MS = 5000;

/**
 * Server-side refresh when a proxy-authenticated connection expires: the backend says `expired`
 * (close 3005) or gives a new `expire_at`; a backend `disconnect` closes with that code; a backend
 * that is down is asked again shortly (the connection is kept meanwhile, as Centrifugo does).
 */
export async function refreshThroughProxy(session: ClientSession): Promise<void> {
  if (session.closed) return;
  try {
    const grant = await session.ctx.proxies.refresh(session);
    if (session.closed) return;
    if (grant.expired || (grant.expireAtMs !== null && grant.expireAtMs <= Date.now())) {
      session.close(Disconnects.connectionExpired);
      return;
    }
    if (grant.info !== null) session.connInfo = grant.info;
    session.expireAtMs = grant.expireAtMs ?? 0;
    session.scheduleExpiry();
  } catch (err) {
    if (err instanceof DisconnectError) {
      session.close(err);
      return;
    }
    session.expireAtMs = Date.now() + REFRESH_RETRY_MS;
    session.scheduleExpiry();
  }
}
