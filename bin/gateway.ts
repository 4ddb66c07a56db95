// Composition root of the gateway process: configuration, logger, metrics, engine parts, the
// message pipeline (Redis Streams, or in-memory with in-process workers), the server HTTP API, the
// control plane, readiness, and graceful shutdown on SIGTERM/SIGINT; with GATEWAY_PROCESSES > 1, the
// gateway group's primary, which forks that many of these processes sharing the ports.

import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
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
  RedisBroker,
  RedisControlBus,
  RedisIdempotencyStore,
  RedisNodeRegistry,
  RedisPresenceManager,
  type Broker,
  type ControlBus,
  type IdempotencyStore,
  type NodeRegistry,
  type PresenceManager,
} from '../src/engine/index.js';
import { createHttpApi, describeOriginPolicy, Gateway, httpApiDisabledWarning, type ReadinessChecks } from '../src/gateway/index.js';
import { createLogger, type Logger } from '../src/log/index.js';
import { GatewayMetrics, WorkerMetrics, collectProcessMetrics } from '../src/metrics/index.js';
import { composeRedisPipeline, StreamPipeline, type MessagePipeline } from '../src/queue/index.js';
import { createWebUiRoutes, type WorkerSources } from '../src/web-ui/index.js';
import { HandlerModuleError, loadHandlerModule } from '../src/worker/index.js';
import { GatewayGroup, GroupMember, handleStopSignals } from '../src/lifecycle/index.js';
import { simpleHandler } from '../examples/worker-simple.js';
import {
  connectRedis,
  describeRedisTarget,
  openRedisConnection,
  redisTargetOf,
  type RedisConnection,
  type RedisTarget,
} from '../src/redis/index.js';

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

/** Everything the mode decides: engine parts, pipeline, control plane and readiness checks. */
interface Parts {
  broker: Broker;
  presence: PresenceManager;
  pipeline: MessagePipeline;
  bus: ControlBus;
  nodes: NodeRegistry;
  /** Results of the server API's idempotent calls. */
  idempotency: IdempotencyStore;
  readiness: ReadinessChecks;
  /** Worker registry and streams, for the admin UI. */
  workers: Omit<WorkerSources, 'deadAfterMs'>;
  /** Closes what the gateway does not (Redis connections), after the gateway closed. */
  close(): Promise<void>;
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

/** `redis://user:pass@host` without the password, for logs (each seed of a comma-separated list). */
function safeUrl(url: string): string {
  return url
    .split(',')
    .map((seed) => {
      try {
        const u = new URL(seed.trim());
        if (u.password !== '') u.password = '***';
        return u.toString();
      } catch {
        return '(unparseable REDIS_URL)';
      }
    })
    .join(',');
}

/** Logs and counts a connection's losses and recoveries once per outage, not once per retry. */
function watchRedis(redis: RedisConnection, component: string, logger: Logger, metrics: GatewayMetrics): void {
  let down = false;
  let everReady = false;
  // A cluster reports a lost node as 'node error' and only cluster-wide trouble as 'error'.
  redis.on(redis instanceof Redis ? 'error' : 'node error', (err: Error) => {
    metrics.redisErrorsTotal.inc({ component });
    if (down) return;
    down = true;
    logger.warn(
      { component, err: err.message },
      everReady
        ? 'Redis connection lost; reconnecting with backoff (publishes and subscribes get temporary errors, /ready answers 503)'
        : 'Redis unreachable; retrying with backoff (up to 2 s between attempts), /ready answers 503 until it is reachable',
    );
  });
  redis.on('ready', () => {
    if (everReady) {
      metrics.redisReconnectsTotal.inc({ component });
      logger.info({ component }, 'Redis connection restored');
    }
    everReady = true;
    down = false;
  });
}

async function redisParts(config: Config, target: RedisTarget, logger: Logger, metrics: GatewayMetrics): Promise<Parts> {
  const shown = target.sentinel === undefined ? safeUrl(target.url) : describeRedisTarget(target);
  const mode = target.sentinel !== undefined ? 'redis-sentinel' : config.redisCluster ? 'redis-cluster' : 'redis';
  logger.info(
    { mode, redis: shown, shardedPubSub: config.redisShardedPubSub },
    `${{ 'redis-sentinel': 'Redis Sentinel', 'redis-cluster': 'Redis Cluster', redis: 'Redis' }[mode]} mode: broker, history, presence and worker streams in Redis; start workers with \`npm run worker\``,
  );
  const node = config.nodeId;
  // Engine commands; pipeline commands (XADD) on their own connection; two pub/sub connections
  // (the broker's fails fast while Redis is down, so a client subscribe gets a temporary error).
  const engine = openRedisConnection(target, { role: 'producer', name: `gateway:${node}` });
  const queueConn = openRedisConnection(target, { role: 'producer', name: `gateway-queue:${node}` });
  const brokerSub = openRedisConnection(target, {
    role: 'subscriber',
    name: `gateway-sub:${node}`,
    shardedPubSub: config.redisShardedPubSub,
  });
  const controlSub = openRedisConnection(target, { role: 'worker', name: `gateway-control:${node}` });
  const conns: [string, RedisConnection][] = [
    ['broker', engine],
    ['queue', queueConn],
    ['broker-pubsub', brokerSub],
    ['control', controlSub],
  ];
  for (const [component, conn] of conns) watchRedis(conn, component, logger, metrics);
  const connected = await Promise.all(conns.map(([, conn]) => connectRedis(conn)));
  if (connected.includes(false)) {
    logger.error(
      { redis: shown },
      'Redis is unreachable at start-up: the gateway keeps retrying and opens its WebSocket port once Redis answers; /health is 200, /ready 503 meanwhile',
    );
  }

  // Standalone keeps its historical key names; a cluster needs each worker's keys in one slot.
  const {
    queue,
    registry: workers,
    pools,
  } = composeRedisPipeline({
    redis: queueConn,
    prefix: config.redisPrefix,
    hashTags: config.redisCluster,
    pools: workerPools(config),
  });
  const pipeline = new StreamPipeline({
    queue,
    registry: workers,
    pools,
    nodeId: node,
    routeCacheTtlMs: config.routeCacheTtlMs,
    routeCacheCounter: metrics.routeCacheTotal,
  });
  return {
    broker: new RedisBroker({
      redis: engine,
      subscriber: brokerSub,
      prefix: config.redisPrefix,
      logger,
      sharded: config.redisShardedPubSub,
    }),
    presence: new RedisPresenceManager({ redis: engine, prefix: config.redisPrefix }),
    pipeline,
    bus: new RedisControlBus({ redis: engine, subscriber: controlSub, prefix: config.redisPrefix, logger }),
    nodes: new RedisNodeRegistry({ redis: engine, prefix: config.redisPrefix }),
    idempotency: new RedisIdempotencyStore({ redis: engine, prefix: config.redisPrefix }),
    readiness: {
      redis: () => conns.every(([, conn]) => conn.status === 'ready'),
      // Workers of every pool a namespace names: a deployment may route everything to named pools.
      workers: async () => (await Promise.all([...pools.values()].map((r) => r.members()))).reduce((n, m) => n + m.length, 0),
    },
    workers: { pools, queue },
    close: async () => {
      for (const [, conn] of conns) conn.disconnect();
    },
  };
}

/** Every worker pool a namespace names (the default pool included). */
function workerPools(config: Config): Set<string> {
  const pools = new Set(['default']);
  if (config.channel.withoutNamespace !== null) pools.add(config.channel.withoutNamespace.workerPool);
  for (const ns of config.channel.namespaces) pools.add(ns.workerPool);
  return pools;
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

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel, name: 'gateway', base: { nodeId: config.nodeId } });
  if (config.gatewayProcesses > 1 && !GroupMember.inGroup) return runGroup(config, logger);
  const registry = new Registry();
  collectProcessMetrics(registry);
  const metrics = new GatewayMetrics(registry);
  const target = redisTargetOf(config);
  const parts = target === null ? await embeddedParts(config, logger, registry) : await redisParts(config, target, logger, metrics);
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

  try {
    await gateway.start();
  } catch (err) {
    if (stopper.stopping) return;
    throw err;
  }
  if (stopper.stopping) return;
  member?.started();
  const ports = gateway.ports;
  const host = displayHost(config.host);
  logger.info(
    { ...ports, host: config.host },
    `gateway listening: ws://${host}:${ports.websocket}/connection/websocket, http :${ports.http} (/health, /ready, /api), metrics ${member === null ? `:${ports.metrics}` : 'on the group primary'}`,
  );
  if (config.web.chatDemo) logger.info(`chat demo: http://${host}:${ports.websocket}/ (CHAT_DEMO=false turns it off)`);
  if (config.web.adminPassword !== null) logger.info(`admin UI: http://${host}:${ports.websocket}/admin`);
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
