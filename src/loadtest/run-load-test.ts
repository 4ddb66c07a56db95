/**
 * Runs a load test: connects every shard (this process, or child processes that the caller
 * launches), starts them on one shared clock, prints progress, merges their measurements into
 * one report. Also the child's side of the message exchange.
 */

import { buildReport, formatProgress, sumProgress, type LoadTestReport } from './load-report.js';
import { LoadShard, type ShardProgress, type ShardSpec } from './load-shard.js';
import { now } from './load-connection.js';
import type { LoadTestOptions } from './load-test-options.js';
import { mergeShardResults, type ShardResult } from './shard-result.js';

/** Messages between the coordinating process and a shard process. */
export type ShardMessage =
  | { type: 'prepared' }
  | { type: 'start'; startAt: number }
  | { type: 'progress'; progress: ShardProgress }
  | { type: 'result'; result: ShardResult }
  | { type: 'failed'; error: string };

/** A message channel to or from another process (e.g. child_process IPC). */
export interface ShardPort {
  send(message: ShardMessage): void;
  onMessage(listener: (message: ShardMessage) => void): void;
}

export interface RunHooks {
  /** Starts shard `spec` in another process and returns the port to it; omitted: one in-process shard. */
  launch?: (spec: ShardSpec) => ShardPort;
  onProgress?: (line: string) => void;
}

/** Delay between every shard being connected and the first publish. */
const START_DELAY_MS = 300;

interface ShardHandle {
  prepared: Promise<void>;
  start(startAt: number): void;
  progress(): ShardProgress;
  result: Promise<ShardResult>;
}

function localShard(options: LoadTestOptions): ShardHandle {
  const shard = new LoadShard(options, { index: 0, count: 1 });
  const prepared = shard.prepare();
  let startResult!: (startAt: number) => void;
  const startAt = new Promise<number>((resolve) => {
    startResult = resolve;
  });
  const result = (async () => {
    await prepared;
    try {
      await shard.run(await startAt);
      return shard.recorder.toResult();
    } finally {
      await shard.close();
    }
  })();
  return { prepared, start: startResult, progress: () => shard.progress(), result };
}

function remoteShard(port: ShardPort): ShardHandle {
  let last: ShardProgress = sumProgress([]);
  let onPrepared!: () => void;
  let onResult!: (result: ShardResult) => void;
  let onFailed!: (error: Error) => void;
  const prepared = new Promise<void>((resolve) => {
    onPrepared = resolve;
  });
  const result = new Promise<ShardResult>((resolve, reject) => {
    onResult = resolve;
    onFailed = reject;
  });
  port.onMessage((message) => {
    if (message.type === 'prepared') onPrepared();
    else if (message.type === 'progress') last = message.progress;
    else if (message.type === 'result') onResult(message.result);
    else if (message.type === 'failed') onFailed(new Error(message.error));
  });
  return { prepared, start: (startAt) => port.send({ type: 'start', startAt }), progress: () => last, result };
}

export async function runLoadTest(options: LoadTestOptions, hooks: RunHooks = {}): Promise<LoadTestReport> {
  const startedAt = new Date();
  const launch = hooks.launch;
  const shards: ShardHandle[] =
    options.workers > 1 && launch !== undefined
      ? Array.from({ length: options.workers }, (_, index) => remoteShard(launch({ index, count: options.workers })))
      : [localShard(options)];
  const rampStarted = now();
  let previous: ShardProgress | null = null;
  let runStartedAt = rampStarted;
  const timer = setInterval(() => {
    const current = sumProgress(shards.map((s) => s.progress()));
    hooks.onProgress?.(formatProgress(now() - runStartedAt, current, previous, options.progressIntervalMs));
    previous = current;
  }, options.progressIntervalMs);
  try {
    await Promise.all(shards.map((s) => s.prepared));
    const startAt = Math.ceil(now() + START_DELAY_MS);
    runStartedAt = startAt;
    for (const s of shards) s.start(startAt);
    const results = await Promise.all(shards.map((s) => s.result));
    return buildReport(options, mergeShardResults(results), startedAt);
  } finally {
    clearInterval(timer);
  }
}

/** The shard process's side: connect, report prepared, run on `start`, report the result. */
export async function serveShard(options: LoadTestOptions, spec: ShardSpec, port: ShardPort): Promise<void> {
  const shard = new LoadShard(options, spec);
  const startAt = new Promise<number>((resolve) => {
    port.onMessage((message) => {
      if (message.type === 'start') resolve(message.startAt);
    });
  });
  const timer = setInterval(
    () => port.send({ type: 'progress', progress: shard.progress() }),
    Math.max(250, options.progressIntervalMs / 2),
  );
  try {
    await shard.prepare();
    port.send({ type: 'prepared' });
    await shard.run(await startAt);
    port.send({ type: 'result', result: shard.recorder.toResult() });
  } catch (err) {
    port.send({ type: 'failed', error: (err as Error).message });
  } finally {
    clearInterval(timer);
    await shard.close();
  }
}
