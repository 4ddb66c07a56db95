/**
 * Redis Sentinel options: `REDIS_SENTINELS` and its companions from the environment, or
 * `engine.redis.sentinel_*` (Centrifugo's names) from CONFIG_FILE, validated into one
 * {@link RedisSentinelConfig}; the environment wins over the file, field by field.
 */

import type { RedisSentinelConfig, SentinelAddress } from './config.js';

/** `engine.redis` of CONFIG_FILE (only the Sentinel keys exist there). */
export interface RedisSentinelFileSettings {
  sentinels?: string;
  masterName?: string;
  sentinelUser?: string;
  sentinelPassword?: string;
  user?: string;
  password?: string;
}

/** The part of loadConfig's environment reader this module uses. */
export interface SentinelEnvReader {
  readonly problems: string[];
  raw(name: string): string | undefined;
  fail(name: string, expected: string): void;
}

/** What else the configuration says about Redis, for the combinations Sentinel refuses. */
export interface OtherRedisSettings {
  redisUrlSet: boolean;
  cluster: boolean;
}

const FILE_KEYS = {
  sentinel_address: 'sentinels',
  sentinel_master_name: 'masterName',
  sentinel_user: 'sentinelUser',
  sentinel_password: 'sentinelPassword',
  user: 'user',
  password: 'password',
} as const;

const DEFAULT_SENTINEL_PORT = 26_379;
const LIST_HELP = 'must be a comma-separated list of host:port (e.g. 10.0.0.1:26379,10.0.0.2:26379)';

/** Reads `engine` of CONFIG_FILE; problems are pushed as `CONFIG_FILE <path>: <message>`. */
export function readSentinelFileSection(value: unknown, problems: string[]): RedisSentinelFileSettings {
  const out: RedisSentinelFileSettings = {};
  const engine = objectAt(value, 'engine', ['redis'], problems);
  if (engine?.['redis'] === undefined) return out;
  const redis = objectAt(engine['redis'], 'engine.redis', Object.keys(FILE_KEYS), problems);
  if (redis === null) return out;
  for (const [key, field] of Object.entries(FILE_KEYS)) {
    const v = redis[key];
    if (v === undefined) continue;
    const path = `engine.redis.${key}`;
    if (key === 'sentinel_address' && Array.isArray(v) && v.every((a) => typeof a === 'string')) {
      out.sentinels = v.join(',');
    } else if (typeof v === 'string') {
      out[field] = v;
    } else {
      problems.push(`CONFIG_FILE ${path}: must be a string${key === 'sentinel_address' ? ' or an array of "host:port" strings' : ''}`);
    }
  }
  return out;
}

function objectAt(value: unknown, path: string, allowed: readonly string[], problems: string[]): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`CONFIG_FILE ${path}: must be an object`);
    return null;
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) problems.push(`CONFIG_FILE ${path}.${key}: unknown option`);
  }
  return obj;
}

/** Parses `host:port[,host:port…]` (`[v6]:port`; a missing port is 26379); null if any entry is malformed. */
export function parseSentinelList(text: string): SentinelAddress[] | null {
  const out: SentinelAddress[] = [];
  for (const entry of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/@]+))(?::(\d{1,5}))?$/.exec(entry);
    if (m === null) return null;
    const port = m[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[3]);
    if (port < 1 || port > 65_535) return null;
    out.push({ host: m[1] ?? m[2] ?? '', port });
  }
  return out.length === 0 ? null : out;
}

/**
 * The Sentinel configuration, or null when no sentinels are given. Every variable is read (the
 * documentation test counts them); all problems go to `r.problems`.
 */
export function readRedisSentinel(
  r: SentinelEnvReader,
  file: RedisSentinelFileSettings,
  other: OtherRedisSettings,
): RedisSentinelConfig | null {
  const list = r.raw('REDIS_SENTINELS') ?? file.sentinels;
  const masterName = r.raw('REDIS_SENTINEL_MASTER_NAME') ?? file.masterName ?? null;
  const sentinelUser = r.raw('REDIS_SENTINEL_USER') ?? file.sentinelUser ?? null;
  const sentinelPassword = r.raw('REDIS_SENTINEL_PASSWORD') ?? file.sentinelPassword ?? null;
  const user = r.raw('REDIS_USER') ?? file.user ?? null;
  const password = r.raw('REDIS_PASSWORD') ?? file.password ?? null;
  if (list === undefined) {
    const orphans: Array<[string, string | null]> = [
      ['REDIS_SENTINEL_MASTER_NAME', masterName],
      ['REDIS_SENTINEL_USER', sentinelUser],
      ['REDIS_SENTINEL_PASSWORD', sentinelPassword],
    ];
    for (const [name, v] of orphans)
      if (v !== null) r.problems.push(`${name}: applies only with REDIS_SENTINELS (the sentinels to ask for the master)`);
    for (const [name, v] of [
      ['REDIS_USER', user],
      ['REDIS_PASSWORD', password],
    ] as const) {
      if (v !== null)
        r.problems.push(
          `${name}: is the Sentinel-managed master's credential and needs REDIS_SENTINELS; without Sentinel put it in REDIS_URL (redis://user:password@host:port)`,
        );
    }
    return null;
  }
  const sentinels = parseSentinelList(list);
  if (sentinels === null) {
    if (r.raw('REDIS_SENTINELS') === undefined) r.problems.push(`CONFIG_FILE engine.redis.sentinel_address: ${LIST_HELP}`);
    else r.fail('REDIS_SENTINELS', LIST_HELP);
  }
  if (masterName === null) {
    r.problems.push(
      'REDIS_SENTINEL_MASTER_NAME: required with REDIS_SENTINELS (the name the sentinels monitor, as in `sentinel monitor <name> <host> <port> <quorum>`)',
    );
  } else if (/\s/.test(masterName)) {
    r.problems.push('REDIS_SENTINEL_MASTER_NAME: must not contain spaces');
  }
  if (other.cluster) {
    r.problems.push(
      'REDIS_SENTINELS: cannot be combined with REDIS_CLUSTER=true (Sentinel watches one master and its replicas; a Redis Cluster fails over by itself)',
    );
  }
  if (other.redisUrlSet) {
    r.problems.push(
      "REDIS_URL and REDIS_SENTINELS: set only one (with Sentinel the master's address comes from the sentinels; give its credentials in REDIS_USER and REDIS_PASSWORD)",
    );
  }
  if (sentinels === null || masterName === null) return null;
  return { sentinels, masterName, sentinelUser, sentinelPassword, user, password };
}
