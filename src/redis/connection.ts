/**
 * The connection factory: the one place that chooses a kind of Redis connection (standalone
 * `Redis`, or a {@link ClusterConnection} when the configuration says `REDIS_CLUSTER=true`) and
 * opens it with the options each role needs.
 */

import { Cluster, Redis, type ClusterNode, type ClusterOptions as IoClusterOptions } from 'ioredis';
import { RedisLayerError } from './redis-errors.js';
import { openRedisSentinel, type RedisSentinelTarget } from './sentinel-connection.js';

export type RedisRole =
  /** Gateway producer: fails fast while Redis is unreachable (no offline queue), auto-pipelined. */
  | 'producer'
  /** Worker: commands wait for a reconnect instead of failing; loops retry on errors. */
  | 'worker'
  /** Pub/sub: SUBSCRIBE fails fast while Redis is unreachable (no offline queue), not pipelined. */
  | 'subscriber';

export interface OpenRedisOptions {
  role: RedisRole;
  /** Producer: max time a command may take before it rejects, ms; 0/omitted: 2000. */
  commandTimeoutMs?: number;
  /** Connection name shown by CLIENT LIST. */
  name?: string;
  /**
   * Cluster only: SSUBSCRIBE through one subscriber connection per master (ioredis
   * `shardedSubscribers`), for a broker on sharded pub/sub (`REDIS_SHARDED_PUBSUB`); omitted: false.
   */
  shardedPubSub?: boolean;
}

/** Where Redis is: config `redisUrl` and `redisCluster` (or `redisSentinel`). */
export interface RedisTarget {
  /** One `redis://` / `rediss://` URL; with `cluster`, one or more comma-separated seed URLs; ignored with `sentinel`. */
  url: string;
  /** The URL(s) are seeds of a Redis Cluster; omitted: false (standalone). */
  cluster?: boolean;
  /** Reach the master through Redis Sentinel instead of `url`; omitted: no Sentinel. */
  sentinel?: RedisSentinelTarget;
}

/**
 * A connection to standalone Redis or to a Redis Cluster, as {@link openRedisConnection} returns it.
 * Code on either kind sends only what a cluster can route (single-key commands, scripts whose keys
 * share a hash tag, PUBLISH/SUBSCRIBE) and duplicates through {@link duplicateConnection}.
 */
export type RedisConnection = Redis | Cluster;

const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 6), 2000);

/** Connection options valid for `Redis`, split between the cluster and its nodes for a {@link ClusterConnection}. */
export interface ConnectionOptions {
  connectionName?: string;
  enableOfflineQueue?: boolean;
  enableAutoPipelining?: boolean;
  maxRetriesPerRequest?: number | null;
  autoResendUnfulfilledCommands?: boolean;
  commandTimeout?: number | undefined;
  lazyConnect?: boolean;
}

type NodeOptions = NonNullable<IoClusterOptions['redisOptions']> & { replyMapping?: 'legacy' };
type ClusterOptions = Omit<IoClusterOptions, 'redisOptions'> & { redisOptions?: NodeOptions };

function roleOptions(options: OpenRedisOptions): ConnectionOptions {
  const name = options.name === undefined ? {} : { connectionName: options.name };
  if (options.role === 'producer') {
    return {
      ...name,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs || 2000,
    };
  }
  if (options.role === 'subscriber') {
    return { ...name, enableOfflineQueue: false, maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false };
  }
  return { ...name, enableOfflineQueue: true, enableAutoPipelining: true, maxRetriesPerRequest: null };
}

/**
 * Creates a connection that is not yet connected (`lazyConnect`); call `connect()`. It reconnects
 * by itself forever with a backoff capped at 2 s.
 */
export function openRedis(url: string, options: OpenRedisOptions): Redis {
  return new Redis(url, { lazyConnect: true, retryStrategy, ...roleOptions(options) });
}

/** {@link openRedis} for standalone Redis, {@link openRedisCluster} for a cluster, `openRedisSentinel` through Sentinel. */
export function openRedisConnection(target: RedisTarget, options: OpenRedisOptions): RedisConnection {
  if (target.sentinel !== undefined) {
    return openRedisSentinel(target.sentinel, { lazyConnect: true, retryStrategy, ...roleOptions(options) }, options.role === 'worker');
  }
  return target.cluster === true ? openRedisCluster(target.url, options) : openRedis(target.url, options);
}

/**
 * Like {@link openRedis} for a Redis Cluster given comma-separated seed URLs (credentials and
 * `rediss://` of the first seed apply to every node; a `/db` other than 0 is refused: clusters have one).
 */
export function openRedisCluster(seedUrls: string, options: OpenRedisOptions): ClusterConnection {
  const { nodes, nodeOptions } = parseSeeds(seedUrls);
  return new ClusterConnection(nodes, { ...clusterOptions(roleOptions(options), nodeOptions), ...failoverOptions(options) });
}

/**
 * What lets a cluster connection ride through a failover by itself: CLUSTERDOWN and TRYAGAIN are
 * retried, a lone MOVED is followed (and {@link ClusterConnection} re-reads the slot map
 * periodically); sharded pub/sub when asked for.
 */
/**
 * How often a cluster connection re-reads the slot map, ms: ioredis opens a short-lived connection
 * to one node for CLUSTER SLOTS each time, so this trades recovery time after a failover for one
 * connection per cluster connection per period. (Not ioredis' `slotsRefreshInterval`: its timer
 * re-arms itself when a refresh is in flight during `disconnect()`, and then keeps a closed
 * connection's process alive forever.)
 */
export const SLOTS_REFRESH_MS = 2000;

function failoverOptions(options: OpenRedisOptions): Partial<ClusterOptions> {
  return {
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 100,
    retryDelayOnMoved: 0,
    ...(options.shardedPubSub === true ? { shardedSubscribers: true } : {}),
  };
}

/** Connection options of a cluster: the ones ioredis applies to the whole cluster, the rest to each node. */
function clusterOptions(options: ConnectionOptions, nodeOptions: NodeOptions): ClusterOptions {
  const { enableOfflineQueue, enableAutoPipelining, lazyConnect, ...perNode } = options;
  return {
    lazyConnect: lazyConnect ?? true,
    enableOfflineQueue: enableOfflineQueue ?? true,
    enableAutoPipelining: enableAutoPipelining ?? false,
    clusterRetryStrategy: retryStrategy,
    // A node that went away is found again through the slot map; keep failover retries short.
    retryDelayOnFailover: 100,
    redisOptions: { ...nodeOptions, ...perNode },
  };
}

function parseSeeds(seedUrls: string): { nodes: ClusterNode[]; nodeOptions: NodeOptions } {
  const urls = seedUrls
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (urls.length === 0) throw new RedisLayerError('INVALID_TARGET', 'Redis Cluster: no seed URL');
  const nodes: ClusterNode[] = [];
  let nodeOptions: NodeOptions = {};
  urls.forEach((text, i) => {
    const u = new URL(text);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
      throw new RedisLayerError('INVALID_TARGET', 'Redis Cluster: seed URLs must be redis:// or rediss://');
    const db = u.pathname.replace(/^\//, '');
    if (db !== '' && db !== '0')
      throw new RedisLayerError('INVALID_TARGET', 'Redis Cluster has only database 0: remove the /db from REDIS_URL');
    nodes.push({ host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port === '' ? 6379 : Number(u.port) });
    if (i === 0) {
      nodeOptions = {
        ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
        ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
        ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
      };
    }
  });
  return { nodes, nodeOptions };
}

/**
 * An ioredis `Cluster` that remembers its seeds and options, so {@link duplicateWith} can take the
 * options code written for standalone `Redis` passes (e.g. a blocking reader without offline queue):
 * cluster-wide ones (`enableOfflineQueue`, `enableAutoPipelining`, `lazyConnect`) apply to the
 * cluster, the rest to every node.
 */
export class ClusterConnection extends Cluster {
  private readonly seeds: ClusterNode[];
  private readonly baseOptions: ClusterOptions;
  private slotMapTimer: NodeJS.Timeout | null = null;

  constructor(seeds: ClusterNode[], options: ClusterOptions) {
    super(seeds, options);
    this.seeds = seeds;
    this.baseOptions = options;
    // An auto-pipelined batch that meets MOVED for two slots at once (a master handed its slots
    // over) fails its commands without ioredis learning the new owner, and would keep failing
    // until something re-reads the slot map: do that every SLOTS_REFRESH_MS while ready.
    this.on('ready', () => this.startSlotsRefresh());
    this.on('end', () => this.stopSlotsRefresh());
  }

  override disconnect(reconnect = false): void {
    if (!reconnect) this.stopSlotsRefresh();
    super.disconnect(reconnect);
  }

  override quit(callback?: Parameters<Cluster['quit']>[0]): Promise<'OK'> {
    this.stopSlotsRefresh();
    return super.quit(callback);
  }

  private startSlotsRefresh(): void {
    if (this.slotMapTimer !== null) return;
    this.slotMapTimer = setInterval(() => {
      if (this.status === 'ready') this.refreshSlotsCache();
    }, SLOTS_REFRESH_MS);
    this.slotMapTimer.unref();
  }

  private stopSlotsRefresh(): void {
    if (this.slotMapTimer !== null) clearInterval(this.slotMapTimer);
    this.slotMapTimer = null;
  }

  /** A new, unconnected connection to the same cluster with `overrides` applied. */
  duplicateWith(overrides: ConnectionOptions): ClusterConnection {
    const { enableOfflineQueue, enableAutoPipelining, lazyConnect, ...perNode } = overrides;
    return new ClusterConnection(this.seeds, {
      ...this.baseOptions,
      ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
      ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
      ...(lazyConnect === undefined ? {} : { lazyConnect }),
      redisOptions: { ...this.baseOptions.redisOptions, ...perNode },
    });
  }
}

/**
 * A new, unconnected connection like `conn` with `overrides` applied: `Redis#duplicate` for
 * standalone Redis, {@link ClusterConnection.duplicateWith} for a cluster (a plain ioredis `Cluster`
 * only without overrides).
 */
export function duplicateConnection(conn: RedisConnection, overrides: ConnectionOptions = {}): RedisConnection {
  if (conn instanceof ClusterConnection) return conn.duplicateWith(overrides);
  if (conn instanceof Cluster) {
    // Only a ClusterConnection knows how to split the options between the cluster and its nodes.
    if (Object.keys(overrides).length > 0)
      throw new RedisLayerError('UNSUPPORTED_CLIENT', 'duplicating a plain ioredis Cluster with options: open it with openRedisCluster');
    return conn.duplicate();
  }
  return conn.duplicate(overrides);
}

/** Connects a lazy connection; resolves false (and keeps retrying in the background) if Redis is down now. */
export async function connectRedis(redis: RedisConnection): Promise<boolean> {
  if (redis.status !== 'wait') return redis.status === 'ready';
  try {
    await redis.connect();
    return true;
  } catch {
    return false;
  }
}
