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
  /**
   * How long a history channel's stream metadata (offset, epoch) outlives its last publication, ms
   * (`history_meta_ttl`); 0 in a CONFIG_FILE namespace means the channel-level value, which
   * loadConfig fills in, so a loaded Config always holds the value in force.
   */
  historyMetaTtlMs: number;
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
  /** Subscriptions without a token are decided by the subscribe proxy (`channel.proxy.subscribe`). */
  subscribeProxyEnabled: boolean;
  /** Client publishes are checked by the publish proxy (`channel.proxy.publish`) before the pipeline. */
  publishProxyEnabled: boolean;
  /** Subscriptions granted by the subscribe proxy are refreshed through `channel.proxy.sub_refresh`. */
  subRefreshProxyEnabled: boolean;
  /**
   * `publish_mode`: 'append' answers a client publish once it is durably in the worker stream;
   * 'handled' answers once the owning worker's handler returned, with its ClientError if it threw one.
   */
  publishMode: PublishMode;
  /** `publish_timeout`: how long a 'handled' publish waits for the handler, ms; 0: RPC_TIMEOUT. */
  publishTimeoutMs: number;
  /** `publish_data`: what a client may publish: 'text' (`{"text": "..."}`), 'json' (any JSON value) or 'any' (bytes as they are). */
  publishData: PublishData;
  /** `worker_pool`: the worker pool (WORKER_POOL of its workers) whose workers handle this namespace's channels. */
  workerPool: string;
}

/** Delta compression algorithms (Centrifugo's `allowed_delta_types` values). */
export type DeltaType = 'fossil';

export type PublishMode = 'append' | 'handled';
export type PublishData = 'text' | 'json' | 'any';

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
  /** Default `history_meta_ttl` of namespaces that set none (`channel.history_meta_ttl`, Centrifugo's 720h). */
  historyMetaTtlMs: number;
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
  /** A socket accepted on the client port must complete its HTTP request head within this time, or it is destroyed. */
  handshakeTimeoutMs: number;
  /** Max open sockets on the client port (Centrifugo's `client.connection_limit`); 0: no limit. */
  connectionLimit: number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  /** Max inbound WebSocket message, bytes. */
  messageSizeLimit: number;
  /** Bytes of received commands one connection may hold (queued or running) before its socket stops being read. */
  inboxMaxSize: number;
  /** Max commands per second per connection before 3013 (token bucket; burst = the same number). */
  commandRateLimit: number;
  /**
   * History channels per second one connection may bring into use (publish to, subscribe to with
   * positioning, read history of) beyond the ones it used recently; beyond it: error 111. Token bucket, burst = the same number.
   */
  channelCreateRateLimit: number;
  /** Max text length in Unicode characters for publications (`data.text`). */
  maxTextLength: number;
  /** Time an rpc waits for a worker's answer. */
  rpcTimeoutMs: number;
  /** How long a presence entry lives without a refresh; the gateway refreshes at a third of it. */
  presenceTtlMs: number;
}

/** The pages served on the WebSocket port: the chat demo and the admin UI. */
export interface WebConfig {
  /** Serve the chat demo at `/` (default: on in embedded mode, off with Redis). */
  chatDemo: boolean;
  /**
   * Development only: `POST /demo/token` signs a connection token for any name the page asks for,
   * with the HMAC secret. Off: the demo asks for a token pasted in by the user when a secret is set.
   */
  chatDemoTokens: boolean;
  /** Password of the admin UI at `/admin`; null: the admin UI is off (404). */
  adminPassword: string | null;
  /** Key that signs admin session cookies; null: a random key per start (sessions end with the process). */
  adminSecret: string | null;
}

/** One sentinel's address (`REDIS_SENTINELS` entry). */
export interface SentinelAddress {
  host: string;
  port: number;
}

/** Redis through Sentinel (`REDIS_SENTINELS` and companions); see docs/configuration.md. */
export interface RedisSentinelConfig {
  /** Sentinels to ask for the current master, tried in turn. */
  sentinels: readonly SentinelAddress[];
  /** The master group name the sentinels monitor. */
  masterName: string;
  /** ACL user / password for the sentinels; null: none. */
  sentinelUser: string | null;
  sentinelPassword: string | null;
  /** ACL user / password for the master (and the replica promoted in its place); null: none. */
  user: string | null;
  password: string | null;
}

export interface Config {
  /** null (and `redisSentinel` null): embedded mode, in-memory engine, queue and in-process workers. */
  redisUrl: string | null;
  /** Treat `redisUrl` (comma-separated seeds allowed) as a Redis Cluster. */
  redisCluster: boolean;
  /** Reach Redis through Sentinel (then `redisUrl` is null); null: no Sentinel. */
  redisSentinel: RedisSentinelConfig | null;
  /** Prefix for every Redis key this system writes ('' when REDIS_PREFIX is set empty: no prefix). */
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
  /**
   * WORKER_HANDLER: path of a module whose default export is the message handler the embedded
   * workers run (relative paths from the working directory); null: the example handler.
   */
  workerHandler: string | null;
  client: ClientConfig;
  channel: ChannelConfig;
  web: WebConfig;
  /** How connection and subscription JWTs are verified (`client.token`, `client.subscription_token`). */
  tokens: TokenConfig;
  /** Who may open a connection and how often (`client.allowed_origins`, per-user and rate limits). */
  admission: AdmissionConfig;
  /** HTTP proxies to the application backend (`client.proxy.*`, `channel.proxy.*`, `rpc.proxy`). */
  proxies: ProxyConfig;
}

/** Keys and expected claims for one kind of token (Centrifugo's `client.token` object). */
export interface TokenVerification {
  /** HMAC secret (HS256/384/512); null: HMAC tokens are refused. */
  hmacSecretKey: string | null;
  /** RSA public key, PEM (RS256/384/512, PS256/384/512); null: not configured. */
  rsaPublicKey: string | null;
  /** ECDSA public key, PEM (ES256/384/512); null: not configured. */
  ecdsaPublicKey: string | null;
  /** JWKS URL (RSA, EC and Ed25519 keys chosen by `kid`); null: not configured. */
  jwksPublicEndpoint: string | null;
  /** Required `aud`; null: not checked. */
  audience: string | null;
  /** Required `iss`; null: not checked. */
  issuer: string | null;
  /** `aud` must match this regular expression (any element of an array `aud`); null: not checked. */
  audienceRegex: string | null;
  /** `iss` must match this regular expression; null: not checked. */
  issuerRegex: string | null;
  /** Claim holding the user id; null: `sub`. */
  userIdClaim: string | null;
}

export interface TokenConfig {
  /** `client.disallow_anonymous_connection_tokens`: a connection token without user id is invalid (3500). */
  disallowAnonymousConnectionTokens: boolean;
  connection: TokenVerification;
  /** Equal to `connection` unless `client.subscription_token.enabled`. */
  subscription: TokenVerification;
}

export interface AdmissionConfig {
  /** `client.allowed_origins`; null: not set (same-host browsers only, see origin-check.ts). */
  allowedOrigins: readonly string[] | null;
  /** Max connections of one (non-anonymous) user on this node; 0: no limit. Beyond: connect error 106. */
  userConnectionLimit: number;
  /** Max new connections per second on this node; 0: no limit. Beyond: HTTP 503 on the upgrade. */
  connectionRateLimit: number;
}

/** One HTTP proxy endpoint (Centrifugo's Proxy object, HTTP only). */
export interface ProxyEndpoint {
  endpoint: string;
  timeoutMs: number;
  /** Client request headers forwarded to the backend (lower-cased; `cookie` forwards cookies). */
  httpHeaders: readonly string[];
  /** Headers added to every proxy request (`http.static_headers`). */
  staticHeaders: Readonly<Record<string, string>>;
  /** Non-200 backend statuses turned into an error or a disconnect (`http.status_to_code_transforms`). */
  statusTransforms: readonly ProxyStatusTransform[];
}

export interface ProxyStatusTransform {
  statusCode: number;
  toError?: { code: number; message: string; temporary: boolean };
  toDisconnect?: { code: number; reason: string };
}

/** null members: that proxy is not configured. */
export interface ProxyConfig {
  connect: ProxyEndpoint | null;
  refresh: ProxyEndpoint | null;
  subscribe: ProxyEndpoint | null;
  publish: ProxyEndpoint | null;
  subRefresh: ProxyEndpoint | null;
  rpc: ProxyEndpoint | null;
  /** `rpc.without_namespace.proxy_enabled`: rpc calls go to the rpc proxy instead of a worker. */
  rpcProxyEnabled: boolean;
}
