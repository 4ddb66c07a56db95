/**
 * The gateway process's network face: the client endpoints on the WebSocket port
 * (`/connection/websocket`, `/connection/uni_websocket`, and the HTTP transports of
 * http-transports.ts), the HTTP port (`/health`, `/ready` plus extra routes) and the metrics
 * port. It owns the lifecycle of the engine parts and pipeline it is given, and is the control
 * plane's {@link LocalNode}.
 */

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { WebSocketServer } from 'ws';
import type { Config } from '../config/index.js';
import type { Broker, LocalNode, LocalNodeStats, PresenceManager, RefreshCommand, SubscribeCommand } from '../engine/index.js';
import type { GatewayMetrics } from '../metrics/index.js';
import { Disconnects, type ChannelName, type ClientId, type DisconnectCode, type UserId } from '../protocol/index.js';
import type { MessagePipeline } from '../queue/index.js';
import { CleanupLane } from './cleanup-lane.js';
import { ClientSession } from './client-session.js';
import { ConnectionAdmission } from './connection-admission.js';
import { guardConnections } from './connection-guard.js';
import { BackendProxies } from './proxy/backend-proxies.js';
import { DrainingPipeline } from './draining-pipeline.js';
import type { GatewayContext } from './gateway-context.js';
import { createGatewayMetricsServer, createHttpServer, type HttpRouteHandler } from './http-endpoints.js';
import { Hub } from './hub.js';
import { LocalSessions } from './local-sessions.js';
import { createOriginCheck, type OriginCheck } from './origin-check.js';
import { Readiness, type ReadinessChecks, type ReadinessReport } from './readiness.js';
import { WebSocketTransport, type Transport } from './transport/index.js';
import { httpTransportRoutes, type TransportHost } from './http-transports.js';
import type { ControlCommand, NodeRegistry } from '../engine/index.js';
import { EmulationForwarder } from './emulation-forwarder.js';
import { closeServer, listen, portOf, rejectUpgrade } from './server-listen.js';
import { createClientWebSocketServer, websocketProtocol } from './client-websocket-server.js';
import { forwardedHeaders, tokenVerifiers } from './session-inputs.js';

export const WEBSOCKET_PATH = '/connection/websocket';
export const UNI_WEBSOCKET_PATH = '/connection/uni_websocket';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Served on the metrics port. */
  registry: Registry;
  /**
   * False: no metrics port (a process of a gateway group, whose primary serves the group's
   * aggregated metrics on METRICS_PORT); omitted: true.
   */
  serveMetrics?: boolean;
  /** Started with the gateway's hub as handler and closed with the gateway. */
  broker: Broker;
  /** Closed with the gateway. */
  presence: PresenceManager;
  /** Started and closed with the gateway. */
  pipeline: MessagePipeline;
  /** Extra routes on the HTTP port, tried in order after `/health` and `/ready`; omitted: none. */
  httpRoutes?: readonly HttpRouteHandler[];
  /** Plain HTTP routes on the WebSocket port (web pages), tried in order; omitted: none. */
  websocketRoutes?: readonly HttpRouteHandler[];
  /** What `/ready` checks besides the gateway's own state; omitted: ready while running. */
  readiness?: ReadinessChecks;
  /**
   * Builds the part that ties this node to the cluster (the ControlPlane), given the gateway as
   * its LocalNode; started after the engine parts, closed after clients are disconnected.
   */
  controlPlane?: (local: LocalNode) => Lifecycle;
  /** Grace after a connection's/subscription's expiry before it is closed; omitted: 25 s (Centrifugo's). */
  expiredCloseDelayMs?: number;
  /** Presence entry lifetime; omitted: 60 s. Entries are refreshed every third of it. */
  presenceTtlMs?: number;
  /**
   * Carries `/emulation` requests to the gateway holding their session (Redis mode); omitted:
   * requests naming another node are answered 404.
   */
  emulationBus?: { send(command: ControlCommand): Promise<void> };
  /** Nodes `/emulation` requests may be forwarded to (the node registry); omitted: any node id. */
  emulationNodes?: Pick<NodeRegistry, 'list'>;
  /** Server version in ConnectResult; omitted: the package version given by the caller or '0.0.0'. */
  version?: string;
}

/** Something started and closed with the gateway. */
export interface Lifecycle {
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface GatewayPorts {
  websocket: number;
  http: number;
  metrics: number;
}

export class Gateway implements LocalNode {
  private readonly options: GatewayOptions;
  private readonly ctx: GatewayContext;
  private readonly hub: Hub;
  private readonly pipeline: DrainingPipeline;
  private readonly readinessState: Readiness;
  private readonly control: Lifecycle | null;
  private readonly local = new LocalSessions();
  /** One callback for every session: forgets a closed one. */
  private readonly forgetSession = (session: ClientSession): void => this.local.delete(session);
  private readonly forgetTransport = (transport: Transport): void => {
    this.transports.delete(transport);
  };
  /** Open client connections of every transport, until their close completes. */
  private readonly transports = new Set<Transport>();
  private readonly wss: WebSocketServer;
  private readonly wsServer: Server;
  private readonly httpServer: Server;
  private readonly metricsServer: Server;
  private readonly originAllowed: OriginCheck;
  private presenceTimer: NodeJS.Timeout | null = null;
  private state: 'new' | 'starting' | 'running' | 'closing' | 'closed' = 'new';
  private closing: Promise<void> | null = null;
  private drainTimedOut = false;

  constructor(options: GatewayOptions) {
    this.options = options;
    const { config, logger } = options;
    this.hub = new Hub(options.broker, logger);
    this.pipeline = new DrainingPipeline(options.pipeline);
    this.readinessState = new Readiness(options.readiness ?? null, logger);
    this.ctx = {
      config,
      logger,
      metrics: options.metrics,
      broker: options.broker,
      presence: options.presence,
      pipeline: this.pipeline,
      hub: this.hub,
      cleanup: new CleanupLane(logger),
      expiredCloseDelayMs: options.expiredCloseDelayMs ?? 25_000,
      presenceTtlMs: options.presenceTtlMs ?? config.client.presenceTtlMs,
      version: options.version ?? '0.0.0',
      tokens: tokenVerifiers(config),
      admission: new ConnectionAdmission(config.admission),
      proxies: new BackendProxies(config.proxies, logger, options.metrics),
    };
    this.originAllowed = createOriginCheck(config.admission);
    this.wss = createClientWebSocketServer(config.client.messageSizeLimit);
    const forwarder =
      options.emulationBus === undefined
        ? null
        : new EmulationForwarder({
            bus: options.emulationBus,
            ...(options.emulationNodes !== undefined ? { nodes: options.emulationNodes } : {}),
          });
    const host: TransportHost = {
      ctx: this.ctx,
      openSession: (transport, req) => this.openSession(transport, req),
      originAllowed: (req) => this.originAllowed(req.headers.origin, req.headers.host),
      takeConnectionToken: () => this.ctx.admission.takeConnectionToken(),
      emulationSession: (id) => this.local.byEmulationId(id),
      forwardEmulation: async (req) => forwarder?.forward(req) ?? false,
    };
    // Routes of the WebSocket port besides the upgrade, tried in order: the HTTP transports
    // (`/connection/*`, `/emulation`), then the caller's.
    const websocketPortRoutes: HttpRouteHandler[] = [httpTransportRoutes(host), ...(options.websocketRoutes ?? [])];
    this.wsServer = createHttpServer(this, logger, websocketPortRoutes);
    this.wsServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    guardConnections(this.wsServer, {
      handshakeTimeoutMs: config.client.handshakeTimeoutMs,
      connectionLimit: config.client.connectionLimit,
      onRefused: (reason) => options.metrics.connectionsRefusedTotal.inc({ reason }),
    });
    this.httpServer = createHttpServer(this, logger, options.httpRoutes ?? []);
    this.metricsServer = createGatewayMetricsServer(this, options.registry, logger);
    this.control = options.controlPlane?.(this) ?? null;
  }

  /** Liveness: true from start until closed (health endpoints answer 200). */
  get healthy(): boolean {
    return this.state === 'starting' || this.state === 'running' || this.state === 'closing';
  }

  /** True while serving clients and API calls (not starting, not shutting down). */
  get accepting(): boolean {
    return this.state === 'running';
  }

  /** True when the last close() had to cut in-flight work short at the shutdown timeout. */
  get shutdownTimedOut(): boolean {
    return this.drainTimedOut;
  }

  /** What `/ready` answers. */
  readiness(): Promise<ReadinessReport> {
    return this.readinessState.report({
      starting: this.state === 'new' || this.state === 'starting',
      shuttingDown: this.state === 'closing' || this.state === 'closed',
    });
  }

  /** Bound ports (valid after start; 0 before). */
  get ports(): GatewayPorts {
    return { websocket: portOf(this.wsServer), http: portOf(this.httpServer), metrics: portOf(this.metricsServer) };
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.local.size;
  }

  /**
   * Closes one client connection with a disconnect code (default 3011 force reconnect); false
   * when no such client is connected here.
   */
  disconnectClient(clientId: string, code: DisconnectCode = Disconnects.forceReconnect): boolean {
    return this.local.disconnectClient(clientId, code);
  }

  disconnectUser(user: UserId, code: number, reason: string, client?: ClientId): number {
    return this.local.disconnectUser(user, code, reason, client);
  }

  unsubscribeUser(user: UserId, channel: ChannelName, client?: ClientId): number {
    return this.local.unsubscribeUser(user, channel, client);
  }

  subscribeUser(command: SubscribeCommand): number {
    return this.local.subscribeUser(command);
  }

  refreshUser(command: RefreshCommand): number {
    return this.local.refreshUser(command);
  }

  /** Clients per channel on this node (server API `channels`). */
  channelCounts(): ReadonlyMap<ChannelName, number> {
    return this.hub.subscriberCounts();
  }

  stats(): LocalNodeStats {
    return this.local.stats();
  }

  /**
   * Opens the HTTP and metrics ports first (liveness answers, readiness says starting), then
   * starts the engine parts, pipeline and control plane (these wait while Redis is unreachable),
   * then opens the WebSocket port.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('gateway already started');
    const { config, broker } = this.options;
    this.state = 'starting';
    await listen(this.httpServer, config.httpPort, config.host);
    if (this.options.serveMetrics !== false) await listen(this.metricsServer, config.metricsPort, config.host);
    await broker.start(this.hub);
    await this.pipeline.start();
    await this.control?.start();
    if (this.state !== 'starting') return;
    await listen(this.wsServer, config.websocketPort, config.host);
    this.presenceTimer = setInterval(
      () => {
        this.local.refreshPresence();
      },
      Math.max(1000, this.ctx.presenceTtlMs / 3),
    );
    this.presenceTimer.unref();
    this.state = 'running';
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Not a closure: a listener created here would share this scope's context, so it would keep
    // the upgrade request (headers, URL) alive as long as the connection (about 1 KB each).
    socket.on('error', destroyOnError);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const uni = url.pathname === UNI_WEBSOCKET_PATH;
    if (url.pathname !== WEBSOCKET_PATH && !uni) return rejectUpgrade(socket, '404 Not Found');
    if (this.state !== 'running') return rejectUpgrade(socket, '503 Service Unavailable');
    if (!this.originAllowed(req.headers.origin, req.headers.host)) {
      this.ctx.logger.debug({ origin: req.headers.origin?.slice(0, 200) }, 'websocket upgrade refused: origin not allowed');
      return rejectUpgrade(socket, '403 Forbidden');
    }
    if (!this.ctx.admission.takeConnectionToken()) return rejectUpgrade(socket, '503 Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const protocol = websocketProtocol(ws, url.searchParams);
      // Unidirectional WebSocket speaks JSON only (Centrifugo's uni_websocket).
      this.openSession(uni ? new WebSocketTransport(ws, 'json', 'uni_websocket') : new WebSocketTransport(ws, protocol), req);
    });
  }

  /** Starts a client session over a transport and tracks both until they close. */
  private openSession(transport: Transport, req: IncomingMessage): ClientSession {
    this.transports.add(transport);
    transport.onGone(this.forgetTransport);
    const headers = forwardedHeaders(req, this.ctx.proxies.forwardedHeaders);
    const session = new ClientSession(this.ctx, transport, headers, this.forgetSession);
    this.local.add(session);
    return session;
  }

  /** Applies an emulation request forwarded from another node; false when the session is not here. */
  emulate(session: string, data: Buffer): boolean {
    const s = this.local.byEmulationId(session);
    if (s === undefined) return false;
    s.handleFrame(data);
    return true;
  }

  /**
   * Graceful shutdown: readiness false and no new connections at once; client messages in flight
   * are appended and answered (new ones get a temporary error); every client is closed with 3001
   * shutdown (they reconnect elsewhere); then the control plane, listeners, pipeline and engine
   * parts close. Steps up to the clients' sockets closing are bounded by the shutdown timeout.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { logger, config } = this.options;
    const wasStarted = this.state !== 'new';
    this.state = 'closing';
    const deadline = Date.now() + config.shutdownTimeoutMs;
    if (this.presenceTimer !== null) clearInterval(this.presenceTimer);
    const wsClosed = closeServer(this.wsServer);
    const pending = this.pipeline.pending;
    const drained = await this.pipeline.drain(deadline);
    // Replies of the calls that just settled are written in the callers' continuations.
    await new Promise((r) => setImmediate(r));
    logger.info(
      { inFlight: pending, drained, clients: this.local.size },
      'shutdown: in-flight client messages settled; closing clients with 3001',
    );
    this.local.closeAll(Disconnects.shutdown);
    while (this.transports.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.drainTimedOut = !drained || this.transports.size > 0;
    for (const transport of this.transports) transport.terminate();
    this.wsServer.closeAllConnections();
    await wsClosed;
    const parts: [string, () => Promise<void>][] = [
      [
        'control plane',
        async () => {
          await this.control?.close();
        },
      ],
      [
        'listeners',
        async () => {
          const servers = [this.httpServer, this.metricsServer].map(closeServer);
          for (const server of [this.httpServer, this.metricsServer]) server.closeAllConnections();
          await Promise.all(servers);
        },
      ],
      ['pipeline', () => this.pipeline.close()],
      ['broker', () => this.options.broker.close()],
      ['presence', () => this.options.presence.close()],
    ];
    for (const [name, closePart] of parts) {
      try {
        if (wasStarted || name === 'listeners') await closePart();
      } catch (err) {
        logger.warn({ err, part: name }, 'close failed');
      }
    }
    this.wss.close();
    this.state = 'closed';
  }
}

/** A socket's error listener during and after the upgrade: the socket is destroyed. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}
