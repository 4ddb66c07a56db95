/**
 * Opens ioredis connections with the options each pipeline role needs: a standalone `Redis`, or a
 * {@link ClusterConnection} when the configuration says `REDIS_CLUSTER=true`.
 */

import { Cluster, Redis, type ClusterNode, type ClusterOptions as IoClusterOptions } from 'ioredis';

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
}

/** Where Redis is: config `redisUrl` and `redisCluster`. */
export interface RedisTarget {
  /** One `redis://` / `rediss://` URL; with `cluster`, one or more comma-separated seed URLs. */
  url: string;
  /** The URL(s) are seeds of a Redis Cluster; omitted: false (standalone). */
  cluster?: boolean;
}

/** A connection to standalone Redis or to a Redis Cluster, as {@link openRedisConnection} returns it. */
export type RedisClient = Redis | ClusterConnection;

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
      ...name, enableOfflineQueue: false, enableAutoPipelining: true, maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false, commandTimeout: options.commandTimeoutMs || 2000,
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

/** {@link openRedis} for standalone Redis, {@link openRedisCluster} for a cluster. */
export function openRedisConnection(target: RedisTarget, options: OpenRedisOptions): RedisClient {
  return target.cluster === true ? openRedisCluster(target.url, options) : openRedis(target.url, options);
}

/**
 * Like {@link openRedis} for a Redis Cluster given comma-separated seed URLs (credentials and
 * `rediss://` of the first seed apply to every node; a `/db` other than 0 is refused: clusters have one).
 */
export function openRedisCluster(seedUrls: string, options: OpenRedisOptions): ClusterConnection {
  const { nodes, nodeOptions } = parseSeeds(seedUrls);
  return new ClusterConnection(nodes, clusterOptions(roleOptions(options), nodeOptions));
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
  const urls = seedUrls.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (urls.length === 0) throw new TypeError('Redis Cluster: no seed URL');
  const nodes: ClusterNode[] = [];
  let nodeOptions: NodeOptions = {};
  urls.forEach((text, i) => {
    const u = new URL(text);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new TypeError('Redis Cluster: seed URLs must be redis:// or rediss://');
    const db = u.pathname.replace(/^\//, '');
    if (db !== '' && db !== '0') throw new TypeError('Redis Cluster has only database 0: remove the /db from REDIS_URL');
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
 * An ioredis `Cluster` whose `duplicate()` also takes standalone `Redis` options, as code written
 * for `Redis` passes them (e.g. a blocking reader without offline queue): cluster-wide ones
 * (`enableOfflineQueue`, `enableAutoPipelining`, `lazyConnect`) apply to the cluster, the rest to
 * every node. `Cluster#duplicate(startupNodes, clusterOptions)` keeps working and returns one too.
 */
export class ClusterConnection extends Cluster {
  private readonly seeds: ClusterNode[];
  private readonly baseOptions: ClusterOptions;

  constructor(seeds: ClusterNode[], options: ClusterOptions) {
    super(seeds, options);
    this.seeds = seeds;
    this.baseOptions = options;
    // An own property rather than an override: ioredis declares duplicate() with a generic
    // signature a subclass cannot widen, and RedisStreamQueue calls it the standalone way.
    Object.defineProperty(this, 'duplicate', {
      value: (first?: ClusterNode[] | ConnectionOptions, second?: ClusterOptions): ClusterConnection => {
        if (first === undefined || !Array.isArray(first)) return this.duplicateWith(first ?? {});
        const nodes = first.length > 0 ? first : seeds;
        return new ClusterConnection(nodes, { ...options, ...second, redisOptions: { ...options.redisOptions, ...second?.redisOptions } });
      },
    });
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

/** `duplicate(overrides)` of either kind of connection (a cluster's applies them as {@link ClusterConnection.duplicateWith}). */
export function duplicateConnection(conn: RedisClient, overrides: ConnectionOptions = {}): RedisClient {
  return conn instanceof ClusterConnection ? conn.duplicateWith(overrides) : conn.duplicate(overrides);
}

/**
 * The connection typed as `Redis` for code that is declared for standalone Redis only but sends
 * nothing a cluster cannot route (single-key commands, scripts whose keys share a hash tag,
 * PUBLISH/SUBSCRIBE, `duplicate(options)`): `RedisStreamQueue`.
 */
export function asStandaloneType(conn: RedisClient): Redis {
  return conn as unknown as Redis;
}

/** Connects a lazy connection; resolves false (and keeps retrying in the background) if Redis is down now. */
export async function connectRedis(redis: Redis | Cluster): Promise<boolean> {
  if (redis.status !== 'wait') return redis.status === 'ready';
  try {
    await redis.connect();
    return true;
  } catch {
    return false;
  }
}
