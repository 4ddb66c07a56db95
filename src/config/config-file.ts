/**
 * Parser for the optional CONFIG_FILE: a JSON document using Centrifugo's option names
 * (`client.*`, `channel.*`), plus our `user_owned` and `without_namespace_channels`.
 * Every problem is pushed to `problems` (unknown keys included) instead of thrown.
 */

import { readAllowedOrigins, readChannelProxies, readClientProxies, readRpc, readTokenVerification } from './access-file-options.js';
import type { ChannelConfig, ChannelOptions, Namespace, ProxyConfig, TokenVerification } from './config.js';
import {
  DEFAULT_CHANNEL_MAX_LENGTH,
  DEFAULT_HISTORY_META_TTL_MS,
  DEFAULT_NAMESPACE_BOUNDARY,
  EMPTY_CHANNEL_OPTIONS,
  MAX_HISTORY_META_TTL_MS,
} from './default-channels.js';
import { MAX_DURATION_MS, parseDuration } from './parse-duration.js';
import { readSentinelFileSection, type RedisSentinelFileSettings } from './redis-sentinel-options.js';

/** What the file sets; omitted fields fall back to the environment or built-in defaults. */
export interface ConfigFileSettings {
  insecure?: boolean;
  tokenHmacSecretKey?: string | null;
  allowAnonymousConnectWithoutToken?: boolean;
  /** Present when the file has a `channel` section; it replaces the built-in rules entirely. */
  channel?: ChannelConfig;
  /** `client.token` besides `hmac_secret_key` (which is `tokenHmacSecretKey`). */
  token?: Partial<TokenVerification>;
  /** `client.subscription_token` when its `enabled` is true. */
  subscriptionToken?: Partial<TokenVerification>;
  allowedOrigins?: readonly string[];
  userConnectionLimit?: number;
  connectionRateLimit?: number;
  proxies?: Partial<ProxyConfig>;
  /** `http_api.key`. */
  httpApiKey?: string | null;
  disallowAnonymousConnectionTokens?: boolean;
  /** `gateway_processes`: a count, or `auto` for one per CPU. */
  gatewayProcesses?: number | 'auto';
  /** `engine.redis.sentinel_*`, `user`, `password`. */
  redisSentinel?: RedisSentinelFileSettings;
}

type JsonObject = Record<string, unknown>;

const NAMESPACE_NAME = /^[A-Za-z0-9_-]+$/;
/** Same alphabet as worker ids: a pool name is part of Redis key names. */
export const WORKER_POOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Upper bound of `gateway_processes` / GATEWAY_PROCESSES. */
export const MAX_GATEWAY_PROCESSES = 256;

/** JSON option name → ChannelOptions field. */
const OPTION_FIELDS = {
  history_size: 'historySize',
  history_ttl: 'historyTtlMs',
  history_meta_ttl: 'historyMetaTtlMs',
  force_recovery: 'forceRecovery',
  force_positioning: 'forcePositioning',
  presence: 'presence',
  join_leave: 'joinLeave',
  force_push_join_leave: 'forcePushJoinLeave',
  allow_subscribe_for_client: 'allowSubscribeForClient',
  allow_publish_for_client: 'allowPublishForClient',
  allow_publish_for_subscriber: 'allowPublishForSubscriber',
  allow_history_for_subscriber: 'allowHistoryForSubscriber',
  allow_presence_for_subscriber: 'allowPresenceForSubscriber',
  allow_user_limited_channels: 'allowUserLimitedChannels',
  user_owned: 'userOwned',
  allowed_delta_types: 'allowedDeltaTypes',
  allow_tags_filter: 'allowTagsFilter',
  subscribe_proxy_enabled: 'subscribeProxyEnabled',
  publish_proxy_enabled: 'publishProxyEnabled',
  sub_refresh_proxy_enabled: 'subRefreshProxyEnabled',
  publish_mode: 'publishMode',
  publish_timeout: 'publishTimeoutMs',
  publish_data: 'publishData',
  worker_pool: 'workerPool',
} as const satisfies Record<string, keyof ChannelOptions>;

class Reader {
  constructor(private readonly problems: string[]) {}

  report(path: string, message: string): void {
    this.problems.push(`CONFIG_FILE ${path}: ${message}`);
  }

  object(value: unknown, path: string, allowed: readonly string[]): JsonObject | null {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.report(path, 'must be an object');
      return null;
    }
    const obj = value as JsonObject;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.report(path === '' ? key : `${path}.${key}`, 'unknown option');
    }
    return obj;
  }

  bool(value: unknown, path: string): boolean | undefined {
    if (typeof value === 'boolean') return value;
    this.report(path, 'must be true or false');
    return undefined;
  }

  int(value: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
    this.report(path, `must be an integer from ${min} to ${max}`);
    return undefined;
  }

  duration(value: unknown, path: string, maxMs = MAX_DURATION_MS): number | undefined {
    const ms = typeof value === 'string' ? parseDuration(value) : value === 0 ? 0 : null;
    if (ms !== null && ms <= maxMs) return ms;
    this.report(path, 'must be a duration string such as "30s" or "5m"');
    return undefined;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): T | undefined {
    const found = allowed.find((a) => a === value);
    if (found === undefined) this.report(path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return found;
  }

  string(value: unknown, path: string): string | undefined {
    if (typeof value === 'string') return value;
    this.report(path, 'must be a string');
    return undefined;
  }
}

/** Parses the file's text; returns what it sets (possibly partial when there are problems). */
export function parseConfigFile(text: string, problems: string[]): ConfigFileSettings {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    problems.push(`CONFIG_FILE: not valid JSON (${(err as Error).message})`);
    return {};
  }
  const r = new Reader(problems);
  const root = r.object(doc, '', ['client', 'channel', 'rpc', 'http_api', 'engine', 'gateway_processes']);
  if (root === null) return {};
  const out: ConfigFileSettings = {};
  if (root['client'] !== undefined) readClient(r, root['client'], out);
  const processes = root['gateway_processes'];
  if (processes !== undefined) {
    const n = processes === 'auto' ? 'auto' : r.int(processes, 'gateway_processes', 1, MAX_GATEWAY_PROCESSES);
    if (n !== undefined) out.gatewayProcesses = n;
  }
  if (root['channel'] !== undefined) {
    const channel = readChannel(r, root['channel'], out);
    if (channel !== null) out.channel = channel;
  }
  if (root['rpc'] !== undefined) readRpc(r, root['rpc'], (out.proxies ??= {}));
  if (root['engine'] !== undefined) out.redisSentinel = readSentinelFileSection(root['engine'], problems);
  if (root['http_api'] !== undefined) {
    const api = r.object(root['http_api'], 'http_api', ['key']);
    if (api?.['key'] !== undefined) {
      const key = r.string(api['key'], 'http_api.key');
      if (key !== undefined) out.httpApiKey = key === '' ? null : key;
    }
  }
  return out;
}

function readClient(r: Reader, value: unknown, out: ConfigFileSettings): void {
  const client = r.object(value, 'client', [
    'insecure',
    'token',
    'allow_anonymous_connect_without_token',
    'subscription_token',
    'allowed_origins',
    'user_connection_limit',
    'connection_rate_limit',
    'proxy',
    'disallow_anonymous_connection_tokens',
  ]);
  if (client === null) return;
  readClientAccess(r, client, out);
  if (client['insecure'] !== undefined) {
    const v = r.bool(client['insecure'], 'client.insecure');
    if (v !== undefined) out.insecure = v;
  }
  if (client['allow_anonymous_connect_without_token'] !== undefined) {
    const v = r.bool(client['allow_anonymous_connect_without_token'], 'client.allow_anonymous_connect_without_token');
    if (v !== undefined) out.allowAnonymousConnectWithoutToken = v;
  }
  if (client['token'] !== undefined) {
    const { settings } = readTokenVerification(r, client['token'], 'client.token');
    if (settings.hmacSecretKey !== undefined) out.tokenHmacSecretKey = settings.hmacSecretKey;
    delete settings.hmacSecretKey;
    out.token = settings;
  }
}

function readClientAccess(r: Reader, client: JsonObject, out: ConfigFileSettings): void {
  if (client['subscription_token'] !== undefined) {
    const { settings, obj } = readTokenVerification(r, client['subscription_token'], 'client.subscription_token', ['enabled']);
    const enabled = obj?.['enabled'] === undefined ? false : r.bool(obj['enabled'], 'client.subscription_token.enabled');
    if (enabled === true) out.subscriptionToken = settings;
  }
  if (client['allowed_origins'] !== undefined) {
    const origins = readAllowedOrigins(r, client['allowed_origins'], 'client.allowed_origins');
    if (origins !== undefined) out.allowedOrigins = origins;
  }
  if (client['user_connection_limit'] !== undefined) {
    const n = r.int(client['user_connection_limit'], 'client.user_connection_limit', 0, 1_000_000);
    if (n !== undefined) out.userConnectionLimit = n;
  }
  if (client['connection_rate_limit'] !== undefined) {
    const n = r.int(client['connection_rate_limit'], 'client.connection_rate_limit', 0, 1_000_000);
    if (n !== undefined) out.connectionRateLimit = n;
  }
  if (client['proxy'] !== undefined) readClientProxies(r, client['proxy'], (out.proxies ??= {}));
  if (client['disallow_anonymous_connection_tokens'] !== undefined) {
    const v = r.bool(client['disallow_anonymous_connection_tokens'], 'client.disallow_anonymous_connection_tokens');
    if (v !== undefined) out.disallowAnonymousConnectionTokens = v;
  }
}

function readChannel(r: Reader, value: unknown, out: ConfigFileSettings): ChannelConfig | null {
  const channel = r.object(value, 'channel', [
    'without_namespace',
    'without_namespace_channels',
    'namespaces',
    'namespace_boundary',
    'max_length',
    'history_meta_ttl',
    'proxy',
  ]);
  if (channel === null) return null;
  if (channel['proxy'] !== undefined) readChannelProxies(r, channel['proxy'], (out.proxies ??= {}));
  const cfg: ChannelConfig = {
    withoutNamespace: { ...EMPTY_CHANNEL_OPTIONS },
    namespaces: [],
    namespaceBoundary: DEFAULT_NAMESPACE_BOUNDARY,
    maxLength: DEFAULT_CHANNEL_MAX_LENGTH,
    historyMetaTtlMs: DEFAULT_HISTORY_META_TTL_MS,
  };
  if (channel['history_meta_ttl'] !== undefined) {
    const ms = r.duration(channel['history_meta_ttl'], 'channel.history_meta_ttl', MAX_HISTORY_META_TTL_MS);
    if (ms === 0) r.report('channel.history_meta_ttl', 'must be longer than 0');
    else if (ms !== undefined) cfg.historyMetaTtlMs = ms;
  }
  const wn = channel['without_namespace'];
  if (wn === null) cfg.withoutNamespace = null;
  else if (wn !== undefined) {
    const obj = r.object(wn, 'channel.without_namespace', Object.keys(OPTION_FIELDS));
    if (obj !== null) cfg.withoutNamespace = readOptions(r, obj, 'channel.without_namespace');
  }

  const wnc = channel['without_namespace_channels'];
  if (wnc !== undefined) {
    if (Array.isArray(wnc) && wnc.every((c): c is string => typeof c === 'string' && c !== '')) cfg.withoutNamespaceChannels = wnc;
    else r.report('channel.without_namespace_channels', 'must be an array of non-empty strings');
  }
  if (channel['namespace_boundary'] !== undefined) {
    const b = r.string(channel['namespace_boundary'], 'channel.namespace_boundary');
    if (b === '') r.report('channel.namespace_boundary', 'must not be empty');
    else if (b !== undefined) cfg.namespaceBoundary = b;
  }
  if (channel['max_length'] !== undefined) {
    const n = r.int(channel['max_length'], 'channel.max_length', 1, 65_535);
    if (n !== undefined) cfg.maxLength = n;
  }
  const list = channel['namespaces'];
  if (list !== undefined) {
    if (!Array.isArray(list)) r.report('channel.namespaces', 'must be an array');
    else cfg.namespaces = readNamespaces(r, list);
  }
  for (const name of cfg.withoutNamespaceChannels ?? []) {
    if (name.includes(cfg.namespaceBoundary)) r.report('channel.without_namespace_channels', `"${name}" contains the namespace boundary`);
  }
  return cfg;
}

function readNamespaces(r: Reader, list: readonly unknown[]): Namespace[] {
  const out: Namespace[] = [];
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const path = `channel.namespaces[${i}]`;
    const obj = r.object(item, path, ['name', ...Object.keys(OPTION_FIELDS)]);
    if (obj === null) return;
    const name = obj['name'];
    if (typeof name !== 'string' || !NAMESPACE_NAME.test(name)) {
      r.report(`${path}.name`, 'must be a non-empty string of letters, digits, "_" or "-"');
      return;
    }
    if (seen.has(name)) r.report(`${path}.name`, `duplicate namespace "${name}"`);
    seen.add(name);
    out.push({ name, ...readOptions(r, obj, path) });
  });
  return out;
}

function readOptions(r: Reader, obj: JsonObject, path: string): ChannelOptions {
  const opts: ChannelOptions = { ...EMPTY_CHANNEL_OPTIONS };
  for (const [key, field] of Object.entries(OPTION_FIELDS)) {
    const v = obj[key];
    if (v === undefined) continue;
    if (field === 'historySize') {
      const n = r.int(v, `${path}.${key}`, 0, 1_000_000);
      if (n !== undefined) opts.historySize = n;
    } else if (field === 'historyTtlMs' || field === 'publishTimeoutMs') {
      const ms = r.duration(v, `${path}.${key}`);
      if (ms !== undefined) opts[field] = ms;
    } else if (field === 'allowedDeltaTypes') {
      if (Array.isArray(v) && v.every((t) => t === 'fossil')) opts.allowedDeltaTypes = [...new Set(v as 'fossil'[])];
      else r.report(`${path}.${key}`, 'must be an array of delta types; the only one is "fossil"');
    } else if (field === 'historyMetaTtlMs') {
      const ms = r.duration(v, `${path}.${key}`, MAX_HISTORY_META_TTL_MS);
      if (ms !== undefined) opts.historyMetaTtlMs = ms;
    } else if (field === 'publishMode') {
      const mode = r.oneOf(v, `${path}.${key}`, ['append', 'handled'] as const);
      if (mode !== undefined) opts.publishMode = mode;
    } else if (field === 'publishData') {
      const data = r.oneOf(v, `${path}.${key}`, ['text', 'json', 'any'] as const);
      if (data !== undefined) opts.publishData = data;
    } else if (field === 'workerPool') {
      const pool = r.string(v, `${path}.${key}`);
      if (pool !== undefined && WORKER_POOL_NAME.test(pool)) opts.workerPool = pool;
      else if (pool !== undefined) r.report(`${path}.${key}`, 'must be 1-64 characters of A-Z a-z 0-9 _ . -');
    } else {
      const b = r.bool(v, `${path}.${key}`);
      if (b !== undefined) opts[field] = b;
    }
  }
  checkOptions(r, opts, path);
  return opts;
}

/** Cross-field rules (Centrifugo refuses the same combinations). */
export function checkOptions(r: { report(path: string, message: string): void }, o: ChannelOptions, path: string): void {
  if (o.historySize > 0 && o.historyTtlMs === 0) r.report(path, 'history_size > 0 requires history_ttl > 0');
  if (o.historyTtlMs > 0 && o.historySize === 0) r.report(path, 'history_ttl > 0 requires history_size > 0');
  const history = o.historySize > 0 && o.historyTtlMs > 0;
  if (o.forceRecovery && !history) r.report(path, 'force_recovery requires history (history_size and history_ttl)');
  if (o.forcePositioning && !history) r.report(path, 'force_positioning requires history (history_size and history_ttl)');
  if (o.forcePushJoinLeave && !o.joinLeave) r.report(path, 'force_push_join_leave requires join_leave');
}
