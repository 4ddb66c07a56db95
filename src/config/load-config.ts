/**
 * `loadConfig(env)`: the one place configuration is read. Pure apart from the optional
 * CONFIG_FILE read and the default node id; validates every variable, reports all problems
 * in one ConfigError, and returns a deep-frozen Config.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, hostname } from 'node:os';
import { EMPTY_PROXIES, EMPTY_TOKEN_VERIFICATION } from './access-file-options.js';
import type { ChannelConfig, Config, ProxyConfig, TokenVerification } from './config.js';
import { ConfigError } from './config-error.js';
import { type ConfigFileSettings, MAX_GATEWAY_PROCESSES, checkOptions, parseConfigFile } from './config-file.js';
import { applyHistoryMetaTtl, defaultChannelConfig } from './default-channels.js';
import { MAX_DURATION_MS, parseDuration } from './parse-duration.js';
import { readRedisSentinel } from './redis-sentinel-options.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadConfigOptions {
  /** Reads CONFIG_FILE; default `fs.readFileSync(path, 'utf8')`. */
  readFile?: (path: string) => string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Variables whose values must never appear in an error message. */
const SECRET_VARS = new Set([
  'REDIS_URL',
  'CENTRIFUGO_TOKEN_HMAC_SECRET_KEY',
  'HTTP_API_KEY',
  'ADMIN_PASSWORD',
  'ADMIN_SECRET',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
]);
const TOKEN = /^[A-Za-z0-9_.:-]+$/;

/** Reads one variable at a time; unset and empty values mean "use the default". */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const v = this.env[name];
    if (v === undefined) return undefined;
    const t = v.trim();
    return t === '' ? undefined : t;
  }

  fail(name: string, expected: string): void {
    const v = this.env[name] ?? '';
    const shown = SECRET_VARS.has(name) ? '' : ` (got ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)})`;
    this.problems.push(`${name}: ${expected}${shown}`);
  }

  int(name: string, def: number, min: number, max: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    this.fail(name, `must be an integer from ${min} to ${max}`);
    return def;
  }

  duration(name: string, def: number, minMs: number): number {
    const v = this.raw(name);
    if (v === undefined) return def;
    const ms = parseDuration(v);
    if (ms !== null && ms >= minMs && ms <= MAX_DURATION_MS) return ms;
    this.fail(name, `must be a duration such as 500ms, 30s, 5m or 1h${minMs > 0 ? `, at least ${minMs}ms` : ''}`);
    return def;
  }

  bool(name: string, def: boolean): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return def;
    if (v === 'true' || v === '1' || v === 'yes') return true;
    if (v === 'false' || v === '0' || v === 'no') return false;
    this.fail(name, 'must be true/false, 1/0 or yes/no');
    return def;
  }

  oneOf<T extends string>(name: string, def: T, allowed: readonly T[]): T {
    const v = this.raw(name)?.toLowerCase();
    if (v === undefined) return def;
    const found = allowed.find((a) => a === v);
    if (found !== undefined) return found;
    this.fail(name, `must be one of ${allowed.join(', ')}`);
    return def;
  }

  token(name: string, def: string, what: string): string {
    const v = this.raw(name);
    if (v === undefined) return def;
    if (v.length <= 128 && TOKEN.test(v)) return v;
    this.fail(name, `must be ${what}: up to 128 letters, digits, "_", ".", ":" or "-"`);
    return def;
  }
}

function readRedisUrl(r: EnvReader, cluster: boolean): string | null {
  const v = r.raw('REDIS_URL');
  if (v === undefined) return null;
  const seeds = v.split(',').map((s) => s.trim());
  if (!cluster && seeds.length > 1) {
    r.fail('REDIS_URL', 'must be a single URL unless REDIS_CLUSTER is true');
    return null;
  }
  for (const seed of seeds) {
    let ok = false;
    try {
      const u = new URL(seed);
      ok = (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
    } catch {
      ok = false;
    }
    if (!ok) {
      r.fail('REDIS_URL', 'must be redis://[user:password@]host[:port][/db] or rediss://… (comma-separated seeds for a cluster)');
      return null;
    }
  }
  return seeds.join(',');
}

/** REDIS_SHARDED_PUBSUB: sharded pub/sub spreads channels over the shards of a cluster, so it needs one. */
function readShardedPubSub(r: EnvReader, cluster: boolean): boolean {
  const sharded = r.bool('REDIS_SHARDED_PUBSUB', false);
  if (sharded && !cluster)
    r.problems.push('REDIS_SHARDED_PUBSUB: true requires REDIS_CLUSTER=true (sharded pub/sub is a Redis Cluster feature)');
  return sharded;
}

function readConfigFile(r: EnvReader, options: LoadConfigOptions): ConfigFileSettings {
  const path = r.raw('CONFIG_FILE');
  if (path === undefined) return {};
  let text: string;
  try {
    text = (options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    r.problems.push(`CONFIG_FILE: cannot read ${JSON.stringify(path)}${code === undefined ? '' : ` (${code})`}`);
    return {};
  }
  return parseConfigFile(text, r.problems);
}

/**
 * Builds the Config from environment variables (and CONFIG_FILE); throws ConfigError listing every problem.
 * Longer than ~60 lines on purpose: one line per option, in the order of docs/configuration.md.
 */
export function loadConfig(env: Env, options: LoadConfigOptions = {}): Config {
  const r = new EnvReader(env);
  const redisCluster = r.bool('REDIS_CLUSTER', false);
  const redisUrl = readRedisUrl(r, redisCluster);
  if (redisCluster && redisUrl === null && r.raw('REDIS_URL') === undefined) {
    r.problems.push('REDIS_CLUSTER: true requires REDIS_URL');
  }
  const redisShardedPubSub = readShardedPubSub(r, redisCluster);
  const host = r.raw('HOST') ?? '0.0.0.0';
  if (/\s/.test(host)) r.fail('HOST', 'must be a host name or IP address');

  const pingIntervalMs = r.duration('WS_PING_INTERVAL', 25_000, 1);
  const pongTimeoutMs = r.duration('WS_PONG_TIMEOUT', 10_000, 1);
  if (pongTimeoutMs >= pingIntervalMs) {
    r.problems.push(`WS_PONG_TIMEOUT: must be shorter than WS_PING_INTERVAL (${pongTimeoutMs}ms >= ${pingIntervalMs}ms)`);
  }

  const file = readConfigFile(r, options);
  const redisSentinel = readRedisSentinel(r, file.redisSentinel ?? {}, {
    redisUrlSet: r.raw('REDIS_URL') !== undefined,
    cluster: redisCluster,
  });
  const envSecret = r.raw('CENTRIFUGO_TOKEN_HMAC_SECRET_KEY');
  const secret = envSecret ?? file.tokenHmacSecretKey ?? null;
  const channel = file.channel ?? defaultChannelConfig();
  applyHistoryMetaTtl(channel);
  const tokens = tokenConfig(secret, file);
  const t = tokens.connection;
  const anyKey = t.hmacSecretKey !== null || t.rsaPublicKey !== null || t.ecdsaPublicKey !== null || t.jwksPublicEndpoint !== null;

  const config: Config = {
    redisUrl,
    redisCluster,
    redisSentinel,
    redisShardedPubSub,
    // Set but empty is the one exception to "empty means default": no prefix (the seed's key names).
    redisPrefix:
      env['REDIS_PREFIX'] !== undefined && env['REDIS_PREFIX'].trim() === '' ? '' : r.token('REDIS_PREFIX', 'rm', 'a key prefix'),
    host,
    websocketPort: r.int('WEBSOCKET_PORT', 8000, 0, 65_535),
    httpPort: r.int('HTTP_PORT', 3000, 0, 65_535),
    metricsPort: r.int('METRICS_PORT', 2112, 0, 65_535),
    nodeId: r.token(
      'NODE_ID',
      `${hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}-${randomBytes(3).toString('hex')}`,
      'a node id',
    ),
    routeCacheTtlMs: r.duration('ROUTE_CACHE_TTL', 30_000, 0),
    httpApiKey: r.raw('HTTP_API_KEY') ?? file.httpApiKey ?? null,
    logLevel: r.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    shutdownTimeoutMs: r.duration('SHUTDOWN_TIMEOUT', 10_000, 0),
    gatewayProcesses: gatewayProcesses(r, file, redisUrl === null),
    embeddedWorkers: r.int('EMBEDDED_WORKERS', 2, 1, 64),
    workerHandler: r.raw('WORKER_HANDLER') ?? null,
    client: {
      insecure: file.insecure ?? false,
      allowAnonymousConnectWithoutToken: file.allowAnonymousConnectWithoutToken ?? !anyKey,
      tokenHmacSecretKey: secret,
      channelLimit: r.int('CLIENT_CHANNEL_LIMIT', 128, 1, 1_000_000),
      queueMaxSize: r.int('CLIENT_QUEUE_MAX_SIZE', 1_048_576, 1024, 2 ** 40),
      staleTimeoutMs: r.duration('CLIENT_STALE_TIMEOUT', 10_000, 1),
      handshakeTimeoutMs: r.duration('CLIENT_HANDSHAKE_TIMEOUT', 10_000, 1),
      connectionLimit: r.int('CLIENT_CONNECTION_LIMIT', 0, 0, 10_000_000),
      pingIntervalMs,
      pongTimeoutMs,
      messageSizeLimit: r.int('WS_MESSAGE_SIZE_LIMIT', 65_536, 1024, 1024 ** 3),
      inboxMaxSize: r.int('CLIENT_INBOX_MAX_SIZE', 262_144, 1024, 2 ** 40),
      commandRateLimit: r.int('CLIENT_COMMAND_RATE_LIMIT', 1000, 1, 1_000_000),
      channelCreateRateLimit: r.int('CLIENT_CHANNEL_CREATE_RATE_LIMIT', 10, 1, 1_000_000),
      maxTextLength: r.int('MAX_TEXT_LENGTH', 5000, 1, 10_000_000),
      rpcTimeoutMs: r.duration('RPC_TIMEOUT', 5000, 1),
      presenceTtlMs: r.duration('PRESENCE_TTL', 60_000, 3000),
    },
    channel,
    web: readWebConfig(r, redisUrl === null && redisSentinel === null, secret),
    tokens,
    admission: {
      allowedOrigins: file.allowedOrigins ?? null,
      userConnectionLimit: file.userConnectionLimit ?? 0,
      connectionRateLimit: file.connectionRateLimit ?? 0,
    },
    proxies: proxyConfig(r, file),
  };
  if (file.channel === undefined) checkBuiltIn(r, channel);
  const ports = [
    ['WEBSOCKET_PORT', config.websocketPort],
    ['HTTP_PORT', config.httpPort],
    ['METRICS_PORT', config.metricsPort],
  ] as const;
  for (const [i, [name, port]] of ports.entries()) {
    const clash = ports.slice(i + 1).find(([, other]) => other === port && port !== 0);
    if (clash !== undefined) r.problems.push(`${name}: must differ from ${clash[0]} (both ${port})`);
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return deepFreeze(config);
}

/** GATEWAY_PROCESSES over `gateway_processes`; `auto` is the number of CPUs; refused in embedded mode. */
function gatewayProcesses(r: EnvReader, file: ConfigFileSettings, embedded: boolean): number {
  const v = r.raw('GATEWAY_PROCESSES');
  const asked =
    v === undefined
      ? (file.gatewayProcesses ?? 1)
      : v.toLowerCase() === 'auto'
        ? 'auto'
        : /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= MAX_GATEWAY_PROCESSES
          ? Number(v)
          : null;
  if (asked === null) {
    r.fail('GATEWAY_PROCESSES', `must be auto or an integer from 1 to ${MAX_GATEWAY_PROCESSES}`);
    return 1;
  }
  if (embedded && asked !== 1) {
    r.problems.push(
      `GATEWAY_PROCESSES: ${asked} needs REDIS_URL; embedded mode's in-memory engine lives in one process (unset GATEWAY_PROCESSES or set it to 1, or set REDIS_URL)`,
    );
    return 1;
  }
  return asked === 'auto' ? availableParallelism() : asked;
}

function tokenConfig(secret: string | null, file: ConfigFileSettings): Config['tokens'] {
  const connection: TokenVerification = { ...EMPTY_TOKEN_VERIFICATION, ...file.token, hmacSecretKey: secret };
  const subscription: TokenVerification =
    file.subscriptionToken === undefined ? connection : { ...EMPTY_TOKEN_VERIFICATION, ...file.subscriptionToken };
  return { disallowAnonymousConnectionTokens: file.disallowAnonymousConnectionTokens ?? false, connection, subscription };
}

function proxyConfig(r: EnvReader, file: ConfigFileSettings): ProxyConfig {
  const proxies: ProxyConfig = { ...EMPTY_PROXIES, ...file.proxies };
  if (proxies.rpcProxyEnabled && proxies.rpc === null)
    r.problems.push('CONFIG_FILE rpc.without_namespace.proxy_enabled: requires rpc.proxy.endpoint');
  const namespaces = [...(file.channel?.namespaces ?? []), ...(file.channel?.withoutNamespace ? [file.channel.withoutNamespace] : [])];
  const need = (
    flag: 'subscribeProxyEnabled' | 'publishProxyEnabled' | 'subRefreshProxyEnabled',
    proxy: keyof ProxyConfig,
    option: string,
    path: string,
  ): void => {
    if (namespaces.some((ns) => ns[flag]) && proxies[proxy] === null) r.problems.push(`CONFIG_FILE ${option}: requires ${path}.endpoint`);
  };
  need('subscribeProxyEnabled', 'subscribe', 'subscribe_proxy_enabled', 'channel.proxy.subscribe');
  need('publishProxyEnabled', 'publish', 'publish_proxy_enabled', 'channel.proxy.publish');
  need('subRefreshProxyEnabled', 'subRefresh', 'sub_refresh_proxy_enabled', 'channel.proxy.sub_refresh');
  return proxies;
}

function readWebConfig(r: EnvReader, embedded: boolean, secret: string | null): Config['web'] {
  const chatDemoTokens = r.bool('CHAT_DEMO_TOKENS', false);
  if (chatDemoTokens && secret === null) {
    r.problems.push('CHAT_DEMO_TOKENS: true needs CENTRIFUGO_TOKEN_HMAC_SECRET_KEY (without a secret the demo connects anonymously)');
  }
  const adminSecret = r.raw('ADMIN_SECRET') ?? null;
  if (adminSecret !== null && adminSecret.length < 16) r.fail('ADMIN_SECRET', 'must be at least 16 characters');
  return {
    chatDemo: r.bool('CHAT_DEMO', embedded),
    chatDemoTokens,
    adminPassword: r.raw('ADMIN_PASSWORD') ?? null,
    adminSecret,
  };
}

/** The built-in rules must pass the same checks a file's rules do. */
function checkBuiltIn(r: EnvReader, channel: ChannelConfig): void {
  const reporter = { report: (path: string, message: string) => r.problems.push(`built-in ${path}: ${message}`) };
  if (channel.withoutNamespace !== null) checkOptions(reporter, channel.withoutNamespace, 'without_namespace');
  for (const ns of channel.namespaces) checkOptions(reporter, ns, `namespace ${ns.name}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
