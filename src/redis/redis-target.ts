/** Which Redis a configuration names, and how to show it in logs. */

import type { RedisTarget } from './connection.js';
import type { RedisSentinelTarget } from './sentinel-connection.js';

/** What a configuration says about Redis (the `Config` fields, by shape). */
export interface RedisTargetConfig {
  redisUrl: string | null;
  redisCluster: boolean;
  redisSentinel: RedisSentinelTarget | null;
}

/** The {@link RedisTarget} a configuration names; null in embedded mode (no Redis at all). */
export function redisTargetOf(config: RedisTargetConfig): RedisTarget | null {
  if (config.redisSentinel !== null) return { url: '', sentinel: config.redisSentinel };
  if (config.redisUrl === null) return null;
  return { url: config.redisUrl, cluster: config.redisCluster };
}

/** How a target is shown in logs: never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  if (target.sentinel !== undefined) {
    const s = target.sentinel;
    return `sentinel master ${s.masterName} via ${s.sentinels.map((a) => `${a.host}:${a.port}`).join(',')}`;
  }
  return target.url
    .split(',')
    .map((u) => u.replace(/\/\/[^@/]*@/, '//'))
    .join(',');
}
