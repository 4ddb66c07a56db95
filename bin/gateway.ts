// Composition root of the gateway process: configuration, logger, metrics, engine parts, the
// message pipeline (Redis Streams, or in-memory with in-process workers), the server HTTP API, the
// control plane, readiness, and graceful shutdown on SIGTERM/SIGINT; with GATEWAY_PROCESSES > 1, the
// gateway group's primary, which forks that many of these processes sharing the ports.

import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { loadConfig, loadOrExit, withDotEnv, type Config } from '../src/config/index.js';
import { EmbeddedPipeline } from '../src/embedded/index.js';
import {
  ChannelPublisher,
  ControlPlane,
  MemoryBroker,
  MemoryControlBus,
  MemoryIdempotencyStore,
  MemoryNodeRegistry,
  MemoryPresenceManager,
} from '../src/engine/index.js';
import { createHttpApi, describeOriginPolicy, Gateway, httpApiDisabledWarning } from '../src/gateway/index.js';
import { createLogger, type Logger } from '../src/log/index.js';
import { GatewayMetrics, WorkerMetrics, collectProcessMetrics } from '../src/metrics/index.js';
import { createWebUiRoutes } from '../src/web-ui/index.js';
import { HandlerModuleError, loadHandlerModule } from '../src/worker/index.js';
import { GatewayGroup, GroupMember, handleStopSignals } from '../src/lifecycle/index.js';
import { simpleHandler } from '../examples/worker-simple.js';
import { redisTargetOf } from '../src/redis/index.js';
import { redisParts, type Parts } from './gateway-parts.js';

/** Heartbeat silence after which the admin UI shows a worker as not answering (WORKER_DEAD_AFTER's default). */
const WORKER_SILENT_AFTER_MS = 5000;

/** The built pages: dist/web, whether this file runs compiled (dist/bin) or from source (bin, via tsx). */
function webRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return basename(dirname(here)) === 'dist' ? join(here, '..', 'web') : join(here, '..', 'dist', 'web');
}

function readConfig(): Config {
  return loadOrExit(() => loadConfig(withDotEnv(process.env)));
}

async function embeddedParts(config: Config, logger: Logger, registry: Registry): Promise<Parts> {
  const workerLogger = logger.child({ component: 'worker' });
  const handler = config.workerHandler === null ? simpleHandler(workerLogger) : await loadHandlerModule(config.workerHandler);
  logger.info(
    { mode: 'embedded', workers: config.embeddedWorkers, handler: config.workerHandler ?? 'examples/worker-simple' },
    `embedded mode: REDIS_URL is not set, so broker, history, presence, the message queue and ${config.embeddedWorkers} workers (${config.workerHandler ?? 'examples/worker-simple, set WORKER_HANDLER for your own'}) run in this process; nothing survives a restart`,
  );
  const broker = new MemoryBroker({ logger });
  const pipeline = new EmbeddedPipeline({
    nodeId: config.nodeId,
    workers: config.embeddedWorkers,
    routeCacheTtlMs: config.routeCacheTtlMs,
    handler,
    publisher: new ChannelPublisher(broker, config.channel),
    logger: workerLogger,
    metrics: new WorkerMetrics(registry),
  });
  const nodes = new MemoryNodeRegistry();
  return {
    broker,
    presence: new MemoryPresenceManager(),
    pipeline,
    bus: new MemoryControlBus(),
    nodes,
    idempotency: new MemoryIdempotencyStore(),
    readiness: { redis: null, workers: () => pipeline.registeredWorkers() },
    workers: { pools: new Map([['default', pipeline.registry]]), queue: pipeline.queue },
    close: async () => undefined,
  };
}

/** GATEWAY_PROCESSES > 1: this process is the group's primary; the gateways run in the processes it forks. */
async function runGroup(config: Config, logger: Logger): Promise<void> {
  const group = new GatewayGroup({
    processes: config.gatewayProcesses,
    host: config.host,
    metricsPort: config.metricsPort,
    nodeId: config.nodeId,
    logger,
  });
  const stopper = handleStopSignals({
    logger,
    forceAfterMs: config.shutdownTimeoutMs + 10_000,
    message: 'gateway group shutting down: SIGTERM to every process, each drains its clients',
    stop: () => group.close(),
  });
  const metricsPort = await group.start();
  logger.info(
    { processes: config.gatewayProcesses, metricsPort },
    `gateway group: ${config.gatewayProcesses} processes share ws :${config.websocketPort} and http :${config.httpPort}; aggregated metrics and group readiness on :${metricsPort}`,
  );
  void group.ended.then(async (code) => {
    if (stopper.stopping) return;
    await group.close();
    process.exit(code);
  });
}

/** The engine parts of the mode: in-memory (embedded) without a Redis target, Redis otherwise. */
async function selectParts(config: Config, logger: Logger, registry: Registry, metrics: GatewayMetrics): Promise<Parts> {
  const target = redisTargetOf(config);
  return target === null ? await embeddedParts(config, logger, registry) : await redisParts(config, target, logger, metrics);
}

/** Warnings about who may connect, subscribe and publish, and the origin policy. */
function logAccessPolicy(config: Config, logger: Logger): void {
  const keys = config.tokens.connection;
  if (keys.hmacSecretKey === null && keys.rsaPublicKey === null && keys.ecdsaPublicKey === null && keys.jwksPublicEndpoint === null) {
    logger.warn('no token key is set (CENTRIFUGO_TOKEN_HMAC_SECRET_KEY or client.token.*): connection tokens are refused');
  }
  if (config.client.allowAnonymousConnectWithoutToken)
    logger.warn('anonymous connections are allowed without a token (client.allow_anonymous_connect_without_token)');
  logger.info(describeOriginPolicy(config.admission));
  if (config.client.insecure) logger.warn('client.insecure is on: every client may subscribe and publish anywhere');
  const apiWarning = httpApiDisabledWarning(config);
  if (apiWarning !== null) logger.warn(apiWarning);
}

/** The gateway with its server API, web UI routes and control plane; in a gateway group, its group membership. */
function createGateway(
  config: Config,
  logger: Logger,
  registry: Registry,
  metrics: GatewayMetrics,
  parts: Parts,
): { gateway: Gateway; member: GroupMember | null } {
  const version = process.env['npm_package_version'] ?? '0.1.0';
  const publisher = new ChannelPublisher(parts.broker, config.channel);
  // The API's `channels` surveys every node through this gateway's control plane, created by the gateway below.
  let plane: ControlPlane | null = null;
  const api = {
    config,
    logger,
    publisher,
    broker: parts.broker,
    presence: parts.presence,
    control: parts.bus,
    nodes: parts.nodes,
    metrics: metrics.api,
    channels: async () => plane?.channels() ?? new Map<string, number>(),
    idempotency: parts.idempotency,
  };
  const websocketRoutes = createWebUiRoutes({
    config,
    root: webRoot(),
    logger,
    api,
    metrics: registry,
    workers: { ...parts.workers, deadAfterMs: WORKER_SILENT_AFTER_MS },
    localChannels: () => gateway.channelCounts(),
  });
  // In a gateway group this process shares the ports; the primary serves the group's metrics.
  const member =
    GroupMember.inGroup && config.gatewayProcesses > 1
      ? new GroupMember({ registry, readiness: () => gateway.readiness() }, config.gatewayProcesses)
      : null;
  const readiness = member === null ? parts.readiness : { ...parts.readiness, processes: () => member.processes() };
  const gateway: Gateway = new Gateway({
    config,
    logger,
    registry,
    metrics,
    version,
    websocketRoutes,
    serveMetrics: member === null,
    broker: parts.broker,
    presence: parts.presence,
    pipeline: parts.pipeline,
    readiness,
    httpRoutes: [createHttpApi(api)],
    controlPlane: (local) =>
      (plane = new ControlPlane({ nodeId: config.nodeId, version, bus: parts.bus, registry: parts.nodes, local, logger })),
    emulationBus: parts.bus,
    emulationNodes: parts.nodes,
  });
  return { gateway, member };
}

/** Graceful shutdown on SIGTERM/SIGINT (and when the group's primary is gone): drain the gateway, then close the parts. */
function wireShutdown(
  config: Config,
  logger: Logger,
  gateway: Gateway,
  parts: Parts,
  member: GroupMember | null,
): ReturnType<typeof handleStopSignals> {
  const stopper = handleStopSignals({
    logger,
    forceAfterMs: config.shutdownTimeoutMs + 5000,
    fields: { timeoutMs: config.shutdownTimeoutMs },
    message: 'shutting down: not ready, no new connections, finishing in-flight publishes, then 3001 to every client',
    stop: async () => {
      await gateway.close();
      await parts.close();
      const timedOut = gateway.shutdownTimedOut;
      logger.info({ timedOut }, timedOut ? 'gateway stopped; the drain hit SHUTDOWN_TIMEOUT' : 'gateway stopped');
      return timedOut ? 1 : 0;
    },
  });
  member?.start(() => stopper.stop('primary gone'));
  return stopper;
}

/** The start-up lines: where clients connect, the HTTP API, metrics, the chat demo and the admin UI. */
function logListening(config: Config, logger: Logger, gateway: Gateway, member: GroupMember | null): void {
  const ports = gateway.ports;
  const host = displayHost(config.host);
  logger.info(
    { ...ports, host: config.host },
    `gateway listening: ws://${host}:${ports.websocket}/connection/websocket, http :${ports.http} (/health, /ready, /api), metrics ${member === null ? `:${ports.metrics}` : 'on the group primary'}`,
  );
  if (config.web.chatDemo) logger.info(`chat demo: http://${host}:${ports.websocket}/ (CHAT_DEMO=false turns it off)`);
  if (config.web.adminPassword !== null) logger.info(`admin UI: http://${host}:${ports.websocket}/admin`);
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel, name: 'gateway', base: { nodeId: config.nodeId } });
  if (config.gatewayProcesses > 1 && !GroupMember.inGroup) return runGroup(config, logger);
  const registry = new Registry();
  collectProcessMetrics(registry);
  const metrics = new GatewayMetrics(registry);
  const parts = await selectParts(config, logger, registry, metrics);
  logAccessPolicy(config, logger);
  const { gateway, member } = createGateway(config, logger, registry, metrics, parts);
  const stopper = wireShutdown(config, logger, gateway, parts, member);

  try {
    await gateway.start();
  } catch (err) {
    if (stopper.stopping) return;
    throw err;
  }
  if (stopper.stopping) return;
  member?.started();
  logListening(config, logger, gateway, member);
}

/** A host a person can paste into a client: the wildcard addresses mean "this machine". */
function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host;
}

main().catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException & { port?: number };
  if (err instanceof HandlerModuleError) {
    console.error(`gateway failed to start: ${err.message} (set WORKER_HANDLER to a module whose default export is the handler)`);
  } else if (e.code === 'EADDRINUSE') {
    console.error(
      `gateway failed to start: port ${e.port ?? '?'} is already in use (set WEBSOCKET_PORT, HTTP_PORT or METRICS_PORT to free ports)`,
    );
  } else {
    console.error('gateway failed to start:', err);
  }
  process.exit(1);
});
