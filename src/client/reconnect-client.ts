/**
 * A reconnecting client for apps (Node and browsers): the `centrifuge` npm client with its own
 * reconnect state machine and backoff, plus failover between gateway endpoints, recoverable
 * subscriptions by default, typed reconnect events and a clean `close()`.
 */

import { Centrifuge } from 'centrifuge';
import type { Options as CentrifugeOptions } from 'centrifuge';
import { Centrifuge as ProtobufCentrifuge } from 'centrifuge/build/protobuf';
import { failoverWebSocket, type WebSocketConstructor, type WebSocketLike } from './failover-websocket.js';
import {
  ChannelSubscription,
  type PublicationEvent,
  type SubscribedEvent,
  type SubscribeOptions,
  type SubscriptionHandlers,
  type UnsubscribedEvent,
} from './channel-subscription.js';
import { TypedEmitter } from './typed-emitter.js';
import { ErrorCodes, RealtimeError } from '../errors/index.js';

/** Header carrying the id of the connection this one replaces, so the gateway counts reconnects. */
export const PREVIOUS_CLIENT_ID_HEADER = 'x-previous-client-id';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

export interface ReconnectClientOptions {
  /** Gateway WebSocket endpoint(s); with several, each reconnect attempt moves to the next one. */
  url: string | readonly string[];
  /** Wire encoding; omitted: 'json'. */
  protocol?: 'json' | 'protobuf' | undefined;
  /** Connect data (JSON value; bytes with protobuf); omitted: none. */
  data?: unknown;
  /** Connection JWT; omitted: anonymous, unless `getToken` is set. */
  token?: string | undefined;
  /** Called for a token when none is set or the server says it expired. */
  getToken?: (() => Promise<string>) | undefined;
  /** Headers emulated in the connect command; the client adds `x-previous-client-id` itself. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Client name reported to the server; omitted: 'js'. */
  name?: string | undefined;
  version?: string | undefined;
  /** Lower bound of centrifuge's full-jitter backoff, ms; omitted: 500. */
  minReconnectDelay?: number | undefined;
  /** Upper bound of the backoff, ms; omitted: 20000. */
  maxReconnectDelay?: number | undefined;
  /** Slack on the server's ping interval before the connection counts as dead, ms; omitted: 10000. */
  maxServerPingDelay?: number | undefined;
  /** Timeout for a connect attempt and for command replies, ms; omitted: 5000. */
  timeout?: number | undefined;
  /** WebSocket class; omitted: `globalThis.WebSocket` (pass `ws`'s in Node 20). */
  websocket?: WebSocketConstructor | undefined;
  /** Log state changes and centrifuge's own debug output to the console. */
  debug?: boolean | undefined;
}

export interface ReconnectClientEvents {
  [event: string]: unknown;
  state: { state: ConnectionState; previous: ConnectionState };
  /** Every successful connect; `reconnect` is true when it replaced an earlier connection. */
  connected: { clientId: string; url: string; reconnect: boolean };
  /** A reconnect attempt starts on `url` after waiting `delay` ms of centrifuge's backoff. */
  reconnecting: { attempt: number; delay: number; url: string };
  /** Connected again after a lost connection; follows `connected`. */
  reconnected: { clientId: string; previousClientId: string; url: string; attempts: number; downtimeMs: number };
  /** The connection ended; with `reconnect` the client is already trying again. */
  disconnected: { code: number; reason: string; reconnect: boolean };
  /** A failed attempt or another problem centrifuge reports; the client carries on. */
  error: { type: string; code: number; message: string };
  subscribed: SubscribedEvent;
  unsubscribed: UnsubscribedEvent;
  publication: PublicationEvent;
}

interface WebSocketGlobal {
  WebSocket?: WebSocketConstructor;
}

export class ReconnectClient extends TypedEmitter<ReconnectClientEvents> {
  /** The underlying centrifuge client, for what this wrapper does not cover. */
  readonly centrifuge: Centrifuge;
  private readonly endpoints: readonly string[];
  private readonly userHeaders: Readonly<Record<string, string>>;
  private readonly debugEnabled: boolean;
  private readonly subs = new Map<string, ChannelSubscription>();
  private readonly sockets = new Set<WebSocketLike>();
  private endpointIndex = 0;
  private currentClientId: string | null = null;
  private isConnected = false;
  private nextSocketIsInitial = true;
  private attempts = 0;
  private failedAt: number | null = null;
  private lostAt: number | null = null;
  private closed = false;

  constructor(options: ReconnectClientOptions) {
    super();
    this.endpoints = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.endpoints.length === 0)
      throw new RealtimeError(ErrorCodes.CLIENT_INVALID_OPTIONS, 'reconnect client: at least one url is required');
    for (const url of this.endpoints) {
      if (!/^wss?:\/\//.test(url))
        throw new RealtimeError(ErrorCodes.CLIENT_INVALID_OPTIONS, `reconnect client: not a ws:// or wss:// url: ${url}`);
    }
    this.userHeaders = { ...options.headers };
    this.debugEnabled = options.debug === true;
    const base = options.websocket ?? (globalThis as WebSocketGlobal).WebSocket;
    if (base === undefined) {
      throw new RealtimeError(
        ErrorCodes.CLIENT_INVALID_OPTIONS,
        'reconnect client: no global WebSocket; pass the `ws` package as `websocket`',
      );
    }
    const websocket = failoverWebSocket(
      base,
      () => this.beginAttempt(),
      (socket) => this.trackSocket(socket),
    );
    const config: Partial<CentrifugeOptions> = {
      websocket,
      minReconnectDelay: options.minReconnectDelay ?? 500,
      maxReconnectDelay: options.maxReconnectDelay ?? 20_000,
      maxServerPingDelay: options.maxServerPingDelay ?? 10_000,
      timeout: options.timeout ?? 5_000,
      debug: this.debugEnabled,
      headers: { ...this.userHeaders },
    };
    if (options.data !== undefined) config.data = options.data;
    if (options.token !== undefined) config.token = options.token;
    if (options.getToken !== undefined) {
      const getToken = options.getToken;
      config.getToken = () => getToken();
    }
    if (options.name !== undefined) config.name = options.name;
    if (options.version !== undefined) config.version = options.version;
    // Both builds share one API; the protobuf one is declared separately, hence the cast.
    const Client = options.protocol === 'protobuf' ? (ProtobufCentrifuge as unknown as typeof Centrifuge) : Centrifuge;
    // centrifuge opens every socket through `websocket`, which ignores this URL and picks the endpoint.
    this.centrifuge = new Client(this.endpoints[0] as string, config);
    this.listen();
  }

  get state(): ConnectionState {
    return this.centrifuge.state;
  }

  /** The server-assigned id of the current connection; null when not connected. */
  get clientId(): string | null {
    return this.isConnected ? this.currentClientId : null;
  }

  /** The endpoint of the current (or next) connection attempt. */
  get url(): string {
    return this.endpoints[this.endpointIndex] as string;
  }

  connect(): void {
    if (this.closed) throw new RealtimeError(ErrorCodes.CLIENT_CLOSED, 'reconnect client: closed');
    if (this.state !== 'disconnected') return;
    this.nextSocketIsInitial = true;
    this.attempts = 0;
    this.centrifuge.connect();
  }

  /** Resolves once connected; rejects if the client is disconnected for good or on timeout. */
  ready(timeoutMs?: number): Promise<void> {
    return this.centrifuge.ready(timeoutMs);
  }

  /** Stops connecting; `connect()` may be called again. */
  disconnect(): void {
    this.centrifuge.disconnect();
  }

  /**
   * Subscribes with recovery and positioning on (unless turned off), so missed publications
   * are delivered after a reconnect. One subscription per channel.
   */
  subscribe(channel: string, handlers: SubscriptionHandlers = {}, options: SubscribeOptions = {}): ChannelSubscription {
    if (this.closed) throw new RealtimeError(ErrorCodes.CLIENT_CLOSED, 'reconnect client: closed');
    if (this.subs.has(channel))
      throw new RealtimeError(ErrorCodes.CLIENT_ALREADY_SUBSCRIBED, `reconnect client: already subscribed to ${channel}`);
    const sub = new ChannelSubscription(this.centrifuge, channel, handlers, options, {
      subscribed: (ctx) => this.emit('subscribed', ctx),
      unsubscribed: (ctx) => this.emit('unsubscribed', ctx),
      publication: (ctx) => this.emit('publication', ctx),
      removed: () => this.subs.delete(channel),
    });
    this.subs.set(channel, sub);
    sub.subscribe();
    return sub;
  }

  subscription(channel: string): ChannelSubscription | undefined {
    return this.subs.get(channel);
  }

  /** Publishes without subscribing; resolves when the gateway acknowledged it. */
  async publish(channel: string, data: unknown): Promise<void> {
    await this.centrifuge.publish(channel, data);
  }

  async rpc(method: string, data: unknown): Promise<unknown> {
    return (await this.centrifuge.rpc(method, data)).data;
  }

  /** Unsubscribes everything, disconnects, waits for the sockets to close, drops all listeners. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const sub of [...this.subs.values()]) sub.unsubscribe();
    this.centrifuge.disconnect();
    await this.socketsClosed(2_000);
    this.centrifuge.removeAllListeners();
    this.removeAllListeners();
  }

  private listen(): void {
    const c = this.centrifuge;
    c.on('state', (ctx) => {
      this.log(`state ${ctx.oldState} -> ${ctx.newState}`);
      this.emit('state', { state: ctx.newState, previous: ctx.oldState });
    });
    c.on('connecting', (ctx) => {
      this.markFailure();
      if (!this.isConnected) return;
      this.isConnected = false;
      this.lostAt = Date.now();
      this.attempts = 0;
      this.emit('disconnected', { code: ctx.code, reason: ctx.reason, reconnect: true });
    });
    c.on('disconnected', (ctx) => {
      this.isConnected = false;
      this.emit('disconnected', { code: ctx.code, reason: ctx.reason, reconnect: false });
    });
    c.on('connected', (ctx) => {
      const previous = this.currentClientId;
      const attempts = this.attempts;
      this.isConnected = true;
      this.currentClientId = ctx.client;
      this.attempts = 0;
      this.failedAt = null;
      // The next connect (after a drop) tells the gateway which connection it replaces.
      c.setHeaders({ ...this.userHeaders, [PREVIOUS_CLIENT_ID_HEADER]: ctx.client });
      this.log(`connected ${ctx.client} on ${this.url}`);
      this.emit('connected', { clientId: ctx.client, url: this.url, reconnect: previous !== null });
      // Only after a lost connection, not after the app's own disconnect() and connect().
      if (previous !== null && this.lostAt !== null) {
        const downtimeMs = Date.now() - this.lostAt;
        this.emit('reconnected', { clientId: ctx.client, previousClientId: previous, url: this.url, attempts, downtimeMs });
      }
      this.lostAt = null;
    });
    c.on('error', (ctx) => {
      if (c.state === 'connecting') this.markFailure();
      const error = ctx.error as { code?: number; message?: string };
      this.log(`error ${ctx.type}: ${error.message ?? ''}`);
      this.emit('error', { type: ctx.type, code: error.code ?? 0, message: error.message ?? '' });
    });
  }

  /** Chooses the endpoint for the socket centrifuge is about to open. */
  private beginAttempt(): string {
    if (this.nextSocketIsInitial) {
      this.nextSocketIsInitial = false;
      this.failedAt = null;
      return this.url;
    }
    this.endpointIndex = (this.endpointIndex + 1) % this.endpoints.length;
    this.attempts += 1;
    const delay = this.failedAt === null ? 0 : Date.now() - this.failedAt;
    this.failedAt = null;
    this.log(`reconnect attempt ${this.attempts} to ${this.url} after ${delay}ms`);
    this.emit('reconnecting', { attempt: this.attempts, delay, url: this.url });
    return this.url;
  }

  private trackSocket(socket: WebSocketLike): void {
    this.sockets.add(socket);
    socket.addEventListener('close', () => {
      this.sockets.delete(socket);
      this.markFailure();
    });
  }

  /** Remembers when the current attempt or connection failed: the backoff starts about then. */
  private markFailure(): void {
    this.failedAt ??= Date.now();
  }

  private async socketsClosed(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sockets.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  private log(message: string): void {
    if (this.debugEnabled) console.debug(`[reconnect-client] ${message}`);
  }
}

export function createReconnectClient(options: ReconnectClientOptions): ReconnectClient {
  return new ReconnectClient(options);
}
