/**
 * One client connection: its lifecycle (new, connected, failed, closed), the dispatch of its
 * commands to the handlers (which see it as a {@link Connection}), replies and pushes, and the
 * connection's channel subscriptions. Frame intake and ordering live in command-inbox.ts, the
 * timers in session-timers.ts.
 */

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  DisconnectError,
  Disconnects,
  Unsubscribes,
  codecFor,
  type Bytes,
  type ChannelName,
  type ClientInfo,
  type Codec,
  type DisconnectCode,
  type ProtocolType,
  type Reply,
  type UserId,
} from '../protocol/index.js';
import type { ChannelSubscription } from './channel-subscription.js';
import { CommandDispatcher, type DispatchedConnection, type SessionState } from './command-dispatch.js';
import { CommandInbox } from './command-inbox.js';
import { transportMetrics, type TransportMetrics } from './command-metrics.js';
import { refreshThroughProxy } from './connect-handler.js';
import type { ConnectionChanges } from './connection.js';
import type { EncodedPush } from './encoded-push.js';
import type { GatewayContext } from './gateway-context.js';
import { ChannelCreationBudget } from './channel-creation-budget.js';
import { OutgoingWriter, type OutgoingWriterOwner } from './outgoing-writer.js';
import { SessionTimers, type SessionTimerOptions, type TimedConnection } from './session-timers.js';
import type { Transport, TransportEvents } from './transport/index.js';

/** Close codes a client may send that are worth their own metric label. */
const KNOWN_CLIENT_CODES = new Set([1000, 1001, 1005, 1006, 1009, 1011]);
/** Close code -> catalogue reason, for bounded metric labels. */
const CATALOGUE_REASONS = new Map<number, string>(Object.values(Disconnects).map((d) => [d.code, d.reason]));

const pings = new Map<Codec, Buffer>();

/**
 * The encoded ping of a codec, one for every connection: a ping encoded per connection is a
 * small slice of Node's shared 8 KB buffer pool, and each such slice keeps its whole slab
 * alive (measured: about 1 KB per idle connection).
 */
function pingFor(codec: Codec): Buffer {
  let ping = pings.get(codec);
  if (ping === undefined) {
    ping = Buffer.from(codec.encodeReply({}));
    pings.set(codec, ping);
  }
  return ping;
}

type ClientConfig = GatewayContext['config']['client'];
const timerOptions = new WeakMap<ClientConfig, readonly [SessionTimerOptions, SessionTimerOptions]>();

/** The timer options of a configuration, one object per kind of connection (bidirectional, unidirectional). */
function timerOptionsFor(client: ClientConfig, unidirectional: boolean): SessionTimerOptions {
  let pair = timerOptions.get(client);
  if (pair === undefined) {
    const base = { staleTimeoutMs: client.staleTimeoutMs, pingIntervalMs: client.pingIntervalMs, pongTimeoutMs: client.pongTimeoutMs };
    pair = [
      { ...base, unidirectional: false },
      { ...base, unidirectional: true },
    ];
    timerOptions.set(client, pair);
  }
  return pair[unidirectional ? 1 : 0];
}

/**
 * The session is itself the sink of its transport's events, its writer's reports and its timers'
 * actions: an idle connection holds no callbacks of its own (each was a closure and an object).
 */
export class ClientSession implements DispatchedConnection, TransportEvents, OutgoingWriterOwner, TimedConnection {
  readonly id: string = randomUUID();
  /**
   * Emulation transports: the secret id `/emulation` requests name (ConnectResult.session); null
   * otherwise. Not the client id, which other clients see in presence.
   */
  readonly sessionId: string | null;
  private identity: {
    user: UserId;
    connInfo: Bytes | undefined;
    meta: Bytes | undefined;
    authByProxy: boolean;
    expireAtMs: number;
    transportHeaders: Readonly<Record<string, string>>;
  };
  readonly subscriptions = new Map<ChannelName, ChannelSubscription>();
  /** Bounds how fast this connection brings history channels into use (CLIENT_CHANNEL_CREATE_RATE_LIMIT). */
  readonly newChannels: ChannelCreationBudget;
  readonly codec: Codec;
  /** The protocol negotiated by the transport. */
  readonly protocol: ProtocolType;
  private lifecycle: SessionState = 'new';
  private readonly writer: OutgoingWriter;
  private readonly inbox: CommandInbox;
  private readonly timers: SessionTimers;
  private readonly openedAt = performance.now();
  private readonly ping: Buffer;
  private readonly transportMetrics: TransportMetrics;

  /** `transportHeaders`: the transport request's headers that some proxy forwards (lower-case names). */
  constructor(
    readonly ctx: GatewayContext,
    readonly transport: Transport,
    transportHeaders: Readonly<Record<string, string>>,
    /** Called once the session is closed (shared by the gateway's sessions). */
    private readonly forget: (session: ClientSession) => void,
  ) {
    const client = ctx.config.client;
    this.protocol = transport.protocol;
    this.sessionId = transport.emulation ? randomUUID() : null;
    this.identity = { user: '', connInfo: undefined, meta: undefined, authByProxy: false, expireAtMs: 0, transportHeaders };
    this.transportMetrics = transportMetrics(ctx.metrics, transport.name);
    this.codec = codecFor(transport.protocol);
    this.ping = pingFor(this.codec);
    this.newChannels = new ChannelCreationBudget(client.channelCreateRateLimit);
    this.inbox = new CommandInbox(client, transport, this.codec, new CommandDispatcher(this));
    this.writer = new OutgoingWriter(transport, client.queueMaxSize, this);
    transport.attach(this);
    this.timers = new SessionTimers(timerOptionsFor(client, transport.unidirectional), this);
    this.transportMetrics.connections.inc();
  }

  /** TransportEvents: one inbound frame. */
  onFrame(frame: Buffer): void {
    this.handleFrame(frame);
  }

  /** TransportEvents: the peer went away. */
  onClosed(code: number): void {
    this.handleSocketClosed(code);
  }

  /** TransportEvents: a connection-level error (a close follows). */
  onError(err: Error): void {
    this.ctx.logger.debug({ err: err.message, client: this.id, transport: this.transport.name }, 'transport error');
  }

  /** OutgoingWriterOwner: a slow reader went over CLIENT_QUEUE_MAX_SIZE. */
  writerOverflowed(): void {
    this.ctx.metrics.slowDisconnectsTotal.inc();
    this.close(Disconnects.slow, false);
  }

  /** OutgoingWriterOwner: one frame went out. */
  frameWritten(messages: number, bytes: number): void {
    this.transportMetrics.messagesOut.inc(messages);
    this.transportMetrics.bytesOut.inc(bytes);
  }

  /** TimedConnection: a ping is due. */
  sendPing(): void {
    this.writer.enqueue(this.ping);
  }

  get user(): UserId {
    return this.identity.user;
  }
  /** Connection info from the token, as JSON bytes. */
  get connInfo(): Bytes | undefined {
    return this.identity.connInfo;
  }
  /** `meta` from the token or connect proxy (JSON text), sent to proxies only. */
  get meta(): Bytes | undefined {
    return this.identity.meta;
  }
  /** Authenticated by the connect proxy: expiry is extended through the refresh proxy, not by the client. */
  get authByProxy(): boolean {
    return this.identity.authByProxy;
  }
  /** Unix ms at which the connection expires unless refreshed; 0: never. */
  get expireAtMs(): number {
    return this.identity.expireAtMs;
  }
  /** Headers of the transport request that some proxy forwards (lower-case names). */
  get transportHeaders(): Readonly<Record<string, string>> {
    return this.identity.transportHeaders;
  }

  get state(): SessionState {
    return this.lifecycle;
  }

  get connected(): boolean {
    return this.lifecycle === 'connected';
  }

  get closed(): boolean {
    return this.lifecycle === 'closed';
  }

  /**
   * Applies what a command (or the server API, or a refresh proxy) changed; a new expiry re-arms
   * the expiry timer.
   */
  apply(changes: ConnectionChanges): void {
    const id = this.identity;
    if (changes.user !== undefined) id.user = changes.user;
    if (changes.connInfo !== undefined) id.connInfo = changes.connInfo;
    if (changes.meta !== undefined) id.meta = changes.meta;
    if (changes.authByProxy !== undefined) id.authByProxy = changes.authByProxy;
    if (changes.transportHeaders !== undefined) id.transportHeaders = changes.transportHeaders;
    if (changes.expireAtMs !== undefined) {
      id.expireAtMs = changes.expireAtMs;
      this.scheduleExpiry();
    }
  }

  /** ClientInfo for presence, join/leave and publications. */
  clientInfo(chanInfo?: Bytes): ClientInfo {
    const info: ClientInfo = { user: this.user, client: this.id };
    if (this.connInfo !== undefined) info.conn_info = this.connInfo;
    if (chanInfo !== undefined) info.chan_info = chanInfo;
    return info;
  }

  /**
   * True while the received commands held reach CLIENT_INBOX_MAX_SIZE. A WebSocket stops being
   * read then; an `/emulation` request, which cannot be held back, is refused.
   */
  get inboxFull(): boolean {
    return this.inbox.full;
  }

  /** Handles one inbound frame of commands: from the transport, or from an `/emulation` request. */
  handleFrame(frame: Buffer): void {
    if (this.lifecycle === 'closed') return;
    this.transportMetrics.bytesIn.inc(frame.length);
    const undecodable = this.inbox.receive(frame);
    if (undecodable !== null) this.ctx.logger.debug({ client: this.id, err: undecodable }, 'undecodable frame');
  }

  /** Marks the connection authenticated (counted against the per-user limit). */
  markConnected(): void {
    this.lifecycle = 'connected';
    this.ctx.admission.userConnected(this.user);
  }

  /** The connect was refused with an error reply: every later command closes the connection. */
  connectFailed(): void {
    this.lifecycle = 'failed';
  }

  /** Right after the connect reply is queued: pings start, the expiry timer is armed. */
  connectReplied(): void {
    this.timers.startPinging();
    this.scheduleExpiry();
  }

  /** A pong arrived; a pong nobody asked for closes with 3501. */
  pong(): boolean {
    if (this.timers.pong()) return true;
    this.close(Disconnects.badRequest);
    return false;
  }

  /** (Re)arms the check that closes an unrefreshed connection with 3005 after its expiry plus grace. */
  private scheduleExpiry(): void {
    if (this.expireAtMs <= 0 || this.lifecycle !== 'connected') {
      this.timers.setExpiry(null);
      return;
    }
    // Server-side refresh: the backend is asked when the connection expires.
    const viaProxy = this.authByProxy && this.ctx.proxies.has('refresh');
    this.timers.setExpiry({
      expireAtMs: () => this.expireAtMs,
      graceMs: this.ctx.expiredCloseDelayMs,
      ...(viaProxy ? { refresh: () => void this.refreshThroughProxy() } : {}),
      expired: () => this.close(Disconnects.connectionExpired),
      rearm: () => this.scheduleExpiry(),
    });
  }

  private async refreshThroughProxy(): Promise<void> {
    const changes = await refreshThroughProxy(this);
    if (changes !== null && !this.closed) this.apply(changes);
  }

  /** Encodes and queues one reply; a payload the protocol cannot carry closes with 3506. */
  sendReply(reply: Reply): boolean {
    let message: Buffer;
    try {
      message = this.codec.encodeReply(reply);
    } catch (err) {
      this.close(err instanceof DisconnectError ? err : Disconnects.internal);
      return false;
    }
    return this.writer.enqueue(message);
  }

  sendPush(push: EncodedPush): boolean {
    if (this.lifecycle === 'closed') return false;
    let message: Buffer;
    try {
      message = push.encode(this.codec);
    } catch (err) {
      this.close(err instanceof DisconnectError ? err : Disconnects.internal);
      return false;
    }
    return this.writer.enqueue(message);
  }

  /** Registers a subscription that is about to be negotiated. */
  addSubscription(sub: ChannelSubscription): void {
    this.subscriptions.set(sub.channel, sub);
    this.ctx.metrics.subscriptions.inc({ namespace: sub.namespace || '_' });
  }

  /** Ends a subscription locally: hub, presence, leave. Idempotent. */
  removeSubscription(sub: ChannelSubscription): void {
    if (sub.status === 'removed') return;
    sub.remove();
    if (this.subscriptions.get(sub.channel) === sub) this.subscriptions.delete(sub.channel);
    const { hub, presence, broker, logger, metrics, cleanup } = this.ctx;
    metrics.subscriptions.dec({ namespace: sub.namespace || '_' });
    hub.removeSubscriber(sub).catch((err: unknown) => logger.warn({ err, channel: sub.channel }, 'hub unsubscribe failed'));
    const { channel } = sub;
    if (sub.presence) {
      const [client, user] = [this.id, this.user];
      // A removal that waited in a busy lane must not delete the entry of a resubscription made meanwhile.
      cleanup.run('presence remove', channel, async () => {
        if (!this.closed && this.subscriptions.has(channel)) return;
        await presence.removePresence(channel, client, user);
      });
    }
    if (sub.joinAnnounced) {
      const info = this.clientInfo(sub.chanInfo);
      cleanup.run('leave', channel, () => broker.publishLeave(channel, info));
    }
  }

  unsubscribeToRecover(sub: ChannelSubscription): void {
    // A server-side subscription is re-established only by a reconnect (with recovery through
    // the connect's `subs`), so a gap there closes the connection with 3010.
    if (sub.serverSide) this.close(Disconnects.insufficientState);
    else this.unsubscribeWithPush(sub, Unsubscribes.insufficientState);
  }

  /** Ends a subscription and tells the client with an unsubscribe push. */
  unsubscribeWithPush(sub: ChannelSubscription, code: { code: number; reason: string }): void {
    if (sub.status === 'removed') return;
    this.removeSubscription(sub);
    this.sendReply({ push: { channel: sub.channel, unsubscribe: { code: code.code, reason: code.reason } } });
  }

  /** Refreshes presence entries of every presence-enabled subscription. */
  refreshPresence(): void {
    if (this.lifecycle !== 'connected') return;
    for (const sub of this.subscriptions.values()) {
      if (sub.status !== 'subscribed' || !sub.presence) continue;
      this.ctx.presence
        .addPresence(sub.channel, this.id, this.clientInfo(sub.chanInfo), this.ctx.presenceTtlMs)
        .catch((err: unknown) => this.ctx.logger.warn({ err, channel: sub.channel }, 'presence refresh failed'));
    }
  }

  /**
   * Closes the connection with a protocol close code. Queued messages are flushed first unless
   * `flush` is false (a slow reader gets nothing more).
   */
  close(code: DisconnectCode, flush = true): void {
    if (this.lifecycle === 'closed') return;
    this.writer.close(code.code, code.reason, flush);
    // Metric labels stay bounded: codes outside the catalogue (application codes from the server API)
    // are counted together, and a caller's own reason text never becomes a label.
    const known = CATALOGUE_REASONS.get(code.code);
    this.finish(known === undefined ? 'other' : String(code.code), known ?? 'server disconnect');
  }

  private handleSocketClosed(code: number): void {
    if (this.lifecycle === 'closed') return;
    this.finish(KNOWN_CLIENT_CODES.has(code) ? String(code) : 'other', code === 1009 ? 'message too big' : 'client closed');
  }

  private finish(codeLabel: string, reason: string): void {
    const wasConnected = this.lifecycle === 'connected';
    if (wasConnected) this.ctx.admission.userDisconnected(this.user);
    this.lifecycle = 'closed';
    this.timers.stop();
    this.inbox.clear();
    for (const sub of [...this.subscriptions.values()]) this.removeSubscription(sub);
    const { metrics, logger } = this.ctx;
    this.transportMetrics.connections.dec();
    metrics.disconnectTotal.inc({ reason, code: codeLabel });
    metrics.connectionDuration.observe((performance.now() - this.openedAt) / 1000);
    if (wasConnected) logger.debug({ client: this.id, user: this.user, code: codeLabel, reason }, 'client disconnected');
    this.forget(this);
  }
}
