/**
 * Load-test settings and their parser from environment-style variables (`NUM_CLIENTS`,
 * `MESSAGES_PER_CLIENT`, `RATE`, ...): a pure function, all problems reported together.
 */

import { parseDuration } from '../config/index.js';
import type { ProtocolType } from '../protocol/index.js';

export interface LoadTestOptions {
  /** Gateway WebSocket endpoint. */
  url: string;
  protocol: ProtocolType;
  /** Publishing connections. */
  numClients: number;
  messagesPerClient: number;
  /** Publishes per second per client (open loop); 0: closed loop, `window` in flight each, for `durationMs`. */
  ratePerClient: number;
  /** How long publishing lasts: messagesPerClient / rate, or the closed-loop run time. */
  durationMs: number;
  /** Publishers are spread round-robin over this many channels. */
  channels: number;
  /** Extra subscribing connections per channel (0: end-to-end latency is not measured). */
  subscribersPerChannel: number;
  /** Channel names are `${channelPrefix}-${runId}-${k}`. */
  channelPrefix: string;
  /** HS256 secret to mint one JWT per connection; null: connect without a token. */
  tokenSecret: string | null;
  /** Length of the `text` field of each message. */
  textBytes: number;
  /** Publishes in flight per client in closed-loop mode. */
  window: number;
  /** Connections opened at once during ramp-up. */
  connectConcurrency: number;
  connectTimeoutMs: number;
  /** After the last publish, how long to wait at most for replies and deliveries. */
  drainTimeoutMs: number;
  /** Processes to spread connections over (1: this process). */
  workers: number;
  /** Exit non-zero when the publish success rate is below this (0-1). */
  minSuccessRate: number;
  /** Path of the JSON report; null: none. */
  output: string | null;
  progressIntervalMs: number;
  /** Tags channel names and messages so runs never see each other's traffic. */
  runId: string;
}

export type LoadTestEnv = Readonly<Record<string, string | undefined>>;

export class LoadTestOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid load-test settings:\n  ${problems.join('\n  ')}`);
    this.name = 'LoadTestOptionsError';
  }
}

const DEFAULT_URL = 'ws://localhost:8000/connection/websocket';

/**
 * Builds options from variables; `RATE`, `MESSAGES_PER_CLIENT` and `DURATION` derive each other (at most two may be set).
 * Longer than ~60 lines on purpose: one line per variable.
 */
export function parseLoadTestOptions(env: LoadTestEnv, runId: string): LoadTestOptions {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      problems.push(`${name} must be an integer >= ${min}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const num = (name: string, fallback: number, min: number, max = Infinity): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${name} must be a number in [${min}, ${max}], got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const duration = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    // A bare number is seconds here: `DURATION=60`.
    const ms = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) * 1000 : parseDuration(raw);
    if (ms === null || ms <= 0) {
      problems.push(`${name} must be seconds or a duration such as 90s or 2m, got "${raw}"`);
      return fallback;
    }
    return ms;
  };
  const set = (name: string): boolean => env[name] !== undefined && env[name] !== '';

  const url = env.GATEWAY_URL ?? DEFAULT_URL;
  if (!/^wss?:\/\//.test(url)) problems.push(`GATEWAY_URL must be a ws:// or wss:// url, got "${url}"`);
  const protocolRaw = env.PROTOCOL ?? 'json';
  if (protocolRaw !== 'json' && protocolRaw !== 'protobuf') problems.push(`PROTOCOL must be json or protobuf, got "${protocolRaw}"`);
  const protocol: ProtocolType = protocolRaw === 'protobuf' ? 'protobuf' : 'json';

  const given = ['MESSAGES_PER_CLIENT', 'RATE', 'DURATION'].filter(set);
  if (given.length === 3) problems.push('set at most two of MESSAGES_PER_CLIENT, RATE and DURATION');
  let messagesPerClient = int('MESSAGES_PER_CLIENT', 1200, 1);
  let ratePerClient = num('RATE', 0, 0);
  let durationMs = duration('DURATION', 60_000);
  if (set('RATE') && ratePerClient === 0) {
    // Closed loop: DURATION bounds the run, the message count does not apply.
    messagesPerClient = 0;
  } else if (set('RATE') && !set('MESSAGES_PER_CLIENT') && set('DURATION')) {
    messagesPerClient = Math.max(1, Math.round((ratePerClient * durationMs) / 1000));
  } else if (set('RATE')) {
    durationMs = (messagesPerClient / ratePerClient) * 1000;
  } else {
    ratePerClient = messagesPerClient / (durationMs / 1000);
  }

  const tokenSecret = env.TOKEN_SECRET !== undefined && env.TOKEN_SECRET !== '' ? env.TOKEN_SECRET : null;
  const output = env.OUTPUT !== undefined && env.OUTPUT !== '' ? env.OUTPUT : null;
  const options: LoadTestOptions = {
    url,
    protocol,
    numClients: int('NUM_CLIENTS', 100, 1),
    messagesPerClient,
    ratePerClient,
    durationMs,
    channels: int('CHANNELS', 10, 1),
    subscribersPerChannel: int('SUBSCRIBERS', 1, 0),
    channelPrefix: env.CHANNEL_PREFIX ?? 'chat:loadtest',
    tokenSecret,
    textBytes: int('TEXT_BYTES', 32, 0),
    window: int('WINDOW', 10, 1),
    connectConcurrency: int('CONNECT_CONCURRENCY', 50, 1),
    connectTimeoutMs: duration('CONNECT_TIMEOUT', 10_000),
    drainTimeoutMs: duration('DRAIN_TIMEOUT', 10_000),
    workers: int('WORKERS', 1, 1),
    minSuccessRate: num('MIN_SUCCESS_RATE', 0.99, 0, 1),
    output,
    progressIntervalMs: duration('PROGRESS_INTERVAL', 1_000),
    runId,
  };
  if (problems.length > 0) throw new LoadTestOptionsError(problems);
  return Object.freeze(options);
}

/** The options without the secret, for reports and logs. */
export function describeOptions(options: LoadTestOptions): Record<string, unknown> {
  const { tokenSecret, ...rest } = options;
  return { ...rest, tokens: tokenSecret !== null };
}
