// Composition root of the gateway process: configuration, logger, metrics, engine parts, pipeline,
// the Gateway itself and graceful shutdown on SIGTERM/SIGINT.

import { existsSync, readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { ConfigError, loadConfig, readDotEnv, type Config } from '../src/config/index.js';
import {
  ChannelPublisher, MemoryBroker, MemoryPresenceManager, RedisBroker, RedisPresenceManager,
  type Broker, type PresenceManager,
} from '../src/engine/index.js';
import { DirectPipeline, Gateway } from '../src/gateway/index.js';
import { createLogger, type Logger } from '../src/log/index.js';
import { GatewayMetrics, collectProcessMetrics } from '../src/metrics/index.js';
import { connectRedis, openRedis, type MessagePipeline } from '../src/queue/index.js';

function readConfig(): Config {
  const dotEnv = existsSync('.env') ? readDotEnv(readFileSync('.env', 'utf8')) : {};
  try {
    return loadConfig({ ...dotEnv, ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

interface Parts {
  broker: Broker;
  presence: PresenceManager;
  pipeline: MessagePipeline;
  close(): Promise<void>;
}

async function composeParts(config: Config, logger: Logger): Promise<Parts> {
  if (config.redisUrl === null) {
    logger.info('embedded in-memory mode: REDIS_URL is not set, broker, history, presence and publications stay in this process');
    const broker = new MemoryBroker({ logger });
    return {
      broker, presence: new MemoryPresenceManager(),
      pipeline: new DirectPipeline(new ChannelPublisher(broker, config.channel)),
      close: async () => undefined,
    };
  }
  if (config.redisCluster) {
    logger.fatal('REDIS_CLUSTER is not supported by this gateway build yet; unset it or use a single Redis');
    process.exit(1);
  }
  const redis = openRedis(config.redisUrl, { role: 'producer', name: `gateway:${config.nodeId}` });
  if (!(await connectRedis(redis))) logger.warn('Redis is not reachable yet; retrying in the background');
  logger.info('Redis mode: broker, history and presence in Redis; client publications are published directly to channels');
  const broker = new RedisBroker({ redis, prefix: config.redisPrefix, logger });
  return {
    broker, presence: new RedisPresenceManager({ redis, prefix: config.redisPrefix }),
    pipeline: new DirectPipeline(new ChannelPublisher(broker, config.channel)),
    close: async () => {
      redis.disconnect();
    },
  };
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger({ level: config.logLevel, name: 'gateway', base: { node: config.nodeId } });
  const parts = await composeParts(config, logger);
  if (config.client.tokenHmacSecretKey === null) {
    logger.warn('CENTRIFUGO_TOKEN_HMAC_SECRET_KEY is not set: anonymous connections are allowed and tokens are refused');
  }
  if (config.client.insecure) logger.warn('client.insecure is on: every client may subscribe and publish anywhere');
  const registry = new Registry();
  collectProcessMetrics(registry);
  const gateway = new Gateway({
    config, logger, registry, metrics: new GatewayMetrics(registry),
    broker: parts.broker, presence: parts.presence, pipeline: parts.pipeline,
    version: process.env['npm_package_version'] ?? '0.1.0',
  });
  await gateway.start();
  const ports = gateway.ports;
  logger.info({ ...ports, host: config.host }, `gateway listening: ws://${config.host}:${ports.websocket}/connection/websocket, http :${ports.http}, metrics :${ports.metrics}`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: closing clients with 3001 shutdown');
    const force = setTimeout(() => process.exit(1), config.shutdownTimeoutMs + 5000);
    force.unref();
    gateway.close()
      .then(() => parts.close())
      .then(() => {
        logger.info('gateway stopped');
        process.exit(0);
      }, (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('gateway failed to start:', err);
  process.exit(1);
});
