/**
 * Worker process settings (WORKER_* variables), read next to `loadConfig` by the worker
 * composition root; validated once, every problem reported together, frozen.
 */

import { ConfigError } from './config-error.js';
import { MAX_DURATION_MS, parseDuration } from './parse-duration.js';

export interface WorkerConfig {
  /** WORKER_ID: 1-64 of `[A-Za-z0-9_.-]`; its stream is `messages:worker:<id>`. Default worker-0. */
  workerId: string;
  /** WORKER_POOL: the pool this worker joins; it handles the channels of namespaces with this `worker_pool`. Default "default". */
  workerPool: string;
  /** WORKER_METRICS_PORT: Prometheus /metrics and /health on HOST; 0: a free port (logged); null (`off`): no metrics server. Default 2113. */
  workerMetricsPort: number | null;
  /** WORKER_CONCURRENCY: channels handled at the same time. Default 16. */
  concurrency: number;
  /** WORKER_BATCH_SIZE: entries read and acknowledged per round trip. Default 100. */
  batchSize: number;
  /** WORKER_MAX_ATTEMPTS: attempts before the dead-letter stream. Default 5. */
  maxAttempts: number;
  /** WORKER_HEARTBEAT: heartbeat and supervision period. Default 250ms. */
  heartbeatMs: number;
  /** WORKER_DEAD_AFTER: silence after which a worker's stream is taken over. Default 1250ms. */
  deadAfterMs: number;
  /** WORKER_RETIRE_AFTER: silence after which a dead worker leaves the routing set; 0: never. Default 1h. */
  retireAfterMs: number;
  /** WORKER_ORPHAN_GRACE: a deregistered worker's drained stream is deleted after this. Default 60s. */
  orphanGraceMs: number;
  /** WORKER_STATS_INTERVAL: how often the stats worker prints. Default 5s. */
  statsIntervalMs: number;
}

export function loadWorkerConfig(env: Readonly<Record<string, string | undefined>>): WorkerConfig {
  const problems: string[] = [];
  const raw = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === '' ? undefined : v;
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const v = raw(name);
    if (v === undefined) return def;
    const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
    if (Number.isSafeInteger(n) && n >= min && n <= max) return n;
    problems.push(
      `${name}: must be an integer from ${min} to ${max}${name === 'WORKER_METRICS_PORT' ? ' or off' : ''} (got ${JSON.stringify(v)})`,
    );
    return def;
  };
  const duration = (name: string, def: number, minMs: number): number => {
    const v = raw(name);
    if (v === undefined) return def;
    const ms = parseDuration(v);
    if (ms !== null && (ms >= minMs || ms === 0) && ms <= MAX_DURATION_MS) return ms;
    problems.push(`${name}: must be a duration such as 500ms, 30s, 5m or 1h, at least ${minMs}ms (got ${JSON.stringify(v)})`);
    return def;
  };
  const workerId = raw('WORKER_ID') ?? 'worker-0';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(workerId))
    problems.push(`WORKER_ID: must be 1-64 characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(workerId)})`);
  const workerPool = raw('WORKER_POOL') ?? 'default';
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(workerPool))
    problems.push(`WORKER_POOL: must be 1-64 characters of A-Z a-z 0-9 _ . - (got ${JSON.stringify(workerPool)})`);
  const config: WorkerConfig = {
    workerId,
    workerPool,
    workerMetricsPort: raw('WORKER_METRICS_PORT')?.toLowerCase() === 'off' ? null : int('WORKER_METRICS_PORT', 2113, 0, 65535),
    concurrency: int('WORKER_CONCURRENCY', 16, 1, 10_000),
    batchSize: int('WORKER_BATCH_SIZE', 100, 1, 10_000),
    maxAttempts: int('WORKER_MAX_ATTEMPTS', 5, 1, 1000),
    heartbeatMs: duration('WORKER_HEARTBEAT', 250, 50),
    deadAfterMs: duration('WORKER_DEAD_AFTER', 1250, 100),
    retireAfterMs: duration('WORKER_RETIRE_AFTER', 3_600_000, 1000),
    orphanGraceMs: duration('WORKER_ORPHAN_GRACE', 60_000, 0),
    statsIntervalMs: duration('WORKER_STATS_INTERVAL', 5000, 100),
  };
  if (config.heartbeatMs === 0) problems.push('WORKER_HEARTBEAT: must not be 0');
  if (config.deadAfterMs !== 0 && config.deadAfterMs <= config.heartbeatMs) {
    problems.push('WORKER_DEAD_AFTER: must be longer than WORKER_HEARTBEAT');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
