/**
 * The six Centrifugo proxies over HTTP (connect, refresh, subscribe, sub_refresh, publish, rpc):
 * each builds Centrifugo's request JSON for one connection, calls the configured endpoint with the
 * connection's forwarded headers and cookies, and turns the result into what the command needs.
 */

import type { Logger } from 'pino';
import { performance } from 'node:perf_hooks';
import type { ProxyConfig, ProxyEndpoint } from '../../config/index.js';
import { LogThrottle } from '../../log/index.js';
import type { GatewayMetrics } from '../../metrics/index.js';
import {
  DisconnectError,
  Errors,
  ReplyError,
  type Bytes,
  type ChannelName,
  type ClientId,
  type ProtocolType,
  type UserId,
} from '../../protocol/index.js';
import {
  bytesClaim,
  InvalidTokenError,
  metaClaim,
  overrideClaim,
  serverSideClaims,
  stringClaim,
  type ServerSideSubscription,
  type SubscriptionOverride,
} from '../auth/index.js';
import { callProxy, ProxyUnavailableError, type ProxyResult } from './proxy-http.js';

export type ProxyKind = 'connect' | 'refresh' | 'subscribe' | 'subRefresh' | 'publish' | 'rpc';

/** What a proxy call needs to know about the connection. */
export interface ProxiedConnection {
  readonly id: ClientId;
  readonly user: UserId;
  readonly protocol: ProtocolType;
  /** `meta` from the token or connect proxy, JSON text. */
  readonly meta: Bytes | undefined;
  /** The transport request's headers that some proxy forwards (lower-case names). */
  readonly transportHeaders: Readonly<Record<string, string>>;
}

/** A connect proxy's answer. */
export interface ConnectGrant {
  user: UserId;
  /** Unix ms; null: never expires. */
  expireAtMs: number | null;
  info: Bytes | null;
  /** ConnectResult `data`. */
  data: Bytes | null;
  subs: ServerSideSubscription[];
  meta: Bytes | null;
}

/** A refresh or sub_refresh proxy's answer. */
export interface RefreshGrant {
  /** The backend refuses to extend: the connection (subscription) ends as expired. */
  expired: boolean;
  expireAtMs: number | null;
  info: Bytes | null;
}

/** A subscribe proxy's answer (the SubscribeGrant fields). */
export interface ProxySubscribeGrant {
  chanInfo?: Bytes;
  data?: Bytes;
  expireAtMs?: number;
  override?: SubscriptionOverride;
  viaProxy: true;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const unavailableLog = new LogThrottle(1000);

/** Adds `data` (raw JSON) or `b64data` (other bytes) to a request body. */
function withData(body: Record<string, unknown>, data: Bytes | undefined): Record<string, unknown> {
  if (data === undefined || data.length === 0) return body;
  try {
    body['data'] = JSON.parse(decoder.decode(data));
  } catch {
    body['b64data'] = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  }
  return body;
}

/** Reads result fields with the token claim readers; a malformed result is the backend's fault (100). */
function read<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof InvalidTokenError) throw new ProxyUnavailableError(`malformed result: ${err.reason}`);
    throw err;
  }
}

function expireAt(result: ProxyResult): number | null {
  const v = result['expire_at'];
  if (v === undefined || v === null || v === 0) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new ProxyUnavailableError('malformed result: expire_at');
  return Math.floor(v * 1000);
}

export class BackendProxies {
  /** Header names any proxy forwards, for transports to keep from their request. */
  readonly forwardedHeaders: ReadonlySet<string>;

  constructor(
    private readonly config: ProxyConfig,
    private readonly logger: Logger,
    private readonly metrics?: Pick<GatewayMetrics, 'proxyRequestsTotal' | 'proxyRequestDuration'>,
  ) {
    const names = new Set<string>();
    for (const p of [config.connect, config.refresh, config.subscribe, config.subRefresh, config.publish, config.rpc]) {
      for (const h of p?.httpHeaders ?? []) names.add(h);
    }
    this.forwardedHeaders = names;
  }

  has(kind: ProxyKind): boolean {
    return this.endpoint(kind) !== null;
  }

  /** True when rpc calls go to the rpc proxy (`rpc.without_namespace.proxy_enabled`). */
  get rpcEnabled(): boolean {
    return this.config.rpcProxyEnabled && this.config.rpc !== null;
  }

  private endpoint(kind: ProxyKind): ProxyEndpoint | null {
    return this.config[kind];
  }

  private async call(kind: ProxyKind, conn: ProxiedConnection, body: Record<string, unknown>): Promise<ProxyResult> {
    const endpoint = this.endpoint(kind);
    if (endpoint === null) throw new ReplyError(Errors.notAvailable);
    const full: Record<string, unknown> = { client: conn.id, transport: 'websocket', protocol: conn.protocol, encoding: 'json', ...body };
    if (conn.meta !== undefined && kind !== 'connect') full['meta'] = JSON.parse(decoder.decode(conn.meta));
    const started = performance.now();
    let result = 'ok';
    try {
      return await callProxy(endpoint, full, conn.transportHeaders);
    } catch (err) {
      result = err instanceof ProxyUnavailableError ? 'unavailable' : err instanceof DisconnectError ? 'disconnect' : 'error';
      if (err instanceof ProxyUnavailableError) {
        const held = unavailableLog.pass();
        if (held !== null)
          this.logger.warn({ proxy: kind, why: err.why, similarLinesHeld: held }, 'proxy call failed; the client gets a temporary error');
      }
      throw err;
    } finally {
      this.metrics?.proxyRequestsTotal.inc({ proxy: kind, result });
      this.metrics?.proxyRequestDuration.observe({ proxy: kind }, (performance.now() - started) / 1000);
    }
  }

  async connect(
    conn: ProxiedConnection,
    data: Bytes | undefined,
    name: string | undefined,
    version: string | undefined,
  ): Promise<ConnectGrant> {
    const body = withData({ ...(name ? { name } : {}), ...(version ? { version } : {}) }, data);
    const r = await this.call('connect', conn, body);
    return read(() => ({
      user: stringClaim(r, 'user', ''),
      expireAtMs: expireAt(r),
      info: bytesClaim(r, 'info', 'b64info'),
      data: bytesClaim(r, 'data', 'b64data'),
      subs: serverSideClaims(r),
      meta: metaClaim(r),
    }));
  }

  async refresh(conn: ProxiedConnection): Promise<RefreshGrant> {
    const r = await this.call('refresh', conn, { user: conn.user });
    return read(() => ({ expired: r['expired'] === true, expireAtMs: expireAt(r), info: bytesClaim(r, 'info', 'b64info') }));
  }

  async subscribe(conn: ProxiedConnection, channel: ChannelName, data: Bytes | undefined): Promise<ProxySubscribeGrant> {
    const r = await this.call('subscribe', conn, withData({ user: conn.user, channel }, data));
    return read(() => {
      const grant: ProxySubscribeGrant = { viaProxy: true };
      const info = bytesClaim(r, 'info', 'b64info');
      const out = bytesClaim(r, 'data', 'b64data');
      const expires = expireAt(r);
      const override = overrideClaim(r);
      if (info !== null) grant.chanInfo = info;
      if (out !== null) grant.data = out;
      if (expires !== null) grant.expireAtMs = expires;
      if (override !== null) grant.override = override;
      return grant;
    });
  }

  async subRefresh(conn: ProxiedConnection, channel: ChannelName): Promise<RefreshGrant> {
    const r = await this.call('subRefresh', conn, { user: conn.user, channel });
    return read(() => ({ expired: r['expired'] === true, expireAtMs: expireAt(r), info: bytesClaim(r, 'info', 'b64info') }));
  }

  /**
   * Asks the backend whether this publish may proceed; resolves with the data to publish (the
   * backend may replace it) and whether to skip history.
   */
  async publish(conn: ProxiedConnection, channel: ChannelName, data: Bytes): Promise<{ data: Bytes | null; skipHistory: boolean }> {
    const r = await this.call('publish', conn, withData({ user: conn.user, channel }, data));
    return read(() => ({ data: bytesClaim(r, 'data', 'b64data'), skipHistory: r['skip_history'] === true }));
  }

  async rpc(conn: ProxiedConnection, method: string, data: Bytes | undefined): Promise<Bytes | null> {
    const r = await this.call('rpc', conn, withData({ user: conn.user, method }, data));
    return read(() => bytesClaim(r, 'data', 'b64data'));
  }
}
