/**
 * Connections through Redis Sentinel: ioredis asks the sentinels for the current master of a
 * named group, checks the role of what it reached, and asks again after every disconnect, so a
 * failover is followed without a restart.
 */

import { Redis, type RedisOptions } from 'ioredis';

/** One sentinel's address. */
export interface SentinelAddress {
  host: string;
  port: number;
}

/** Where a Sentinel-managed master is: config `redisSentinel`. */
export interface RedisSentinelTarget {
  /** Sentinels to ask (at least one; all of them are tried in turn). */
  sentinels: readonly SentinelAddress[];
  /** The master group name the sentinels monitor (`sentinel monitor <name> …`). */
  masterName: string;
  /** ACL user for the sentinels; null: none (the `default` user). */
  sentinelUser: string | null;
  /** Password for the sentinels; null: the sentinels ask for none. */
  sentinelPassword: string | null;
  /** ACL user for the master; null: none. */
  user: string | null;
  /** Password for the master; null: the master asks for none. */
  password: string | null;
}

/** Connection options without `replyMapping` (the default mapping is the one this code base reads). */
export type BaseOptions = Omit<RedisOptions, 'replyMapping'>;

// A write on a demoted master fails with READONLY: reconnect, so ioredis asks the sentinels again.
// Workers (2) also resend the failed command; gateway producers (1) let it fail and the client retry.
const readonlyReconnect =
  (resend: boolean) =>
  (err: Error): boolean | 1 | 2 =>
    err.message.startsWith('READONLY') ? (resend ? 2 : 1) : false;

/**
 * Creates a connection to the master of `target.masterName` with `base` (a role's options, see
 * `openRedisConnection`); `resendOnReadonly`: a command refused with READONLY is sent again after
 * the reconnect (workers) instead of failing (gateway producers). Duplicates (`duplicate()`) go
 * through the sentinels too.
 */
export function openRedisSentinel(target: RedisSentinelTarget, base: BaseOptions, resendOnReadonly: boolean): Redis {
  const opts: BaseOptions = {
    ...base,
    sentinels: target.sentinels.map((a) => ({ host: a.host, port: a.port })),
    name: target.masterName,
    role: 'master',
    // Subscribe to +switch-master on the sentinels: drop the old master as soon as they agree.
    failoverDetector: true,
    sentinelRetryStrategy: (times) => Math.min(100 * times, 1000),
    reconnectOnError: readonlyReconnect(resendOnReadonly),
    ...(target.sentinelUser === null ? {} : { sentinelUsername: target.sentinelUser }),
    ...(target.sentinelPassword === null ? {} : { sentinelPassword: target.sentinelPassword }),
    ...(target.user === null ? {} : { username: target.user }),
    ...(target.password === null ? {} : { password: target.password }),
  };
  return new Redis(opts);
}
