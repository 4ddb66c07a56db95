/**
 * The validated, frozen configuration every component receives. Built only by `loadConfig`
 * from the environment (plus an optional `.env` and `CONFIG_FILE`); no other module reads
 * `process.env`. Durations are milliseconds, sizes bytes.
 */

/** Channel options of one namespace (Centrifugo option names, camelCased). */
export interface ChannelOptions {
  /** Publications kept per channel; 0: no history. */
  historySize: number;
  /** How long publications are kept, ms; 0: no history. */
  historyTtlMs: number;
  /** Recovery on for every subscription (client need not ask). */
  forceRecovery: boolean;
  /** Positioning on for every subscription (gap detection). */
  forcePositioning: boolean;
  presence: boolean;
  /** Join/leave pushes for subscribers that ask (`join_leave: true` in subscribe). */
  joinLeave: boolean;
  /** Join/leave pushes for every subscriber. */
  forcePushJoinLeave: boolean;
  allowSubscribeForClient: boolean;
  /** Any connected client may publish (without being subscribed). */
  allowPublishForClient: boolean;
  /** Subscribers of the channel may publish. */
  allowPublishForSubscriber: boolean;
  allowHistoryForSubscriber: boolean;
  allowPresenceForSubscriber: boolean;
  /** `ns:name#42` style channels where `#` separates user ids allowed to subscribe. */
  allowUserLimitedChannels: boolean;
  /**
   * Only the user whose id is the channel's suffix may subscribe/publish (`user:{userId}`).
   * The part after the namespace separator must equal the connection's user id.
   */
  userOwned: boolean;
  /** Delta compression a subscriber may ask for (`"fossil"`); omitted: none. */
  allowedDeltaTypes?: readonly DeltaType[];
  /** Subscribers may pass a tag filter (`tf`) so only matching publications reach them; omitted: false. */
  allowTagsFilter?: boolean;
}

/** Delta compression algorithms (Centrifugo's `allowed_delta_types` values). */
export type DeltaType = 'fossil';

export interface Namespace extends ChannelOptions {
  name: string;
}

export interface ChannelConfig {
  /** Options for channels without a namespace prefix; null: such channels are unknown (102). */
  withoutNamespace: ChannelOptions | null;
  /**
   * The only channel names without a namespace that are known (e.g. `['chat']`); others are
   * unknown (102). Omitted: every channel without a namespace uses `withoutNamespace`.
   */
  withoutNamespaceChannels?: readonly string[];
  namespaces: readonly Namespace[];
  /** Separates namespace from the rest of the channel name. */
  namespaceBoundary: string;
  /** Max channel name length in bytes. */
  maxLength: number;
}

export interface ClientConfig {
  /** Anyone may connect, subscribe and publish to anything; for development only. */
  insecure: boolean;
  allowAnonymousConnectWithoutToken: boolean;
  /** HS256 secret for connection and subscription JWTs; null: tokens are not accepted. */
  tokenHmacSecretKey: string | null;
  /** Max channels one connection may subscribe to. */
  channelLimit: number;
  /** Bytes queued for a slow reader before it is disconnected with 3008. */
  queueMaxSize: number;
  /** No connect command within this time: close 3502. */
  staleTimeoutMs: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  /** Max inbound WebSocket message, bytes. */
  messageSizeLimit: number;
  /** Max commands per second per connection before 3013 (token bucket; burst = the same number). */
  commandRateLimit: number;
  /** Max text length in Unicode characters for publications (`data.text`). */
  maxTextLength: number;
  /** Time an rpc waits for a worker's answer. */
  rpcTimeoutMs: number;
  /** How long a presence entry lives without a refresh; the gateway refreshes at a third of it. */
  presenceTtlMs: number;
}

export interface Config {
  /** null: embedded mode, in-memory engine, queue and in-process workers. */
  redisUrl: string | null;
  /** Treat `redisUrl` (comma-separated seeds allowed) as a Redis Cluster. */
  redisCluster: boolean;
  /** Prefix for every Redis key this system writes. */
  redisPrefix: string;
  host: string;
  websocketPort: number;
  httpPort: number;
  metricsPort: number;
  /** This gateway's node id (unique per process). */
  nodeId: string;
  routeCacheTtlMs: number;
  /** Key for the server HTTP API; null: the API is disabled. */
  httpApiKey: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Time a shutting-down gateway waits for in-flight work. */
  shutdownTimeoutMs: number;
  /** Workers run in-process in embedded mode. */
  embeddedWorkers: number;
  client: ClientConfig;
  channel: ChannelConfig;
}
