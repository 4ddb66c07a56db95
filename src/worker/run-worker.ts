/**
 * A whole worker process in one call: configuration, logger, metrics server, Redis connections, the
 * broker publisher and the worker, with graceful shutdown on SIGTERM/SIGINT. Nothing starts until
 * `runWorker` is called.
 */

import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { loadConfig, loadOrExit, loadWorkerConfig, type Config, type Env, type WorkerConfig } from '../config/index.js';
import { ChannelPublisher, RedisBroker } from '../engine/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { handleStopSignals } from '../lifecycle/index.js';
import { WorkerMetrics, collectProcessMetrics, createMetricsServer, listenMetricsServer } from '../metrics/index.js';
import { composeRedisPipeline } from '../queue/index.js';
import { createWorker } from './create-worker.js';
import type { MessageHandler, Worker, WorkerOptions } from './worker-types.js';
import { connectRedis, openRedisConnection, redisTargetOf, type RedisConnection, type RedisTarget } from '../redis/index.js';

export interface RunWorkerOptions {
  /** The process environment (e.g. `withDotEnv(process.env)`), read with loadConfig and loadWorkerConfig. */
  env: Env;
  /** Extra createWorker options (e.g. `onProcessed` for statistics). */
  worker?: Pick<WorkerOptions, 'onProcessed'>;
  /** The process's logger (from {@link createWorkerLogger}, so a handler can log from its first message); omitted: created here. */
  logger?: Logger;
}

export interface RunningWorker {
  worker: Worker;
  config: Config;
  workerConfig: WorkerConfig;
  logger: Logger;
}

/**
 * `/metrics` and `/health` on HOST:WORKER_METRICS_PORT, once it listens; a port that cannot be
 * bound is one error line and no server, so nothing claims a port it does not serve.
 */
async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
  logger: Logger,
): Promise<{ server: Server; port: number } | null> {
  const server = createMetricsServer({ source: registry, logger });
  try {
    const bound = await listenMetricsServer(server, host, port);
    server.on('error', (err) => logger.error({ err }, 'worker metrics server failed'));
    return { server, port: bound };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'EADDRINUSE' ? `port ${port} is already in use` : `cannot listen on ${host}:${port} (${err.code ?? err.message})`;
    logger.error(
      { host, port, code: err.code },
      `worker metrics are off: ${why} (set WORKER_METRICS_PORT to a free port, 0 for any free port, or off)`,
    );
    return null;
  }
}

function readConfigs(env: Env): { config: Config; workerConfig: WorkerConfig } {
  return loadOrExit(() => ({ config: loadConfig(env), workerConfig: loadWorkerConfig(env) }));
}

/** The worker process's logger (LOG_LEVEL, named `worker`, with the worker id on every line). */
export function createWorkerLogger(env: Env): Logger {
  const { config, workerConfig } = readConfigs(env);
  return createLogger({ level: config.logLevel, name: 'worker', base: { worker: workerConfig.workerId } });
}

/** The broker connection the worker publishes through, connected (or retrying in the background) and started. */
async function startBroker(
  target: RedisTarget,
  config: Config,
  workerId: string,
  logger: Logger,
): Promise<{ redis: RedisConnection; broker: RedisBroker; publisher: ChannelPublisher }> {
  const redis = openRedisConnection(target, { role: 'worker', name: `worker-broker:${workerId}` });
  redis.on('error', () => {});
  if (!(await connectRedis(redis))) logger.warn('Redis is not reachable yet; retrying in the background');
  const broker = new RedisBroker({ redis, prefix: config.redisPrefix, logger, sharded: config.redisShardedPubSub });
  await broker.start({ handlePublication: () => {}, handleJoin: () => {}, handleLeave: () => {} });
  const publisher = new ChannelPublisher(broker, config.channel);
  return { redis, broker, publisher };
}

/** The worker's stream connection and the pool's queue, keys and registry on it. */
async function openQueue(
  target: RedisTarget,
  config: Config,
  workerConfig: WorkerConfig,
): Promise<{ queueConn: RedisConnection } & ReturnType<typeof composeRedisPipeline>> {
  // Standalone keeps the historical key names; a cluster hash-tags them so each worker's stream,
  // lock and dead-letter stream share one slot.
  const queueConn = openRedisConnection(target, { role: 'worker', name: `worker:${workerConfig.workerId}` });
  queueConn.on('error', () => {});
  await connectRedis(queueConn);
  const pipeline = composeRedisPipeline({
    redis: queueConn,
    prefix: config.redisPrefix,
    hashTags: config.redisCluster,
    pool: workerConfig.workerPool,
  });
  return { queueConn, ...pipeline };
}

/** The worker around `handler` on the pool's queue, publishing through `publisher`; not started yet. */
function buildWorker(
  handler: MessageHandler,
  options: RunWorkerOptions,
  parts: {
    workerConfig: WorkerConfig;
    logger: Logger;
    metrics: WorkerMetrics;
    queue: ReturnType<typeof composeRedisPipeline>['queue'];
    registry: ReturnType<typeof composeRedisPipeline>['registry'];
    publisher: ChannelPublisher;
  },
): Worker {
  const { workerConfig, publisher } = parts;
  return createWorker({
    id: workerConfig.workerId,
    handler,
    logger: parts.logger,
    metrics: parts.metrics,
    queue: parts.queue,
    registry: parts.registry,
    publisher: {
      publish: async (channel, data, opts) => {
        await publisher.publish(channel, data, opts ?? {});
      },
    },
    concurrency: workerConfig.concurrency,
    batchSize: workerConfig.batchSize,
    maxAttempts: workerConfig.maxAttempts,
    heartbeatMs: workerConfig.heartbeatMs,
    deadAfterMs: workerConfig.deadAfterMs,
    retireAfterMs: workerConfig.retireAfterMs,
    orphanGraceMs: workerConfig.orphanGraceMs,
    ...options.worker,
  });
}

/** The start-up line: pool, stream consumed and where the metrics are. */
function logConsuming(
  config: Config,
  workerConfig: WorkerConfig,
  stream: string,
  metricsServer: { port: number } | null,
  logger: Logger,
): void {
  const metricsHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const metricsAt = metricsServer === null ? 'metrics off' : `metrics http://${metricsHost}:${metricsServer.port}/metrics`;
  logger.info(
    {
      metricsPort: metricsServer?.port ?? null,
      pool: workerConfig.workerPool,
      cluster: config.redisCluster,
      sentinel: config.redisSentinel !== null,
    },
    `worker ${workerConfig.workerId} (pool ${workerConfig.workerPool}) consuming ${stream}; ${metricsAt}`,
  );
}

/**
 * Starts a worker process around `handler`: reads the configuration from `options.env`, connects to
 * Redis, publishes through the broker, serves metrics, and stops gracefully on SIGTERM/SIGINT.
 */
export async function runWorker(handler: MessageHandler, options: RunWorkerOptions): Promise<RunningWorker> {
  const { config, workerConfig } = readConfigs(options.env);
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'worker', base: { worker: workerConfig.workerId } });
  const target = redisTargetOf(config);
  if (target === null) {
    logger.fatal(
      'REDIS_URL (or REDIS_SENTINELS) is not set: a separate worker process needs Redis (in embedded mode the gateway runs workers in-process)',
    );
    process.exit(1);
  }
  const registry = new Registry();
  collectProcessMetrics(registry);
  const metrics = new WorkerMetrics(registry);
  const metricsServer =
    workerConfig.workerMetricsPort === null
      ? null
      : await startMetricsServer(registry, config.host, workerConfig.workerMetricsPort, logger);

  const { redis, broker, publisher } = await startBroker(target, config, workerConfig.workerId, logger);
  const { queueConn, keys, queue, registry: poolRegistry } = await openQueue(target, config, workerConfig);
  const worker = buildWorker(handler, options, { workerConfig, logger, metrics, queue, registry: poolRegistry, publisher });
  await worker.start();
  logConsuming(config, workerConfig, keys.workerStream(workerConfig.workerId), metricsServer, logger);

  handleStopSignals({
    logger,
    forceAfterMs: config.shutdownTimeoutMs + 5000,
    message: 'shutting down: finishing in-flight messages',
    stop: async () => {
      await worker.close();
      await queue.close();
      await broker.close();
      queueConn.disconnect();
      redis.disconnect();
      metricsServer?.server.close();
      logger.info('worker stopped');
      return 0;
    },
  });
  return { worker, config, workerConfig, logger };
}
