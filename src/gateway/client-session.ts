/**
 * One client connection: decodes frames, runs its commands strictly in order, answers pings,
 * enforces the protocol's rules (connect first, stale, no pong, rate limit, expiry) and owns the
 * connection's channel subscriptions.
 */

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  DisconnectError, Disconnects, Errors, ReplyError, Unsubscribes, codecFor,
  type Bytes, type ChannelName, type ClientInfo, type Codec, type Command, type DisconnectCode, type ProtocolType,
  type Reply, type UserId,
} from '../protocol/index.js';
import type { ChannelSubscription, SubscriptionOwner } from './channel-subscription.js';
import {
  handleHistory, handlePresence, handlePresenceStats, handlePublish, handleRpc, handleSend, needsPublishProxy, startPublish,
} from './channel-handlers.js';
import { handleConnect, handleRefresh, refreshThroughProxy } from './connect-handler.js';
import type { EncodedPush } from './encoded-push.js';
import type { GatewayMetrics } from '../metrics/index.js';
import type { GatewayContext } from './gateway-context.js';
import { ChannelCreationBudget } from './channel-creation-budget.js';
import { InboxBudget } from './inbox-budget.js';
import { LogThrottle } from '../log/index.js';
import { OutgoingWriter } from './outgoing-writer.js';
import type { Transport } from './transport/index.js';
import { handleSubRefresh, handleSubscribe, handleUnsubscribe } from './subscribe-handler.js';
import { uniConnectDisconnect } from './uni-connect.js';

type Method = Exclude<keyof Command, 'id'>;

/** Request fields in protocol field-number order: the first one present names the command. */
const METHODS: readonly Method[] = [
  'connect', 'subscribe', 'unsubscribe', 'publish', 'presence', 'presence_stats', 'history', 'ping', 'send', 'rpc',
  'refresh', 'sub_refresh',
];

function methodOf(cmd: Command): Method | undefined {
  for (const m of METHODS) if (cmd[m] !== undefined) return m;
  return undefined;
}

/** What a command handler produced: the reply (without id) and work to run right after it is queued. */
export interface HandlerOutcome {
  reply: Reply;
  afterReply?: () => void;
}

type SessionState = 'new' | 'connected' | 'failed' | 'closed';

/** The publish command's metric children, looked up once per metrics registry rather than per message. */
interface PublishMetrics {
  received: { inc(): void };
  ok: { inc(): void };
  error: { inc(): void };
  disconnect: { inc(): void };
  duration: { observe(value: number): void };
}

const publishMetricsCache = new WeakMap<GatewayMetrics, PublishMetrics>();

function publishMetrics(metrics: GatewayMetrics): PublishMetrics {
  let m = publishMetricsCache.get(metrics);
  if (m === undefined) {
    m = {
      received: metrics.messagesInTotal.labels({ kind: 'publish' }),
      ok: metrics.commandsTotal.labels({ method: 'publish', result: 'ok' }),
      error: metrics.commandsTotal.labels({ method: 'publish', result: 'error' }),
      disconnect: metrics.commandsTotal.labels({ method: 'publish', result: 'disconnect' }),
      duration: metrics.commandDuration.labels({ method: 'publish' }),
    };
    publishMetricsCache.set(metrics, m);
  }
  return m;
}

/** Publishes of one connection whose appends may be outstanding at once. */
const maxPipelinedPublishes = 32;

/** Close codes a client may send that are worth their own metric label. */
const KNOWN_CLIENT_CODES = new Set([1000, 1001, 1005, 1006, 1009, 1011]);
/** One "command failed" line per second per process: an outage fails every client's commands at once. */
const commandFailureLog = new LogThrottle(1000);
/** Close code -> catalogue reason, for bounded metric labels. */
const CATALOGUE_REASONS = new Map<number, string>(Object.values(Disconnects).map((d) => [d.code, d.reason]));

export class ClientSession implements SubscriptionOwner {
  readonly id: string = randomUUID();
  /**
   * Emulation transports: the secret id `/emulation` requests name (ConnectResult.session); null
   * otherwise. Not the client id, which other clients see in presence.
   */
  readonly sessionId: string | null;
  user: UserId = '';
  /** Connection info from the token, as JSON bytes. */
  connInfo: Bytes | undefined;
  /** Unix ms at which the connection expires unless refreshed; 0: never. */
  expireAtMs = 0;
  /** `meta` from the token or connect proxy (JSON text), sent to proxies only. */
  meta: Bytes | undefined;
  /** Authenticated by the connect proxy: expiry is extended through the refresh proxy, not by the client. */
  authByProxy = false;
  /** Headers of the transport request that some proxy forwards (lower-case names). */
  transportHeaders: Readonly<Record<string, string>> = {};
  readonly subscriptions = new Map<ChannelName, ChannelSubscription>();
  /** Bounds how fast this connection brings history channels into use (CLIENT_CHANNEL_CREATE_RATE_LIMIT). */
  readonly newChannels: ChannelCreationBudget;
  readonly codec: Codec;
  /** The protocol negotiated by the transport. */
  readonly protocol: ProtocolType;
  private state: SessionState = 'new';
  private readonly writer: OutgoingWriter;
  private readonly inbox: Command[] = [];
  /** Bytes each queued command holds against the inbox budget, in inbox order. */
  private readonly inboxCosts: number[] = [];
  private readonly budget: InboxBudget;
  private processing = false;
  private publishesInFlight = 0;
  private publishWaiters: (() => void)[] = [];
  private readonly maxInbox: number;
  private rateTokens: number;
  private rateAt = performance.now();
  private readonly openedAt = performance.now();
  private readonly ping: Buffer;
  /** This transport's children of the per-transport metrics. */
  private readonly transportMetrics: { connections: { inc(): void; dec(): void }; bytesIn: { inc(n: number): void }; bytesOut: { inc(n: number): void } };
  private pingOutstanding = false;
  private pingTimer: NodeJS.Timeout | null = null;
  private pongTimer: NodeJS.Timeout | null = null;
  private staleTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly ctx: GatewayContext,
    readonly transport: Transport,
    private readonly onClosed: (session: ClientSession) => void,
  ) {
    const client = ctx.config.client;
    this.protocol = transport.protocol;
    this.sessionId = transport.emulation ? randomUUID() : null;
    const label = { transport: transport.name };
    this.transportMetrics = {
      connections: ctx.metrics.connections.labels(label),
      bytesIn: ctx.metrics.bytesInTotal.labels(label),
      bytesOut: ctx.metrics.bytesOutTotal.labels(label),
    };
    this.codec = codecFor(transport.protocol);
    this.ping = this.codec.encodeReply({});
    this.rateTokens = client.commandRateLimit;
    this.maxInbox = Math.max(64, client.commandRateLimit);
    this.newChannels = new ChannelCreationBudget(client.channelCreateRateLimit);
    this.budget = new InboxBudget(client.inboxMaxSize, { pause: () => transport.pauseReading(), resume: () => transport.resumeReading() });
    this.writer = new OutgoingWriter(transport, {
      maxQueueBytes: client.queueMaxSize,
      onOverflow: () => {
        ctx.metrics.slowDisconnectsTotal.inc();
        this.close(Disconnects.slow, false);
      },
      onFrame: (messages, bytes) => {
        ctx.metrics.messagesOutTotal.inc({ kind: 'message' }, messages);
        this.transportMetrics.bytesOut.inc(bytes);
      },
    });
    transport.attach({
      onFrame: (frame) => this.handleFrame(frame),
      onClosed: (code) => this.handleSocketClosed(code),
      onError: (err) => ctx.logger.debug({ err: err.message, client: this.id, transport: transport.name }, 'transport error'),
    });
    this.staleTimer = setTimeout(() => this.close(Disconnects.stale), client.staleTimeoutMs);
    this.transportMetrics.connections.inc();
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get closed(): boolean {
    return this.state === 'closed';
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
    return this.budget.full;
  }

  /** Handles one inbound frame of commands: from the transport, or from an `/emulation` request. */
  handleFrame(frame: Buffer): void {
    if (this.state === 'closed') return;
    this.transportMetrics.bytesIn.inc(frame.length);
    let commands: Command[];
    try {
      commands = this.codec.decodeCommands(frame);
    } catch (err) {
      this.ctx.logger.debug({ client: this.id, err: (err as Error).message }, 'undecodable frame');
      this.close(Disconnects.badRequest);
      return;
    }
    if (commands.length === 0) {
      this.close(Disconnects.badRequest);
      return;
    }
    if (!this.takeRateTokens(commands.length) || this.inbox.length + commands.length > this.maxInbox) {
      this.close(Disconnects.tooManyRequests);
      return;
    }
    const cost = Math.ceil(frame.length / commands.length);
    for (const cmd of commands) {
      if ((cmd.id === undefined || cmd.id === 0) && methodOf(cmd) === undefined) {
        if (!this.handlePong()) return;
        continue;
      }
      this.inbox.push(cmd);
      this.inboxCosts.push(cost);
      this.budget.take(cost);
    }
    void this.drain();
  }

  private takeRateTokens(n: number): boolean {
    const rate = this.ctx.config.client.commandRateLimit;
    const now = performance.now();
    this.rateTokens = Math.min(rate, this.rateTokens + ((now - this.rateAt) * rate) / 1000);
    this.rateAt = now;
    if (this.rateTokens < n) return false;
    this.rateTokens -= n;
    return true;
  }

  /**
   * Runs the inbox in order. A publish is dispatched without waiting for its append (its append is
   * issued before the next command runs, so publishes keep their order in the stream), up to
   * {@link maxPipelinedPublishes} at a time; any other command first waits for those to finish.
   */
  private async drain(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      let cmd = this.inbox.shift();
      while (cmd !== undefined && this.state !== 'closed') {
        const cost = this.inboxCosts.shift() ?? 0;
        if (cmd.publish !== undefined && this.state === 'connected' && methodOf(cmd) === 'publish' && !needsPublishProxy(this, cmd.publish)) {
          while (this.publishesInFlight >= maxPipelinedPublishes) await this.publishSettled();
          if (this.closed) break;
          this.dispatchPublish(cmd, cost);
        } else {
          while (this.publishesInFlight > 0) await this.publishSettled();
          if (this.closed) break;
          await this.dispatch(cmd);
          this.budget.release(cost);
        }
        cmd = this.inbox.shift();
      }
    } finally {
      this.processing = false;
    }
  }

  private publishSettled(): Promise<void> {
    return new Promise((resolve) => this.publishWaiters.push(resolve));
  }

  private publishFinished(): void {
    this.publishesInFlight--;
    const waiters = this.publishWaiters;
    this.publishWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * The publish path without the generic dispatch's async layers: checks and hands the message to
   * the pipeline now, replies when it is appended.
   */
  private dispatchPublish(cmd: Command, cost: number): void {
    const id = cmd.id ?? 0;
    if (id === 0) {
      this.close(Disconnects.badRequest);
      return;
    }
    const m = publishMetrics(this.ctx.metrics);
    m.received.inc();
    const started = performance.now();
    let appended: Promise<void>;
    try {
      appended = startPublish(this, cmd.publish ?? {});
    } catch (err) {
      this.publishDone(m, started, this.handleCommandError('publish', id, err));
      this.budget.release(cost);
      return;
    }
    this.publishesInFlight++;
    appended.then(() => {
      if (this.state !== 'closed') this.sendReply({ id, publish: {} });
      this.publishDone(m, started, 'ok');
      this.budget.release(cost);
      this.publishFinished();
    }, (err: unknown) => {
      this.publishDone(m, started, this.handleCommandError('publish', id, err));
      this.budget.release(cost);
      this.publishFinished();
    });
  }

  private publishDone(m: PublishMetrics, started: number, result: string): void {
    (result === 'ok' ? m.ok : result === 'error' ? m.error : m.disconnect).inc();
    m.duration.observe((performance.now() - started) / 1000);
  }

  private async dispatch(cmd: Command): Promise<void> {
    const method = methodOf(cmd);
    const id = cmd.id ?? 0;
    const misuse = method === undefined || this.state === 'failed'
      || (this.state === 'new' && method !== 'connect')
      || (this.state === 'connected' && method === 'connect')
      || (id === 0 && method !== 'send');
    if (misuse) {
      this.close(Disconnects.badRequest);
      return;
    }
    const metrics = this.ctx.metrics;
    metrics.messagesInTotal.inc({ kind: method });
    const started = performance.now();
    let result = 'ok';
    try {
      if (method === 'send') {
        await handleSend(this, cmd.send ?? {});
        return;
      }
      const outcome = await this.execute(method, cmd);
      if (this.state === 'closed') return;
      // Unidirectional clients get the connect result as their first push, not as a reply.
      if (method === 'connect' && this.transport.unidirectional) this.sendReply({ push: { connect: outcome.reply.connect ?? { client: this.id } } });
      else this.sendReply({ ...outcome.reply, id });
      if (method === 'connect') this.startConnected();
      outcome.afterReply?.();
    } catch (err) {
      result = this.handleCommandError(method, id, err);
    } finally {
      metrics.commandsTotal.inc({ method, result });
      metrics.commandDuration.observe({ method }, (performance.now() - started) / 1000);
    }
  }

  private handleCommandError(method: Method, id: number, err: unknown): string {
    if (this.state === 'closed') return 'disconnect';
    if (err instanceof DisconnectError) {
      this.close(err);
      return 'disconnect';
    }
    if (err instanceof ReplyError) {
      if (method === 'connect' && this.transport.unidirectional) {
        this.close(uniConnectDisconnect(err));
        return 'disconnect';
      }
      if (method === 'connect') this.state = 'failed';
      this.sendReply({ id, error: err.toProtocol() });
      return 'error';
    }
    const held = commandFailureLog.pass();
    if (held !== null) this.ctx.logger.error({ err, method, client: this.id, similarLinesHeld: held }, 'command failed');
    if (method === 'connect' && this.transport.unidirectional) {
      this.close(Disconnects.internal);
      return 'disconnect';
    }
    if (method === 'connect') this.state = 'failed';
    this.sendReply({ id, error: new ReplyError(Errors.internal).toProtocol() });
    return 'error';
  }

  private async execute(method: Exclude<Method, 'send'>, cmd: Command): Promise<HandlerOutcome> {
    switch (method) {
      case 'connect': return handleConnect(this, cmd.connect ?? {});
      case 'subscribe': return handleSubscribe(this, cmd.subscribe ?? {});
      case 'unsubscribe': return { reply: { unsubscribe: await handleUnsubscribe(this, cmd.unsubscribe ?? {}) } };
      case 'publish': return { reply: { publish: await handlePublish(this, cmd.publish ?? {}) } };
      case 'presence': return { reply: { presence: await handlePresence(this, cmd.presence ?? {}) } };
      case 'presence_stats': return { reply: { presence_stats: await handlePresenceStats(this, cmd.presence_stats ?? {}) } };
      case 'history': return { reply: { history: await handleHistory(this, cmd.history ?? {}) } };
      case 'rpc': return { reply: { rpc: await handleRpc(this, cmd.rpc ?? {}) } };
      case 'refresh': return { reply: { refresh: await handleRefresh(this, cmd.refresh ?? {}) } };
      case 'sub_refresh': return { reply: { sub_refresh: await handleSubRefresh(this, cmd.sub_refresh ?? {}) } };
      case 'ping': throw new ReplyError(Errors.notAvailable);
    }
  }

  /** Marks the connection authenticated: pings start at a random point in [interval/2, interval). */
  markConnected(): void {
    this.state = 'connected';
    this.ctx.admission.userConnected(this.user);
  }

  private startConnected(): void {
    if (this.staleTimer !== null) clearTimeout(this.staleTimer);
    this.staleTimer = null;
    const interval = this.ctx.config.client.pingIntervalMs;
    this.schedulePing(interval / 2 + Math.random() * (interval / 2));
    this.scheduleExpiry();
  }

  private schedulePing(delayMs: number): void {
    this.pingTimer = setTimeout(() => {
      if (this.state === 'closed') return;
      if (!this.pingOutstanding) {
        this.pingOutstanding = true;
        this.writer.enqueue(this.ping);
        // Unidirectional clients cannot answer: their pings only keep intermediaries from idling out.
        if (this.transport.unidirectional) this.pingOutstanding = false;
        else this.pongTimer = setTimeout(() => this.close(Disconnects.noPong), this.ctx.config.client.pongTimeoutMs);
      }
      this.schedulePing(this.ctx.config.client.pingIntervalMs);
    }, delayMs);
  }

  private handlePong(): boolean {
    if (!this.pingOutstanding) {
      this.close(Disconnects.badRequest);
      return false;
    }
    this.pingOutstanding = false;
    if (this.pongTimer !== null) clearTimeout(this.pongTimer);
    this.pongTimer = null;
    return true;
  }

  /** (Re)arms the check that closes an unrefreshed connection with 3005 after its expiry plus grace. */
  scheduleExpiry(): void {
    if (this.expiryTimer !== null) clearTimeout(this.expiryTimer);
    this.expiryTimer = null;
    if (this.expireAtMs <= 0 || this.state !== 'connected') return;
    const delay = Math.max(0, this.expireAtMs - Date.now()) + this.ctx.expiredCloseDelayMs;
    if (this.authByProxy && this.ctx.proxies.has('refresh')) {
      // Server-side refresh: the backend is asked when the connection expires.
      this.expiryTimer = setTimeout(() => void refreshThroughProxy(this), Math.min(Math.max(0, this.expireAtMs - Date.now()), 2 ** 31 - 1));
      return;
    }
    this.expiryTimer = setTimeout(() => {
      if (Date.now() >= this.expireAtMs) this.close(Disconnects.connectionExpired);
      else this.scheduleExpiry();
    }, Math.min(delay, 2 ** 31 - 1));
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
    if (this.state === 'closed') return false;
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

  resubscribe(sub: ChannelSubscription): void {
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
    if (this.state !== 'connected') return;
    for (const sub of this.subscriptions.values()) {
      if (sub.status !== 'subscribed' || !sub.presence) continue;
      this.ctx.presence.addPresence(sub.channel, this.id, this.clientInfo(sub.chanInfo), this.ctx.presenceTtlMs)
        .catch((err: unknown) => this.ctx.logger.warn({ err, channel: sub.channel }, 'presence refresh failed'));
    }
  }

  /**
   * Closes the connection with a protocol close code. Queued messages are flushed first unless
   * `flush` is false (a slow reader gets nothing more).
   */
  close(code: DisconnectCode, flush = true): void {
    if (this.state === 'closed') return;
    this.writer.close(code.code, code.reason, flush);
    // Metric labels stay bounded: codes outside the catalogue (application codes from the server API)
    // are counted together, and a caller's own reason text never becomes a label.
    const known = CATALOGUE_REASONS.get(code.code);
    this.finish(known === undefined ? 'other' : String(code.code), known ?? 'server disconnect');
  }

  private handleSocketClosed(code: number): void {
    if (this.state === 'closed') return;
    this.finish(KNOWN_CLIENT_CODES.has(code) ? String(code) : 'other', code === 1009 ? 'message too big' : 'client closed');
  }

  private finish(codeLabel: string, reason: string): void {
    const wasConnected = this.state === 'connected';
    if (wasConnected) this.ctx.admission.userDisconnected(this.user);
    this.state = 'closed';
    for (const t of [this.pingTimer, this.pongTimer, this.staleTimer, this.expiryTimer]) if (t !== null) clearTimeout(t);
    this.inbox.length = 0;
    this.inboxCosts.length = 0;
    this.budget.clear();
    for (const sub of [...this.subscriptions.values()]) this.removeSubscription(sub);
    const { metrics, logger } = this.ctx;
    this.transportMetrics.connections.dec();
    metrics.disconnectTotal.inc({ reason, code: codeLabel });
    metrics.connectionDuration.observe((performance.now() - this.openedAt) / 1000);
    if (wasConnected) logger.debug({ client: this.id, user: this.user, code: codeLabel, reason }, 'client disconnected');
    this.onClosed(this);
  }
}
