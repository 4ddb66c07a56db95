/**
 * The gateway process's network face: the Centrifuge WebSocket endpoint at
 * `/connection/websocket`, the HTTP port (`/health` plus extra routes) and the metrics port.
 * It owns the lifecycle of the engine parts and pipeline it is given.
 */

import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config/index.js';
import type { Broker, PresenceManager } from '../engine/index.js';
import type { GatewayMetrics } from '../metrics/index.js';
import { Disconnects, type DisconnectCode, type ProtocolType } from '../protocol/index.js';
import type { MessagePipeline } from '../queue/index.js';
import { ClientSession } from './client-session.js';
import type { GatewayContext } from './gateway-context.js';
import { createHttpServer, createMetricsServer, type HttpRouteHandler } from './http-endpoints.js';
import { Hub } from './hub.js';

export const WEBSOCKET_PATH = '/connection/websocket';
const PROTOBUF_SUBPROTOCOL = 'centrifuge-protobuf';
const JSON_SUBPROTOCOL = 'centrifuge-json';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Served on the metrics port. */
  registry: Registry;
  /** Started with the gateway's hub as handler and closed with the gateway. */
  broker: Broker;
  /** Closed with the gateway. */
  presence: PresenceManager;
  /** Started and closed with the gateway. */
  pipeline: MessagePipeline;
  /** Extra routes on the HTTP port, tried in order after `/health`; omitted: none. */
  httpRoutes?: readonly HttpRouteHandler[];
  /** Grace after a connection's/subscription's expiry before it is closed; omitted: 25 s (Centrifugo's). */
  expiredCloseDelayMs?: number;
  /** Presence entry lifetime; omitted: 60 s. Entries are refreshed every third of it. */
  presenceTtlMs?: number;
  /** Server version in ConnectResult; omitted: the package version given by the caller or '0.0.0'. */
  version?: string;
}

export interface GatewayPorts {
  websocket: number;
  http: number;
  metrics: number;
}

function portOf(server: Server): number {
  const addr = server.address();
  return addr !== null && typeof addr === 'object' ? addr.port : 0;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export class Gateway {
  private readonly options: GatewayOptions;
  private readonly ctx: GatewayContext;
  private readonly hub: Hub;
  private readonly sessions = new Set<ClientSession>();
  private readonly sockets = new Set<WebSocket>();
  private readonly wss: WebSocketServer;
  private readonly wsServer: Server;
  private readonly httpServer: Server;
  private readonly metricsServer: Server;
  private presenceTimer: NodeJS.Timeout | null = null;
  private state: 'new' | 'running' | 'closing' | 'closed' = 'new';
  private closing: Promise<void> | null = null;

  constructor(options: GatewayOptions) {
    this.options = options;
    const { config, logger } = options;
    this.hub = new Hub(options.broker, logger);
    this.ctx = {
      config, logger, metrics: options.metrics, broker: options.broker, presence: options.presence,
      pipeline: options.pipeline, hub: this.hub,
      expiredCloseDelayMs: options.expiredCloseDelayMs ?? 25_000,
      presenceTtlMs: options.presenceTtlMs ?? 60_000,
      version: options.version ?? '0.0.0',
    };
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: config.client.messageSizeLimit,
      handleProtocols: (offered: Set<string>) => {
        if (offered.has(PROTOBUF_SUBPROTOCOL)) return PROTOBUF_SUBPROTOCOL;
        if (offered.has(JSON_SUBPROTOCOL)) return JSON_SUBPROTOCOL;
        return false;
      },
    });
    this.wsServer = createHttpServer(this, logger, []);
    this.wsServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head));
    this.httpServer = createHttpServer(this, logger, options.httpRoutes ?? []);
    this.metricsServer = createMetricsServer(this, options.registry, logger);
  }

  /** True while serving (health endpoints answer 200). */
  get healthy(): boolean {
    return this.state === 'running';
  }

  /** Bound ports (valid after start; 0 before). */
  get ports(): GatewayPorts {
    return { websocket: portOf(this.wsServer), http: portOf(this.httpServer), metrics: portOf(this.metricsServer) };
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /**
   * Closes one client connection with a disconnect code (default 3011 force reconnect); false
   * when no such client is connected here.
   */
  disconnectClient(clientId: string, code: DisconnectCode = Disconnects.forceReconnect): boolean {
    for (const s of this.sessions) {
      if (s.id === clientId) {
        s.close(code);
        return true;
      }
    }
    return false;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('gateway already started');
    const { config, broker, pipeline } = this.options;
    await broker.start(this.hub);
    await pipeline.start();
    await listen(this.wsServer, config.websocketPort, config.host);
    await listen(this.httpServer, config.httpPort, config.host);
    await listen(this.metricsServer, config.metricsPort, config.host);
    this.presenceTimer = setInterval(() => {
      for (const s of this.sessions) s.refreshPresence();
    }, Math.max(1000, this.ctx.presenceTtlMs / 3));
    this.presenceTimer.unref();
    this.state = 'running';
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WEBSOCKET_PATH) return rejectUpgrade(socket, '404 Not Found');
    if (this.state !== 'running') return rejectUpgrade(socket, '503 Service Unavailable');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const query = url.searchParams;
      const protocol: ProtocolType = ws.protocol === PROTOBUF_SUBPROTOCOL
        || query.get('cf_protocol') === 'protobuf' || query.get('format') === 'protobuf' ? 'protobuf' : 'json';
      this.sockets.add(ws);
      ws.once('close', () => this.sockets.delete(ws));
      const session = new ClientSession(this.ctx, ws, protocol, (s) => this.sessions.delete(s));
      this.sessions.add(session);
    });
  }

  /**
   * Stops accepting connections, closes every client with 3001 shutdown (they reconnect elsewhere),
   * waits up to the shutdown timeout for their sockets, then closes the pipeline and engine parts.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { logger, config } = this.options;
    const wasRunning = this.state === 'running';
    this.state = 'closing';
    if (this.presenceTimer !== null) clearInterval(this.presenceTimer);
    const servers = [this.wsServer, this.httpServer, this.metricsServer].map(closeServer);
    for (const s of [...this.sessions]) s.close(Disconnects.shutdown);
    const deadline = Date.now() + Math.min(config.shutdownTimeoutMs, 5000);
    while (this.sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of this.sockets) ws.terminate();
    for (const server of [this.wsServer, this.httpServer, this.metricsServer]) server.closeAllConnections();
    await Promise.all(servers);
    const parts: [string, () => Promise<void>][] = [
      ['pipeline', () => this.options.pipeline.close()],
      ['broker', () => this.options.broker.close()],
      ['presence', () => this.options.presence.close()],
    ];
    for (const [name, closePart] of parts) {
      try {
        if (wasRunning || name !== 'pipeline') await closePart();
      } catch (err) {
        logger.warn({ err, part: name }, 'close failed');
      }
    }
    this.wss.close();
    this.state = 'closed';
  }
}
