// The gateway's engine parts (what its mode decides) and the Redis mode's: connections, stream pipeline, broker, presence, control plane.

import { Redis } from 'ioredis';
import type { Config } from '../src/config/index.js';
import {
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
import type { ReadinessChecks } from '../src/gateway/index.js';
import type { Logger } from '../src/log/index.js';
import type { GatewayMetrics } from '../src/metrics/index.js';
import { composeRedisPipeline, StreamPipeline, type MessagePipeline } from '../src/queue/index.js';
import type { WorkerSources } from '../src/web-ui/index.js';
import { connectRedis, describeRedisTarget, openRedisConnection, type RedisConnection, type RedisTarget } from '../src/redis/index.js';

/** Everything the mode decides: engine parts, pipeline, control plane and readiness checks. */
export interface Parts {
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

/** The gateway's Redis connections. */
interface GatewayConnections {
  engine: RedisConnection;
  queueConn: RedisConnection;
  brokerSub: RedisConnection;
  controlSub: RedisConnection;
  /** Every connection above, by the component its losses are counted under. */
  conns: [string, RedisConnection][];
}

/** Opens, watches and connects the gateway's Redis connections; start-up goes on while Redis is unreachable. */
async function openGatewayConnections(
  config: Config,
  target: RedisTarget,
  shown: string,
  logger: Logger,
  metrics: GatewayMetrics,
): Promise<GatewayConnections> {
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
  return { engine, queueConn, brokerSub, controlSub, conns };
}

export async function redisParts(config: Config, target: RedisTarget, logger: Logger, metrics: GatewayMetrics): Promise<Parts> {
  const shown = target.sentinel === undefined ? safeUrl(target.url) : describeRedisTarget(target);
  const mode = target.sentinel !== undefined ? 'redis-sentinel' : config.redisCluster ? 'redis-cluster' : 'redis';
  logger.info(
    { mode, redis: shown, shardedPubSub: config.redisShardedPubSub },
    `${{ 'redis-sentinel': 'Redis Sentinel', 'redis-cluster': 'Redis Cluster', redis: 'Redis' }[mode]} mode: broker, history, presence and worker streams in Redis; start workers with \`npm run worker\``,
  );
  const node = config.nodeId;
  const { engine, queueConn, brokerSub, controlSub, conns } = await openGatewayConnections(config, target, shown, logger, metrics);

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
